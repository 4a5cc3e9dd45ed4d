"""The file-name validator, Content-Type choice and Content-Disposition (no I/O)."""

from __future__ import annotations

import unicodedata

import pytest

from app.names import (
    InvalidFilename,
    content_disposition,
    content_type_for,
    validate_filename,
)

SAFE = [
    "hello.txt",
    "résumé 2024.pdf",
    "猫.png",
    "Ünïcödé – “quotes” & more.txt",
    "emoji 🎉.gif",
    "no-extension",
    ".hidden",
    "a..b",
    "...",
    "it's (1) [copy] {x} #%&+,;=@.txt",
    'say "hi".txt',
    "x" * 255,
    "é" * 127 + "a",  # 255 bytes of UTF-8
]

HOSTILE = {
    "traversal-posix": "../etc/passwd",
    "traversal-windows": "..\\windows\\win.ini",
    "traversal-deep": "a/../../b",
    "absolute-posix": "/etc/passwd",
    "absolute-windows": "C:\\Windows\\system32",
    "drive-relative": "C:evil.txt",
    "slash": "dir/file.txt",
    "backslash": "dir\\file.txt",
    "dot": ".",
    "dotdot": "..",
    "nul": "a\x00b.txt",
    "newline": "a\nb.txt",
    "carriage-return": "a\rb.txt",
    "tab": "a\tb.txt",
    "escape": "a\x1b[31mred.txt",
    "del": "a\x7fb.txt",
    "c1-control": "a\x85b.txt",
    "bidi-override": "invoice\u202egpj.exe",
    "line-separator": "a\u2028b.txt",
    "too-long-ascii": "x" * 256,
    "too-long-utf8": "é" * 128,  # 256 bytes
    "empty": "",
    "blank": "   ",
    "leading-space": " a.txt",
    "trailing-space": "a.txt ",
}


@pytest.mark.parametrize("name", SAFE)
def test_safe_names_are_accepted_unchanged(name):
    assert validate_filename(name) == name


@pytest.mark.parametrize("name", list(HOSTILE.values()), ids=list(HOSTILE))
def test_hostile_names_are_rejected_not_rewritten(name):
    with pytest.raises(InvalidFilename) as info:
        validate_filename(name)
    assert str(info.value)  # a reason the client can read


def test_none_is_rejected():
    with pytest.raises(InvalidFilename, match="empty"):
        validate_filename(None)


def test_names_are_nfc_normalised():
    decomposed = unicodedata.normalize("NFD", "résumé.pdf")
    assert decomposed != "résumé.pdf"
    assert validate_filename(decomposed) == "résumé.pdf"


def test_limit_counts_utf8_bytes_after_normalisation():
    assert validate_filename("猫" * 85) == "猫" * 85  # 255 bytes
    with pytest.raises(InvalidFilename, match="256 bytes"):
        validate_filename("猫" * 85 + "a")


@pytest.mark.parametrize(
    ("name", "declared", "expected"),
    [
        ("a.png", "image/png", "image/png"),
        ("a.bin", "application/octet-stream", "application/octet-stream"),
        ("a.png", "application/octet-stream", "image/png"),  # guess beats the generic type
        ("a.txt", "text/plain; charset=utf-8", "text/plain; charset=utf-8"),
        ("a.pdf", None, "application/pdf"),
        ("a.pdf", "", "application/pdf"),
        ("a.pdf", "not a type", "application/pdf"),
        ("a.pdf", "text/html\r\nX-Evil: 1", "application/pdf"),
        ("unknown", None, "application/octet-stream"),
        ("a.JSON", "Application/JSON", "application/json"),
    ],
)
def test_content_type_for(name, declared, expected):
    assert content_type_for(name, declared) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("report.pdf", 'attachment; filename="report.pdf"'),
        (
            "résumé 2024.pdf",
            "attachment; filename=\"r_sum_ 2024.pdf\"; filename*=UTF-8''r%C3%A9sum%C3%A9%202024.pdf",
        ),
        ("猫.png", "attachment; filename=\"_.png\"; filename*=UTF-8''%E7%8C%AB.png"),
        (
            'say "hi".txt',
            "attachment; filename=\"say _hi_.txt\"; filename*=UTF-8''say%20%22hi%22.txt",
        ),
        ("100%.txt", "attachment; filename=\"100%.txt\"; filename*=UTF-8''100%25.txt"),
    ],
)
def test_content_disposition(name, expected):
    assert content_disposition(name) == expected
