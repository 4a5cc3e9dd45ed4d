"""Smoke test of the production setup: real gunicorn (app/gunicorn.conf.py) on a
loopback port, the moto server for S3/SSM, MariaDB; traffic through `requests`."""

from __future__ import annotations

import hashlib
import os
import uuid
from urllib.parse import quote

import pytest
import requests
from apphelpers import rows

from harness.wait import wait_for

pytestmark = pytest.mark.mariadb


class StreamingMultipart:
    """A multipart/form-data body generated chunk by chunk, with a known length, so
    requests streams it with a Content-Length instead of building it in memory."""

    def __init__(self, filename: str, size: int, seed: bytes = b"", chunk: int = 1 << 20):
        self.boundary = uuid.uuid4().hex
        self.size = size
        self._chunk = chunk
        self._seed = seed or os.urandom(chunk)
        self._head = (
            f'--{self.boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
        ).encode()
        self._tail = f"\r\n--{self.boundary}--\r\n".encode()
        self.sha256 = hashlib.sha256()

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"

    def __len__(self) -> int:
        return len(self._head) + self.size + len(self._tail)

    def __iter__(self):
        yield self._head
        left = self.size
        while left > 0:
            piece = self._seed[: min(left, self._chunk)]
            self.sha256.update(piece)
            left -= len(piece)
            yield piece
        yield self._tail


def test_healthz(live_server):
    resp = requests.get(f"{live_server.url}/healthz", timeout=10)
    assert resp.status_code == 200
    assert resp.json()["status"] == "ok"
    assert resp.headers["Server"].startswith("gunicorn")


def test_upload_and_download_through_gunicorn(live_server, db):
    name = f"smoke-{uuid.uuid4().hex[:6]} 猫.txt"
    content = b"hello from requests\n" * 100
    resp = requests.post(
        f"{live_server.url}/api/files",
        files={"file": (name, content, "text/plain")},
        timeout=30,
    )
    assert resp.status_code == 201, resp.text
    meta = resp.json()
    assert meta["filename"] == name
    assert meta["sha256"] == hashlib.sha256(content).hexdigest()

    got = requests.get(f"{live_server.url}/api/files/{quote(name)}", timeout=30)
    assert got.status_code == 200
    assert got.content == content
    assert got.headers["Content-Type"] == "text/plain"
    assert got.headers["Content-Length"] == str(len(content))
    assert "filename*=UTF-8''" in got.headers["Content-Disposition"]

    [row] = rows(db, name)
    assert row["s3_version_id"] == meta["version_id"]
    assert [v["VersionId"] for v in live_server.versions(name)] == [meta["version_id"]]


def test_form_upload_page_through_gunicorn(live_server):
    resp = requests.post(
        f"{live_server.url}/upload",
        files={"file": ("page.txt", b"via the form", "text/plain")},
        timeout=30,
    )
    assert resp.status_code == 200
    assert "Upload complete" in resp.text
    assert "text/html" in resp.headers["Content-Type"]
    assert (
        requests.get(f"{live_server.url}/download/page.txt", timeout=30).content == b"via the form"
    )


def test_streamed_multipart_upload_and_download(live_server):
    """20 MiB streamed in and out: the multipart S3 path over real sockets."""
    body = StreamingMultipart("stream.bin", 20 * 1024 * 1024)
    resp = requests.post(
        f"{live_server.url}/api/files",
        data=body,
        headers={"Content-Type": body.content_type},
        timeout=120,
    )
    assert resp.status_code == 201, resp.text
    assert resp.json()["size"] == body.size
    assert resp.json()["sha256"] == body.sha256.hexdigest()

    digest = hashlib.sha256()
    with requests.get(f"{live_server.url}/api/files/stream.bin", stream=True, timeout=120) as got:
        assert got.headers["Content-Length"] == str(body.size)
        for chunk in got.iter_content(1 << 20):
            digest.update(chunk)
    assert digest.hexdigest() == body.sha256.hexdigest()


@pytest.mark.parametrize(
    ("name", "status"), [("../etc/passwd", 400), ("ok.txt", 404)], ids=["hostile", "unknown"]
)
def test_errors_are_json_through_gunicorn(live_server, name, status):
    if status == 400:
        resp = requests.post(
            f"{live_server.url}/api/files", files={"file": (name, b"x")}, timeout=30
        )
    else:
        resp = requests.get(f"{live_server.url}/api/files/never-{uuid.uuid4().hex}", timeout=30)
    assert resp.status_code == status
    assert "error" in resp.json()
    assert requests.put(f"{live_server.url}/api/files", timeout=30).status_code == 405


def test_over_the_limit_is_413_through_gunicorn(live_server):
    body = StreamingMultipart("huge.bin", 33 * 1024 * 1024)  # limit is 32 MiB
    try:
        resp = requests.post(
            f"{live_server.url}/api/files",
            data=body,
            headers={"Content-Type": body.content_type},
            timeout=60,
        )
    except requests.ConnectionError:
        pytest.fail("the server reset the connection instead of answering 413")
    assert resp.status_code == 413
    assert live_server.versions("huge.bin") == []


def test_json_access_log_on_stdout(live_server):
    rid = "smoke-" + uuid.uuid4().hex
    requests.get(f"{live_server.url}/healthz", headers={"X-Request-ID": rid}, timeout=10)

    def logged() -> list[dict]:
        return [e for e in live_server.log_lines() if e.get("request_id") == rid]

    # the line is written when the response has been sent, so it may trail the reply
    wait_for(lambda: bool(logged()), timeout=10, what="the request's log line")
    lines = logged()
    assert len(lines) == 1
    entry = lines[0]
    assert (entry["method"], entry["path"], entry["status"]) == ("GET", "/healthz", 200)
    assert entry["duration_ms"] >= 0 and entry["bytes"] > 0
    # gunicorn's own access log is off: no Apache-style lines
    text = live_server.log_path.read_text()
    assert '"GET /healthz HTTP/1.1"' not in text
