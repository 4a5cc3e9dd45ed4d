"""File names, content types and Content-Disposition.

The validator *rejects* hostile names instead of rewriting them (unlike
``werkzeug.utils.secure_filename``, which strips every non-ASCII character): a
client that sends ``../../etc/passwd`` gets a 400 naming the problem, and a
client that sends ``猫.png`` gets ``猫.png`` back. The only change made to an
accepted name is Unicode NFC normalisation, so that the same visible name typed
on two systems (precomposed or decomposed accents) is the same key.
"""

from __future__ import annotations

import mimetypes
import re
import unicodedata
from urllib.parse import quote

MAX_NAME_BYTES = 255

# Bidirectional overrides/isolates and similar invisible formatting characters
# let a name display differently from what it is ("gpj.exe" shown as "exe.jpg").
_BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
_WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:")
_MIME = re.compile(
    r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}"
    r"(?:\s*;\s*[a-z0-9!#$&^_.+-]+=(?:[a-z0-9!#$&^_.+-]+|\"[a-z0-9 !#$&^_.+-]*\"))*$"
)
DEFAULT_CONTENT_TYPE = "application/octet-stream"


class InvalidFilename(ValueError):
    """A file name that the service refuses; ``str(exc)`` says why, for the client."""


def validate_filename(name: str | None) -> str:
    """Return the NFC form of ``name`` or raise :class:`InvalidFilename`."""
    if name is None or name == "":
        raise InvalidFilename("file name is empty")
    if not isinstance(name, str):
        raise InvalidFilename("file name must be text")
    name = unicodedata.normalize("NFC", name)
    if name.strip() == "":
        raise InvalidFilename("file name is empty")
    if "\x00" in name:
        raise InvalidFilename("file name contains a NUL byte")
    if "/" in name or "\\" in name:
        raise InvalidFilename("file name must not contain '/' or '\\' (no paths)")
    if name in {".", ".."}:
        raise InvalidFilename("file name must not be '.' or '..'")
    if _WINDOWS_DRIVE.match(name):
        raise InvalidFilename("file name must not start with a drive letter (no paths)")
    for ch in name:
        cat = unicodedata.category(ch)
        if cat == "Cc" or ch in _BIDI_CONTROLS or cat in {"Zl", "Zp"}:
            raise InvalidFilename(f"file name contains a control character (U+{ord(ch):04X})")
        if cat == "Cs":
            raise InvalidFilename("file name contains an unpaired surrogate")
    if name != name.strip():
        raise InvalidFilename("file name must not start or end with whitespace")
    try:
        size = len(name.encode("utf-8"))
    except UnicodeEncodeError as exc:  # pragma: no cover - surrogates caught above
        raise InvalidFilename("file name is not valid Unicode") from exc
    if size > MAX_NAME_BYTES:
        raise InvalidFilename(f"file name is {size} bytes in UTF-8; the limit is {MAX_NAME_BYTES}")
    return name


def content_type_for(filename: str, declared: str | None) -> str:
    """The Content-Type to store: the client's, when it is a plausible media type
    more specific than octet-stream, else a guess from the extension."""
    if declared:
        declared = declared.strip().lower()
        if (
            len(declared) <= 255
            and _MIME.match(declared)
            and not declared.startswith(DEFAULT_CONTENT_TYPE)
        ):
            return declared
    guessed, _ = mimetypes.guess_type(filename, strict=False)
    return guessed or DEFAULT_CONTENT_TYPE


def content_disposition(filename: str, disposition: str = "attachment") -> str:
    """An RFC 6266 header: an ASCII ``filename=`` fallback plus ``filename*`` (RFC 8187)
    whenever the name is not plain ASCII."""
    ascii_name = filename.encode("ascii", "replace").decode("ascii").replace("?", "_")
    fallback = ascii_name.replace("\\", "_").replace('"', "_")
    header = f'{disposition}; filename="{fallback}"'
    if fallback != filename or "%" in filename:
        header += f"; filename*=UTF-8''{quote(filename, safe='')}"
    return header
