"""The two operations behind both the HTML and the JSON interface.

Upload order (no orphan object, no row without an object):

1. parse the multipart headers and validate the name (400 before any side effect);
2. check the database (503 "database" before anything is written to S3);
3. stream the file to S3 with the managed transfer, hashing it on the way
   (503 "s3" if S3 fails: the transfer aborts its multipart upload, no row);
4. insert the row; if that fails, delete *exactly the version just written*
   (compensating action) and answer 503 "database".
"""

from __future__ import annotations

import logging

from flask import Response, current_app, request
from werkzeug.exceptions import BadRequest, NotFound, RequestEntityTooLarge

from app import db
from app.errors import DependencyUnavailable
from app.multipart import MalformedUpload, MultipartFileStream, boundary_of
from app.names import InvalidFilename, content_disposition, content_type_for, validate_filename
from app.storage import (
    FileTooLarge,
    HashingReader,
    ObjectNotFound,
    StorageUnavailable,
    get_storage,
    iter_body,
)

log = logging.getLogger("filestore.uploads")

FIELD = "file"


def s3_key_for(filename: str) -> str:
    """Objects are stored under their (validated, NFC) name; versions keep history."""
    return filename


def validated_name(name: str | None) -> str:
    """The NFC name, or a 400 naming what is wrong with it."""
    try:
        return validate_filename(name)
    except InvalidFilename as exc:
        raise BadRequest(f"invalid file name: {exc}") from exc


def receive_upload() -> db.Upload:
    """Stream the request's ``file`` part to S3 and record it; return the new row."""
    limit = int(current_app.config["FILESTORE_MAX_UPLOAD_BYTES"])
    try:
        boundary = boundary_of(request.headers.get("Content-Type"))
        part = MultipartFileStream(request.stream, boundary, FIELD).open()
    except MalformedUpload as exc:
        raise BadRequest(str(exc)) from exc
    if part.filename == "":
        raise BadRequest("no file selected")
    filename = validated_name(part.filename)
    try:
        if part.at_eof():
            raise BadRequest("the file is empty; nothing to store")
    except MalformedUpload as exc:
        raise BadRequest(str(exc)) from exc
    content_type = content_type_for(filename, part.content_type)

    try:
        db.check()
    except db.DatabaseUnavailable as exc:
        raise DependencyUnavailable(
            "database", f"database unavailable, nothing was stored: {exc}"
        ) from exc

    storage = get_storage()
    key = s3_key_for(filename)
    reader = HashingReader(part, limit)
    try:
        version_id = storage.upload(reader, key, content_type)
    except FileTooLarge as exc:
        raise RequestEntityTooLarge(
            f"the file is larger than the limit of {limit} bytes; nothing was stored"
        ) from exc
    except MalformedUpload as exc:
        raise BadRequest(f"{exc}; nothing was stored") from exc
    except StorageUnavailable as exc:
        raise DependencyUnavailable(
            "s3", f"storage unavailable, nothing was stored: {exc}"
        ) from exc
    part.finish()

    try:
        row = db.insert_upload(
            filename=filename,
            uploaded_at=db.utcnow(),
            size=reader.size,
            sha256=reader.sha256,
            content_type=content_type,
            s3_key=key,
            s3_version_id=version_id,
        )
    except db.DatabaseUnavailable as exc:
        if _compensate(storage, key, version_id):
            outcome = "the upload was rolled back"
        else:
            outcome = (
                f"the upload could not be rolled back: the object {key!r} "
                f"(version {version_id}) stays in storage without a record"
            )
        raise DependencyUnavailable("database", f"database unavailable, {outcome}: {exc}") from exc
    except BaseException:
        _compensate(storage, key, version_id)
        raise
    log.info(
        "stored upload",
        extra={
            "file": filename,
            "size": row.size,
            "sha256": row.sha256,
            "version_id": version_id,
            "upload_id": row.id,
        },
    )
    return row


def _compensate(storage, key: str, version_id: str | None) -> bool:
    """Delete the version just written; False (and an ORPHAN log line) if that failed."""
    try:
        storage.delete_version(key, version_id)
    except Exception:
        # Cannot do more here: leave a precise trail for the operator.
        log.exception(
            "ORPHAN: could not delete S3 object after failed insert",
            extra={"s3_key": key, "version_id": version_id},
        )
        return False
    log.warning(
        "rolled back S3 object after failed insert",
        extra={"s3_key": key, "version_id": version_id},
    )
    return True


def _validated_version(version_id: str | None) -> str | None:
    if version_id is None:
        return None
    if not version_id or len(version_id) > 1024 or not version_id.isascii():
        raise BadRequest("invalid version_id")
    if not version_id.isprintable():
        raise BadRequest("invalid version_id")
    return version_id


def send_upload(raw_name: str, version_id: str | None = None) -> Response:
    """Stream the newest upload of ``raw_name`` (or that version) from S3."""
    filename = validated_name(raw_name)
    version_id = _validated_version(version_id)
    try:
        row = db.find_upload(filename, version_id)
    except db.DatabaseUnavailable as exc:
        raise DependencyUnavailable("database", f"database unavailable: {exc}") from exc
    if row is None:
        if version_id:
            raise NotFound(f"no version {version_id!r} of a file named {filename!r}")
        raise NotFound(f"no file named {filename!r}")
    try:
        obj = get_storage().open(row.s3_key, row.s3_version_id)
    except ObjectNotFound as exc:
        log.error(
            "metadata without object",
            extra={"s3_key": row.s3_key, "version_id": row.s3_version_id},
        )
        raise NotFound(f"the content of {filename!r} is missing from storage") from exc
    except StorageUnavailable as exc:
        raise DependencyUnavailable("s3", f"storage unavailable: {exc}") from exc

    body = obj["Body"]
    response = Response(iter_body(body), status=200, direct_passthrough=True)
    response.call_on_close(body.close)
    response.headers["Content-Type"] = row.content_type
    response.headers["Content-Length"] = str(obj.get("ContentLength", row.size))
    response.headers["Content-Disposition"] = content_disposition(filename)
    response.headers["X-Content-SHA256"] = row.sha256
    if row.s3_version_id:
        response.headers["X-Version-Id"] = row.s3_version_id
    response.headers["Cache-Control"] = "private, no-cache"
    response.last_modified = row.uploaded_at
    # Never let a browser render uploaded content as part of this site.
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
