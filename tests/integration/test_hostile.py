"""Hostile clients of the deployed app (issue 12), each ending clean: nothing half-stored
(no object, no row), and the app serves the next client without a restart.

One of the main stack's modules (see conftest), after the browser: the app here is the
instance's, deployed by its user_data.
"""

from __future__ import annotations

import socket
import time
import uuid
from urllib.parse import urlsplit

import pytest
import requests

pytestmark = pytest.mark.integration

BOUNDARY = "hostile-client-boundary"
MIB = 1024 * 1024
MULTIPART_THRESHOLD = 8 * MIB  # the app's TransferConfig (app/storage.py)


def _part_head(name: str) -> bytes:
    return (
        f"--{BOUNDARY}\r\n"
        f'Content-Disposition: form-data; name="file"; filename="{name}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()


def _versions(deployment, name: str) -> list[dict]:
    answer = deployment.client("s3").list_object_versions(
        Bucket=deployment.outputs["bucket_name"], Prefix=name
    )
    return answer.get("Versions", []) + answer.get("DeleteMarkers", [])


def _rows(deployment, name: str) -> list[tuple]:
    conn = deployment.db()
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT id FROM uploads WHERE filename = %s", (name,))
            return list(cur.fetchall())
    finally:
        conn.close()


def _assert_nothing_stored(deployment, name: str) -> None:
    assert _versions(deployment, name) == [], "an object (or version) was left in S3"
    assert _rows(deployment, name) == [], "a row was left in the database"
    listed = requests.get(f"{deployment.app_url}/api/files", timeout=30).json()
    assert name not in str(listed)


def _assert_serves_the_next_client(deployment) -> None:
    name = f"after-{uuid.uuid4().hex[:8]}.txt"
    made = requests.post(
        f"{deployment.app_url}/api/files", files={"file": (name, b"fine\n")}, timeout=60
    )
    assert made.status_code == 201, made.text[:500]
    assert requests.get(f"{deployment.app_url}/api/files/{name}", timeout=60).content == b"fine\n"


def _multipart_uploads(deployment, name: str) -> list[dict]:
    answer = deployment.client("s3").list_multipart_uploads(
        Bucket=deployment.outputs["bucket_name"], Prefix=name
    )
    return answer.get("Uploads", [])


def test_a_client_that_disconnects_mid_upload_leaves_no_object_and_no_row(deployment):
    """More than the app's multipart threshold (8 MiB, app/storage.py) arrives before the
    client goes: S3 holds a multipart upload in progress, which the app must abort."""
    name = f"disconnect-{uuid.uuid4().hex[:8]}.bin"
    head, tail = _part_head(name), f"\r\n--{BOUNDARY}--\r\n".encode()
    declared, sent = 24 * MIB, 12 * MIB
    assert sent > MULTIPART_THRESHOLD
    url = urlsplit(deployment.app_url)
    with socket.create_connection((url.hostname, url.port or 80), timeout=30) as sock:
        sock.sendall(
            (
                "POST /api/files HTTP/1.1\r\n"
                f"Host: {url.netloc}\r\n"
                f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
                f"Content-Length: {len(head) + declared + len(tail)}\r\n\r\n"
            ).encode()
            + head
        )
        for _ in range(sent // MIB):  # half of the file, then the client is gone
            sock.sendall(b"x" * MIB)
        deadline = time.monotonic() + 60
        while not _multipart_uploads(deployment, name):  # the first part is on its way
            assert time.monotonic() < deadline, "no multipart upload began past the threshold"
            time.sleep(0.5)
    deadline = time.monotonic() + 30  # the worker sees the end of the stream at once
    while _multipart_uploads(deployment, name) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert _multipart_uploads(deployment, name) == [], "a multipart upload was left in S3"
    _assert_nothing_stored(deployment, name)
    _assert_serves_the_next_client(deployment)


@pytest.mark.emulator_only  # the database is the harness's MariaDB standing in for RDS
def test_an_upload_interrupted_by_stopping_the_database_is_rolled_back(deployment):
    """The database goes away after the app checked it, while the file streams to S3:
    the object just written is deleted again (compensation), 503, no row; once the
    database is back the app serves again, without a restart."""
    name = f"db-stopped-{uuid.uuid4().hex[:8]}.bin"
    db = deployment.db_server
    half = b"y" * (256 * 1024)

    def body():
        yield _part_head(name) + half
        time.sleep(3)  # the app has read the part's head and checked the database
        db.stop()
        yield half + f"\r\n--{BOUNDARY}--\r\n".encode()

    try:
        answer = requests.post(
            f"{deployment.app_url}/api/files",
            data=body(),
            headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
            timeout=120,
        )
    finally:
        if not db.running():
            db.start()
    assert answer.status_code == 503, answer.text[:500]
    assert answer.json()["dependency"] == "database", answer.text[:500]
    assert "rolled back" in answer.text, "the database was stopped before the app checked it"
    _assert_nothing_stored(deployment, name)
    _assert_serves_the_next_client(deployment)
