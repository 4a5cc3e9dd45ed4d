"""Helpers shared by the app tests (fixtures live in conftest.py)."""

from __future__ import annotations

import uuid

BUCKET = "filestore-unit-test"
PASSWORD_PARAM = "/filestore/test/unit/db/password"


def rows(conn, filename: str | None = None) -> list[dict]:
    import pymysql.cursors

    with conn.cursor(pymysql.cursors.DictCursor) as cur:
        if filename is None:
            cur.execute("SELECT * FROM uploads ORDER BY id")
        else:
            cur.execute("SELECT * FROM uploads WHERE filename = %s ORDER BY id", (filename,))
        return list(cur.fetchall())


def multipart(
    content: bytes,
    filename: str | None = "hello.txt",
    *,
    content_type: str = "text/plain",
    field: str = "file",
    disposition: str | None = None,
) -> tuple[bytes, str]:
    """A multipart/form-data body built by hand, so tests control every header byte.
    ``disposition`` replaces the whole Content-Disposition value when given."""
    boundary = "----filestore" + uuid.uuid4().hex
    if disposition is None:
        disposition = f'form-data; name="{field}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
    head = (
        f"--{boundary}\r\nContent-Disposition: {disposition}\r\n"
        f"Content-Type: {content_type}\r\n\r\n"
    ).encode()
    body = head + content + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def upload(client, content: bytes, filename: str = "hello.txt", path: str = "/api/files", **kw):
    body, ctype = multipart(content, filename, **kw)
    return client.post(path, data=body, content_type=ctype)
