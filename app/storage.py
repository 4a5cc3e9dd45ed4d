"""S3 (and SSM) access through boto3's default credential chain (the instance role).

Clients get a short connect timeout and few retries so that an outage turns into
a fast 503 rather than a hung worker, and they reconnect by themselves when the
service is back.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Iterator
from typing import BinaryIO

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from flask import Flask, current_app

log = logging.getLogger("filestore.s3")

MiB = 1024 * 1024
DOWNLOAD_CHUNK = 1 * MiB
_NOT_FOUND = {"NoSuchKey", "NoSuchVersion", "404", "NotFound", "InvalidArgument"}


class StorageUnavailable(Exception):
    """S3 could not be reached or refused the request."""


class ObjectNotFound(Exception):
    """The object (or that version of it) is not in the bucket."""


class FileTooLarge(Exception):
    """The uploaded file grew past FILESTORE_MAX_UPLOAD_BYTES while streaming."""


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def describe(exc: BaseException) -> str:
    if isinstance(exc, ClientError):
        return f"{_error_code(exc)}: {exc.response.get('Error', {}).get('Message', '')}"
    return str(exc) or type(exc).__name__


class HashingReader:
    """Wraps a stream; counts and SHA-256-hashes the bytes as they are read and stops
    at ``limit``. Deliberately not seekable, so that boto3 streams it part by part
    instead of looking for its size."""

    def __init__(self, raw: BinaryIO, limit: int | None = None) -> None:
        self._raw = raw
        self._limit = limit
        self._sha = hashlib.sha256()
        self.size = 0

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size)
        self.size += len(data)
        if self._limit is not None and self.size > self._limit:
            raise FileTooLarge(f"file is larger than the {self._limit}-byte limit")
        self._sha.update(data)
        return data

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    @property
    def sha256(self) -> str:
        return self._sha.hexdigest()


_session_lock = threading.Lock()
_session: boto3.session.Session | None = None


def _client(service: str, region: str, endpoint_url: str | None, config: Config):
    """A new client from the process's one boto3 session (default credential chain).
    Sharing the session keeps loaded service models and resolved credentials; the
    lock is there because sessions are not thread-safe while creating clients."""
    global _session
    with _session_lock:
        if _session is None:
            _session = boto3.session.Session()
        return _session.client(
            service, region_name=region, endpoint_url=endpoint_url, config=config
        )


class Storage:
    """The bucket, plus clients built from one boto3 session."""

    def __init__(self, app: Flask) -> None:
        cfg = app.config
        self.bucket: str = cfg["FILESTORE_BUCKET"]
        self.region: str = cfg["AWS_REGION"]
        self.endpoint_url: str | None = cfg["FILESTORE_AWS_ENDPOINT_URL"]
        self.client_config = Config(
            connect_timeout=int(cfg["FILESTORE_S3_CONNECT_TIMEOUT"]),
            read_timeout=int(cfg["FILESTORE_S3_READ_TIMEOUT"]),
            retries={"max_attempts": int(cfg["FILESTORE_S3_MAX_ATTEMPTS"]), "mode": "standard"},
            max_pool_connections=16,
        )
        # Memory per upload is bounded by chunk size x chunks in flight (~40 MiB).
        self.transfer_config = TransferConfig(
            multipart_threshold=8 * MiB,
            multipart_chunksize=8 * MiB,
            max_concurrency=4,
            use_threads=True,
            preferred_transfer_client="classic",
        )
        self.transfer_config.max_in_memory_upload_chunks = 4
        self._lock = threading.Lock()
        self._s3 = None

    # clients -----------------------------------------------------------------
    def _new_client(self, service: str):
        return _client(service, self.region, self.endpoint_url, self.client_config)

    @property
    def s3(self):
        if self._s3 is None:
            client = self._new_client("s3")
            with self._lock:
                if self._s3 is None:
                    self._s3 = client
        return self._s3

    # operations -------------------------------------------------------------
    def check(self) -> None:
        try:
            self.s3.head_bucket(Bucket=self.bucket)
        except (BotoCoreError, ClientError) as exc:
            raise StorageUnavailable(f"S3 bucket {self.bucket!r}: {describe(exc)}") from exc

    def upload(self, fileobj: BinaryIO, key: str, content_type: str) -> str | None:
        """Stream ``fileobj`` to ``key`` with the managed (multipart) transfer and return
        the new object's version id (None if the bucket is not versioned)."""
        # A client of its own, so that the version id of exactly this PutObject /
        # CompleteMultipartUpload can be captured (a HEAD afterwards could see a
        # concurrent upload of the same name).
        client = self._new_client("s3")
        captured: dict[str, str] = {}

        def capture(parsed=None, **_kwargs) -> None:
            if parsed and parsed.get("VersionId"):
                captured["version_id"] = parsed["VersionId"]

        client.meta.events.register("after-call.s3.PutObject", capture)
        client.meta.events.register("after-call.s3.CompleteMultipartUpload", capture)
        try:
            client.upload_fileobj(
                fileobj,
                self.bucket,
                key,
                ExtraArgs={"ContentType": content_type},
                Config=self.transfer_config,
            )
        except (BotoCoreError, ClientError) as exc:
            raise StorageUnavailable(f"S3 upload failed: {describe(exc)}") from exc
        finally:
            client.close()
        return captured.get("version_id")

    def delete_version(self, key: str, version_id: str | None) -> None:
        kwargs = {"Bucket": self.bucket, "Key": key}
        if version_id:
            kwargs["VersionId"] = version_id
        self.s3.delete_object(**kwargs)

    def open(self, key: str, version_id: str | None = None) -> dict:
        """``get_object``: the caller streams ``["Body"]`` with :func:`iter_body`."""
        kwargs = {"Bucket": self.bucket, "Key": key}
        if version_id:
            kwargs["VersionId"] = version_id
        try:
            return self.s3.get_object(**kwargs)
        except ClientError as exc:
            if _error_code(exc) in _NOT_FOUND:
                raise ObjectNotFound(describe(exc)) from exc
            raise StorageUnavailable(f"S3 download failed: {describe(exc)}") from exc
        except BotoCoreError as exc:
            raise StorageUnavailable(f"S3 download failed: {describe(exc)}") from exc


def iter_body(body, chunk_size: int = DOWNLOAD_CHUNK) -> Iterator[bytes]:
    """Yield an S3 StreamingBody in chunks and close it at the end (or on abort)."""
    try:
        yield from body.iter_chunks(chunk_size)
    except Exception:
        log.exception("S3 stream broke off mid-download")
        raise
    finally:
        body.close()


def get_storage() -> Storage:
    return current_app.extensions["filestore.storage"]


def ssm_client(app: Flask):
    return app.extensions["filestore.storage"]._new_client("ssm")


def init_app(app: Flask) -> None:
    app.extensions["filestore.storage"] = Storage(app)
