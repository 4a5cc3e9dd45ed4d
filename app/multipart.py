"""Pull-parse a multipart/form-data request body and expose one file part as a stream.

``request.files`` would first copy the whole upload into a temporary file; this
reads the request body only as fast as S3 consumes it, so a 1 GiB upload goes
from the socket to S3 in chunks without touching the disk or the heap.
"""

from __future__ import annotations

import re
from typing import BinaryIO

from werkzeug.datastructures import Headers
from werkzeug.http import parse_options_header
from werkzeug.sansio.multipart import (
    Data,
    Epilogue,
    Field,
    File,
    MultipartDecoder,
    NeedData,
)

READ_CHUNK = 256 * 1024
MAX_OTHER_FIELDS_BYTES = 64 * 1024
MAX_PARTS = 32


class MalformedUpload(ValueError):
    """The body is not a usable multipart/form-data upload (the client's fault)."""


class MissingFile(MalformedUpload):
    """No part named like the expected file field."""


def boundary_of(content_type: str | None) -> bytes:
    mimetype, options = parse_options_header(content_type or "")
    if mimetype != "multipart/form-data":
        raise MalformedUpload("expected a multipart/form-data body with a 'file' field")
    boundary = options.get("boundary", "")
    if not boundary or len(boundary) > 200:
        raise MalformedUpload("multipart/form-data body without a valid boundary")
    try:
        return boundary.encode("ascii")
    except UnicodeEncodeError as exc:
        raise MalformedUpload("multipart boundary is not ASCII") from exc


_QUOTED_FILENAME = re.compile(r'(?:^|;)\s*filename\s*=\s*"((?:[^"\\]|\\.)*)"', re.IGNORECASE)
_EXTENDED_FILENAME = re.compile(r"(?:^|;)\s*filename\*\s*=", re.IGNORECASE)


def _literal_filename(event: File) -> str:
    """The part's file name without quoted-string unescaping of backslashes.

    Browsers send a name's backslashes as they are (HTML's form encoding only
    escapes '"', CR and LF, as %22, %0D, %0A); Werkzeug reads them as escapes and
    would turn ``..\\x`` into ``..x``. Keep them, so the validator rejects such a
    name instead of storing a silently different one."""
    disposition = event.headers.get("content-disposition", "")
    if not _EXTENDED_FILENAME.search(disposition):
        match = _QUOTED_FILENAME.search(disposition)
        if match and "\\" in match.group(1):
            return match.group(1)
    return event.filename


class MultipartFileStream:
    """``open()`` finds the part named ``field`` that carries a file; then ``read(n)``
    returns exactly ``n`` bytes of its content (fewer only at its end)."""

    def __init__(self, stream: BinaryIO, boundary: bytes, field: str = "file") -> None:
        self._stream = stream
        self._decoder = MultipartDecoder(boundary, max_parts=MAX_PARTS)
        self._field = field
        self._input_done = False
        self._buf = bytearray()
        self._part_done = False
        self._finished = False
        self.filename: str | None = None
        self.headers: Headers | None = None

    # decoder plumbing -----------------------------------------------------
    def _next_event(self):
        while True:
            try:
                event = self._decoder.next_event()
            except ValueError as exc:
                raise MalformedUpload(f"malformed multipart body: {exc}") from exc
            if not isinstance(event, NeedData):
                return event
            chunk = self._stream.read(READ_CHUNK)
            if chunk:
                self._decoder.receive_data(chunk)
            elif self._input_done:
                raise MalformedUpload("multipart body ended early")
            else:
                self._input_done = True
                self._decoder.receive_data(None)

    # public ---------------------------------------------------------------
    def open(self) -> MultipartFileStream:
        other_bytes = 0
        while True:
            event = self._next_event()
            if isinstance(event, File) and event.name == self._field:
                self.filename = _literal_filename(event)
                self.headers = event.headers
                return self
            if isinstance(event, Field | File):
                continue
            if isinstance(event, Data):
                other_bytes += len(event.data)
                if other_bytes > MAX_OTHER_FIELDS_BYTES:
                    raise MalformedUpload("form fields other than 'file' are too large")
            elif isinstance(event, Epilogue):
                self._finished = True
                raise MissingFile(f"no file in the form field {self._field!r}")

    @property
    def content_type(self) -> str | None:
        return self.headers.get("content-type") if self.headers is not None else None

    def _fill(self, size: int) -> None:
        while not self._part_done and (size < 0 or len(self._buf) < size):
            event = self._next_event()
            if not isinstance(event, Data):  # pragma: no cover - decoder guarantees Data
                raise MalformedUpload("unexpected multipart event inside the file")
            self._buf += event.data
            if not event.more_data:
                self._part_done = True

    def read(self, size: int = -1) -> bytes:
        self._fill(size)
        if size < 0 or size >= len(self._buf):
            out = bytes(self._buf)
            self._buf.clear()
        else:
            out = bytes(self._buf[:size])
            del self._buf[:size]
        return out

    def at_eof(self) -> bool:
        """True when the file part has no (more) bytes; reads ahead at most one chunk."""
        self._fill(1)
        return not self._buf

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def finish(self, limit: int = 1024 * 1024) -> None:
        """Consume what follows the file part (trailing fields, the closing boundary),
        at most ``limit`` bytes, so that the client sees a clean response."""
        consumed = 0
        while not self._finished and consumed <= limit:
            try:
                event = self._next_event()
            except MalformedUpload:
                return
            if isinstance(event, Data):
                consumed += len(event.data)
            elif isinstance(event, Epilogue):
                self._finished = True
