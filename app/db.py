"""MySQL/MariaDB access: one short-lived connection per request, the schema, `flask init-db`.

A new connection per request (closed by ``teardown_appcontext``) means the app
recovers by itself once the database is back: there is no pool holding dead
connections. Connect/read timeouts are short so that an outage fails fast (503).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import click
import pymysql
import pymysql.cursors
from flask import Flask, current_app, g
from flask.cli import with_appcontext

log = logging.getLogger("filestore.db")

SCHEMA = """
CREATE TABLE IF NOT EXISTS uploads (
    id            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    filename      VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    uploaded_at   DATETIME(6)  NOT NULL COMMENT 'UTC',
    size          BIGINT UNSIGNED NOT NULL,
    sha256        CHAR(64) CHARACTER SET ascii NOT NULL,
    content_type  VARCHAR(255) CHARACTER SET ascii NOT NULL,
    s3_key        VARCHAR(1024) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    s3_version_id VARCHAR(1024) CHARACTER SET ascii COLLATE ascii_bin NULL,
    PRIMARY KEY (id),
    KEY ix_uploads_filename_uploaded_at (filename, uploaded_at),
    KEY ix_uploads_uploaded_at (uploaded_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin
"""

_COLUMNS = "id, filename, uploaded_at, size, sha256, content_type, s3_key, s3_version_id"

DB_ERRORS = (pymysql.err.OperationalError, pymysql.err.InterfaceError)


class DatabaseUnavailable(Exception):
    """The database could not be reached or failed mid-statement."""


@dataclass(frozen=True)
class Upload:
    id: int
    filename: str
    uploaded_at: datetime  # aware, UTC
    size: int
    sha256: str
    content_type: str
    s3_key: str
    s3_version_id: str | None

    @classmethod
    def from_row(cls, row: dict) -> Upload:
        ts = row["uploaded_at"]
        return cls(
            id=int(row["id"]),
            filename=row["filename"],
            uploaded_at=ts.replace(tzinfo=UTC),
            size=int(row["size"]),
            sha256=row["sha256"],
            content_type=row["content_type"],
            s3_key=row["s3_key"],
            s3_version_id=row["s3_version_id"],
        )

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "filename": self.filename,
            "size": self.size,
            "sha256": self.sha256,
            "content_type": self.content_type,
            "uploaded_at": self.uploaded_at.isoformat(timespec="microseconds"),
            "version_id": self.s3_version_id,
        }


# ------------------------------------------------------------------ password


class PasswordSource:
    """The DB password: FILESTORE_DB_PASSWORD_PARAM (SSM SecureString, decrypted) or,
    for local runs, FILESTORE_DB_PASSWORD. Read at start-up; if SSM is unreachable
    then, it is retried on the next connection instead of failing the boot."""

    def __init__(self, app: Flask) -> None:
        self._app = app
        self._lock = threading.Lock()
        self._value: str | None = None
        self.param = app.config.get("FILESTORE_DB_PASSWORD_PARAM") or ""
        if not self.param:
            self._value = app.config.get("FILESTORE_DB_PASSWORD") or ""

    def load(self) -> str:
        with self._lock:
            if self._value is None:
                from app.storage import ssm_client

                resp = ssm_client(self._app).get_parameter(Name=self.param, WithDecryption=True)
                self._value = resp["Parameter"]["Value"]
                log.info("database password read from SSM parameter %s", self.param)
            return self._value

    def try_load(self) -> None:
        try:
            self.load()
        except Exception as exc:
            log.error("could not read SSM parameter %s yet: %s", self.param, exc)


# ---------------------------------------------------------------- connections


def connect(app: Flask | None = None) -> pymysql.connections.Connection:
    app = app or current_app._get_current_object()
    cfg = app.config
    try:
        password = app.extensions["filestore.password"].load()
    except Exception as exc:
        raise DatabaseUnavailable(f"database password unavailable: {exc}") from exc
    try:
        return pymysql.connect(
            host=cfg["FILESTORE_DB_HOST"],
            port=int(cfg["FILESTORE_DB_PORT"]),
            user=cfg["FILESTORE_DB_USER"],
            password=password,
            database=cfg["FILESTORE_DB_NAME"],
            charset="utf8mb4",
            connect_timeout=int(cfg["FILESTORE_DB_CONNECT_TIMEOUT"]),
            read_timeout=int(cfg["FILESTORE_DB_RW_TIMEOUT"]),
            write_timeout=int(cfg["FILESTORE_DB_RW_TIMEOUT"]),
            autocommit=True,
            cursorclass=pymysql.cursors.DictCursor,
            init_command="SET time_zone = '+00:00'",
            # TLS always, the server verified against the CA bundle and by name (RDS's
            # endpoint is in its certificate); a server without TLS is refused
            ssl_ca=cfg["FILESTORE_DB_CA_FILE"],
            ssl_verify_cert=True,
            ssl_verify_identity=True,
        )
    except DB_ERRORS as exc:
        raise DatabaseUnavailable(f"cannot connect to the database: {exc}") from exc


def get_db() -> pymysql.connections.Connection:
    """The request's connection, opened on first use."""
    conn = g.get("db")
    if conn is None:
        conn = connect()
        g.db = conn
    return conn


def _alive_connection() -> pymysql.connections.Connection:
    """The request's connection if it still answers, else a new one (an upload may
    have kept it idle for minutes, long enough for the server to drop it)."""
    conn = get_db()
    try:
        conn.ping(reconnect=False)
        return conn
    except DB_ERRORS:
        close_db()
    return get_db()


def close_db(_exc: BaseException | None = None) -> None:
    conn = g.pop("db", None)
    if conn is not None:
        with contextlib.suppress(Exception):  # already broken: nothing to release
            conn.close()


def _run(sql: str, args: tuple = ()) -> list[dict]:
    try:
        with get_db().cursor() as cur:
            cur.execute(sql, args)
            return list(cur.fetchall())
    except DB_ERRORS as exc:
        close_db()  # never reuse a connection that failed mid-statement
        raise DatabaseUnavailable(f"database error: {exc}") from exc


def check() -> None:
    """SELECT 1 (health check and the pre-upload check)."""
    _run("SELECT 1")


def insert_upload(
    *,
    filename: str,
    uploaded_at: datetime,
    size: int,
    sha256: str,
    content_type: str,
    s3_key: str,
    s3_version_id: str | None,
) -> Upload:
    naive_utc = uploaded_at.astimezone(UTC).replace(tzinfo=None)
    try:
        conn = _alive_connection()
        with conn.cursor() as cur:
            cur.execute(
                "INSERT INTO uploads (filename, uploaded_at, size, sha256, content_type,"
                " s3_key, s3_version_id) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                (filename, naive_utc, size, sha256, content_type, s3_key, s3_version_id),
            )
            new_id = cur.lastrowid
    except DB_ERRORS as exc:
        close_db()
        raise DatabaseUnavailable(f"could not record the upload: {exc}") from exc
    return Upload(
        id=int(new_id),
        filename=filename,
        uploaded_at=naive_utc.replace(tzinfo=UTC),
        size=size,
        sha256=sha256,
        content_type=content_type,
        s3_key=s3_key,
        s3_version_id=s3_version_id,
    )


def recent_uploads(limit: int = 20, filename: str | None = None) -> list[Upload]:
    if filename is None:
        rows = _run(
            f"SELECT {_COLUMNS} FROM uploads ORDER BY uploaded_at DESC, id DESC LIMIT %s",
            (int(limit),),
        )
    else:
        rows = _run(
            f"SELECT {_COLUMNS} FROM uploads WHERE filename = %s"
            " ORDER BY uploaded_at DESC, id DESC LIMIT %s",
            (filename, int(limit)),
        )
    return [Upload.from_row(r) for r in rows]


def find_upload(filename: str, version_id: str | None = None) -> Upload | None:
    """The newest upload of ``filename``, or the one with that S3 version id."""
    if version_id is None:
        rows = _run(
            f"SELECT {_COLUMNS} FROM uploads WHERE filename = %s"
            " ORDER BY uploaded_at DESC, id DESC LIMIT 1",
            (filename,),
        )
    else:
        rows = _run(
            f"SELECT {_COLUMNS} FROM uploads WHERE filename = %s AND s3_version_id = %s"
            " ORDER BY id DESC LIMIT 1",
            (filename, version_id),
        )
    return Upload.from_row(rows[0]) if rows else None


# ------------------------------------------------------------------- schema


def init_db(app: Flask | None = None, wait: float = 0.0) -> None:
    """Create the schema (idempotent). ``wait``: keep retrying the connection for so
    many seconds (a fresh RDS instance may still be starting when the server boots)."""
    app = app or current_app._get_current_object()
    deadline = time.monotonic() + wait
    while True:
        try:
            conn = connect(app)
            break
        except DatabaseUnavailable as exc:
            if time.monotonic() >= deadline:
                raise
            log.warning("database not ready (%s); retrying", exc)
            time.sleep(2)
    try:
        with conn.cursor() as cur:
            cur.execute(SCHEMA)
    finally:
        conn.close()


@click.command("init-db")
@with_appcontext
@click.option(
    "--wait",
    default=0.0,
    show_default=True,
    type=float,
    help="Seconds to keep retrying while the database is unreachable.",
)
def init_db_command(wait: float) -> None:
    """Create the `uploads` table if it does not exist."""
    try:
        init_db(wait=wait)
    except DatabaseUnavailable as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo("Initialized the database (table `uploads`).")


def init_app(app: Flask) -> None:
    app.extensions["filestore.password"] = source = PasswordSource(app)
    if source.param:
        source.try_load()
    app.teardown_appcontext(close_db)
    app.cli.add_command(init_db_command)


def utcnow() -> datetime:
    return datetime.now(UTC)
