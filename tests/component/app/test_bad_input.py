"""Hostile or broken uploads get a clear 4xx and leave nothing behind (no row, no object)."""

from __future__ import annotations

import html
from urllib.parse import quote

import pytest
from apphelpers import multipart, rows, upload

pytestmark = pytest.mark.mariadb

# name as it goes into the quoted filename="..." parameter, the way browsers send it
QUOTED_NAMES = {
    "traversal-posix": "../../etc/passwd",
    "traversal-windows": "..\\..\\windows\\win.ini",
    "traversal-mixed": "a/../../b",
    "absolute-posix": "/etc/passwd",
    "absolute-windows": "C:\\Windows\\win.ini",
    "drive-relative": "C:evil.txt",
    "slash": "dir/file.txt",
    "backslash": "dir\\file.txt",
    "dotdot": "..",
    "dot": ".",
    "blank": "   ",
    "leading-space": " x.txt",
    "too-long-ascii": "x" * 256,
    "too-long-utf8": "é" * 128,
}

# names with bytes that cannot sit raw in a header: sent as RFC 5987 filename*=
ENCODED_NAMES = {
    "nul": "a\x00b.txt",
    "newline": "a\nb.txt",
    "carriage-return": "evil\r\nX-Injected: 1",
    "escape": "a\x1b[2Jb.txt",
    "del": "a\x7f.txt",
    "bidi-override": "invoice\u202efdp.exe",
    "encoded-traversal": "../x.txt",
    "encoded-backslash": "..\\x.txt",
}


def assert_nothing_stored(aws, db):
    assert rows(db) == []
    assert aws.versions() == []


@pytest.fixture(params=["/api/files", "/upload"], ids=["api", "form"])
def upload_path(request):
    return request.param


def check_rejected(resp, path, status, needle):
    assert resp.status_code == status, resp.get_data(as_text=True)
    if path.startswith("/api/"):
        assert needle in resp.get_json()["error"]
    else:
        assert resp.mimetype == "text/html"
        assert needle in html.unescape(resp.get_data(as_text=True))


@pytest.mark.parametrize("name", list(QUOTED_NAMES.values()), ids=list(QUOTED_NAMES))
def test_hostile_names_rejected(client, aws, db, upload_path, name):
    resp = upload(client, b"payload", name, path=upload_path)
    check_rejected(resp, upload_path, 400, "invalid file name")
    assert_nothing_stored(aws, db)


@pytest.mark.parametrize("name", list(ENCODED_NAMES.values()), ids=list(ENCODED_NAMES))
def test_hostile_encoded_names_rejected(client, aws, db, upload_path, name):
    disposition = f"form-data; name=\"file\"; filename*=UTF-8''{quote(name, safe='')}"
    body, ctype = multipart(b"payload", disposition=disposition)
    resp = client.post(upload_path, data=body, content_type=ctype)
    check_rejected(resp, upload_path, 400, "invalid file name")
    assert_nothing_stored(aws, db)


def test_browser_escaped_names_are_decoded_not_rejected(client, db):
    # HTML form encoding sends '"' as %22: the file is 'say "hi".txt'
    resp = upload(client, b"hi", "say %22hi%22.txt")
    assert resp.status_code == 201
    assert resp.get_json()["filename"] == 'say "hi".txt'


def test_empty_file_is_400(client, aws, db, upload_path):
    resp = upload(client, b"", "empty.txt", path=upload_path)
    check_rejected(resp, upload_path, 400, "empty")
    assert_nothing_stored(aws, db)


def test_no_file_selected_is_400(client, aws, db, upload_path):
    # what a browser sends when the form is submitted without choosing a file
    body, ctype = multipart(b"", "", content_type="application/octet-stream")
    resp = client.post(upload_path, data=body, content_type=ctype)
    check_rejected(resp, upload_path, 400, "no file selected")
    assert_nothing_stored(aws, db)


def test_missing_file_field_is_400(client, aws, db, upload_path):
    body, ctype = multipart(b"value", None, field="something")
    resp = client.post(upload_path, data=body, content_type=ctype)
    check_rejected(resp, upload_path, 400, "no file in the form field 'file'")
    assert_nothing_stored(aws, db)


