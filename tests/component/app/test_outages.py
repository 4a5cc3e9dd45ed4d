"""S3 or the database unavailable: fast 503, nothing half-stored, recovery without restart."""

from __future__ import annotations

import html

import pytest
from apphelpers import rows, upload

from app import db as app_db
from harness.net import free_port

pytestmark = pytest.mark.mariadb


@pytest.fixture
def s3_down(make_app):
    """The app pointed at a loopback port where nothing listens (a real S3 outage)."""
    return make_app(FILESTORE_AWS_ENDPOINT_URL=f"http://127.0.0.1:{free_port()}").test_client()


@pytest.fixture
def db_down(mariadb):
    """Stop the session's MariaDB; it is started again on the same port afterwards."""
    mariadb.stop()
    try:
        yield mariadb
    finally:
        if not mariadb.running():
            mariadb.start()


# ----------------------------------------------------------------------------- S3


def test_s3_down_upload_is_503_and_no_row(s3_down, db):
    resp = upload(s3_down, b"data", "a.txt")
    assert resp.status_code == 503
    body = resp.get_json()
    assert body["dependency"] == "s3"
    assert "nothing was stored" in body["error"]
    assert resp.headers["Retry-After"]
    assert rows(db) == []


def test_s3_down_form_upload_shows_a_readable_page(s3_down, db):
    resp = upload(s3_down, b"data", "a.txt", path="/upload")
    assert resp.status_code == 503
    assert resp.mimetype == "text/html"
    assert "storage unavailable, nothing was stored" in html.unescape(resp.get_data(as_text=True))
    assert rows(db) == []


def test_s3_down_download_is_503(make_app, client):
    upload(client, b"data", "a.txt")
    down = make_app(FILESTORE_AWS_ENDPOINT_URL=f"http://127.0.0.1:{free_port()}").test_client()
    resp = down.get("/api/files/a.txt")
    assert resp.status_code == 503
    assert resp.get_json()["dependency"] == "s3"


def test_s3_down_healthz_is_503(s3_down):
    resp = s3_down.get("/healthz")
    assert resp.status_code == 503
    body = resp.get_json()
    assert body["status"] == "unavailable"
    assert body["failed"] == ["s3"]
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["s3"].startswith("unavailable")


def test_bucket_gone_is_503_and_no_row(client, aws, db):
    aws.s3.delete_bucket(Bucket=aws.bucket)  # the fixture recreates it for the next test
    resp = upload(client, b"data", "a.txt")
    assert resp.status_code == 503
    assert "NoSuchBucket" in resp.get_json()["error"]
    assert rows(db) == []


# ----------------------------------------------------------------------- database


def test_db_down_upload_is_503_writes_nothing_and_recovers(client, aws, db_down):
    resp = upload(client, b"data", "a.txt")
    assert resp.status_code == 503
    assert resp.get_json()["dependency"] == "database"
    assert aws.versions() == []  # checked before anything went to S3

    health = client.get("/healthz")
    assert health.status_code == 503
    assert health.get_json()["failed"] == ["database"]
    assert client.get("/api/files").status_code == 503
    assert client.get("/api/files/a.txt").status_code == 503
    page = client.get("/")
    assert page.status_code == 200  # the form still works as a page
    assert "database cannot be reached" in page.get_data(as_text=True)

    db_down.start()  # same port: the same app, without a restart, recovers
    assert client.get("/healthz").status_code == 200
    resp = upload(client, b"data", "a.txt")
    assert resp.status_code == 201
    assert client.get("/api/files/a.txt").data == b"data"
    assert len(aws.versions()) == 1


def test_db_lost_after_s3_upload_rolls_the_object_back(client, aws, mariadb, monkeypatch):
    """The database dies between the S3 upload and the INSERT: the exact object
    version just written is deleted again (no orphan), and the client gets 503."""
    upload(client, b"older", "a.txt")  # an earlier version that must survive
    [older] = aws.versions("a.txt")
    real_insert = app_db.insert_upload

    def insert_after_outage(**kwargs):
        mariadb.stop()
        return real_insert(**kwargs)

    monkeypatch.setattr(app_db, "insert_upload", insert_after_outage)
    try:
        resp = upload(client, b"newer", "a.txt")
    finally:
        mariadb.start()
    assert resp.status_code == 503
    body = resp.get_json()
    assert body["dependency"] == "database"
    assert "rolled back" in body["error"]

    versions = aws.versions("a.txt")
    assert [v["VersionId"] for v in versions] == [older["VersionId"]]
    assert versions[0].get("IsLatest", True)
    conn = mariadb.connect()
    try:
        assert [r["size"] for r in rows(conn)] == [5]
    finally:
        conn.close()
    monkeypatch.setattr(app_db, "insert_upload", real_insert)
    assert client.get("/api/files/a.txt").data == b"older"


def test_failed_rollback_is_logged_as_orphan(client, aws, monkeypatch, capsys):
    def broken_insert(**_kwargs):
        raise app_db.DatabaseUnavailable("simulated")

    def broken_delete(*_args, **_kwargs):
        raise RuntimeError("S3 went away too")

    monkeypatch.setattr(app_db, "insert_upload", broken_insert)
    storage = client.application.extensions["filestore.storage"]
    monkeypatch.setattr(storage, "delete_version", broken_delete)
    resp = upload(client, b"data", "a.txt")
    assert resp.status_code == 503
    out = capsys.readouterr().out
    [version] = aws.versions("a.txt")
    assert "ORPHAN" in out
    assert version["VersionId"] in out
    # the answer tells the truth: the object is still there, without a row
    error = resp.get_json()["error"]
    assert "rolled back" not in error.replace("could not be rolled back", "")
    assert "could not be rolled back" in error
    assert version["VersionId"] in error