def test_other_fields_before_the_file_are_skipped(client, db):
    boundary = "XyZ"
    body = (
        b'--XyZ\r\nContent-Disposition: form-data; name="note"\r\n\r\nhello\r\n'
        b'--XyZ\r\nContent-Disposition: form-data; name="file"; filename="f.txt"\r\n'
        b"Content-Type: text/plain\r\n\r\nfile body\r\n--XyZ--\r\n"
    )
    resp = client.post(
        "/api/files", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )
    assert resp.status_code == 201
    assert client.get("/api/files/f.txt").data == b"file body"


@pytest.mark.parametrize(
    ("body", "content_type", "needle"),
    [
        (b'{"file": "x"}', "application/json", "multipart/form-data"),
        (b"file=x", "application/x-www-form-urlencoded", "multipart/form-data"),
        (b"x", "multipart/form-data; charset=utf-8", "boundary"),
        (
            b'--B\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\nabc',
            "multipart/form-data; boundary=B",
            "multipart",
        ),
        (b"garbage without any boundary", "multipart/form-data; boundary=B", "multipart"),
    ],
    ids=["json", "urlencoded", "no-boundary", "truncated", "garbage"],
)
def test_not_a_usable_multipart_body_is_400(
    client, aws, db, upload_path, body, content_type, needle
):
    resp = client.post(upload_path, data=body, content_type=content_type)
    check_rejected(resp, upload_path, 400, needle)
    assert_nothing_stored(aws, db)


def test_file_above_the_limit_is_413_by_content_length(make_app, db, aws):
    client = make_app(FILESTORE_MAX_UPLOAD_BYTES=1000).test_client()
    resp = upload(client, b"x" * 200_000, "big.bin")
    assert resp.status_code == 413
    assert "error" in resp.get_json()
    assert_nothing_stored(aws, db)


def test_file_just_above_the_limit_is_413_while_streaming(make_app, db, aws, upload_path):
    # The body fits MAX_CONTENT_LENGTH (limit + envelope), the file itself does not.
    client = make_app(FILESTORE_MAX_UPLOAD_BYTES=1000).test_client()
    resp = upload(client, b"x" * 1001, "big.bin", path=upload_path)
    check_rejected(resp, upload_path, 413, "larger than the limit of 1000 bytes")
    assert_nothing_stored(aws, db)


def test_file_at_the_limit_is_accepted(make_app, db):
    client = make_app(FILESTORE_MAX_UPLOAD_BYTES=1000).test_client()
    resp = upload(client, b"x" * 1000, "exact.bin")
    assert resp.status_code == 201
    assert resp.get_json()["size"] == 1000


def test_multipart_sized_file_above_the_limit_is_413_and_aborted(make_app, db, aws):
    # Large enough for the managed transfer's multipart path: the abort must leave
    # no object and no dangling multipart upload.
    limit = 9 * 1024 * 1024
    client = make_app(FILESTORE_MAX_UPLOAD_BYTES=limit).test_client()
    resp = upload(client, b"y" * (limit + 1), "big.bin")
    assert resp.status_code == 413
    assert_nothing_stored(aws, db)
    assert aws.s3.list_multipart_uploads(Bucket=aws.bucket).get("Uploads", []) == []


@pytest.mark.parametrize(
    "path",
    [
        "/api/files/..",
        "/api/files/%2e%2e",
        "/api/files/..%5Cwin.ini",
        "/api/files/a%00b",
        "/api/files/a%0Ab",
        "/api/files/" + "x" * 256,
        "/api/files/dir/file.txt",
        "/api/files/%2Fetc%2Fpasswd",
        "/download/..%5C..%5Cboot.ini",
        "/download/a%1Bb",
    ],
)
def test_hostile_names_in_download_urls(client, path):
    resp = client.get(path)
    assert resp.status_code in (400, 404)
    if resp.status_code == 400:
        body = resp.get_json()["error"] if path.startswith("/api/") else resp.get_data(as_text=True)
        assert "invalid file name" in body


@pytest.mark.parametrize("query", ["version_id=", "version_id=%00", "version_id=" + "v" * 1025])
def test_bad_version_id_is_400(client, query):
    upload(client, b"x", "x.txt")
    resp = client.get(f"/api/files/x.txt?{query}")
    assert resp.status_code == 400
    assert resp.get_json() == {"error": "invalid version_id"}


def test_bad_filename_filter_is_400(client):
    resp = client.get("/api/files?filename=../x")
    assert resp.status_code == 400
