"""Versioning, Unicode round trips and streaming through the managed transfer."""

from __future__ import annotations

import hashlib
import os
import unicodedata
from urllib.parse import quote

import pytest
from apphelpers import rows, upload

pytestmark = pytest.mark.mariadb


def test_reupload_creates_a_new_version_and_a_new_row(client, aws, db):
    first = upload(client, b"version one", "doc.txt").get_json()
    second = upload(client, b"version two!", "doc.txt").get_json()
    assert first["version_id"] != second["version_id"]

    recorded = rows(db, "doc.txt")
    assert [r["s3_version_id"] for r in recorded] == [first["version_id"], second["version_id"]]
    assert [r["size"] for r in recorded] == [11, 12]
    assert {v["VersionId"] for v in aws.versions("doc.txt")} == {
        first["version_id"],
        second["version_id"],
    }

    # newest by default, every version by id
    assert client.get("/api/files/doc.txt").data == b"version two!"
    old = client.get(f"/api/files/doc.txt?version_id={first['version_id']}")
    assert old.data == b"version one"
    assert old.headers["X-Version-Id"] == first["version_id"]
    assert old.headers["X-Content-SHA256"] == hashlib.sha256(b"version one").hexdigest()
    assert (
        client.get(f"/download/doc.txt?version_id={second['version_id']}").data == b"version two!"
    )


def test_list_shows_every_version(client):
    upload(client, b"a", "same.txt")
    upload(client, b"bb", "same.txt")
    listing = client.get("/api/files?filename=same.txt").get_json()
    assert [f["size"] for f in listing] == [2, 1]
    for entry in listing:
        assert client.get(entry["url"]).data == {1: b"a", 2: b"bb"}[entry["size"]]


@pytest.mark.parametrize(
    "name",
    ["résumé 2024.pdf", "猫.png", "Ünïcödé ✓ 🎉.txt", "日本語のファイル名.txt", "Ελληνικά.doc"],
)
def test_unicode_names_round_trip(client, aws, db, name):
    content = name.encode() * 3
    resp = upload(client, content, name)
    assert resp.status_code == 201
    assert resp.get_json()["filename"] == name
    assert rows(db)[0]["filename"] == name
    assert aws.versions()[0]["Key"] == name
    got = client.get("/api/files/" + quote(name))
    assert got.status_code == 200
    assert got.data == content
    assert f"filename*=UTF-8''{quote(name, safe='')}" in got.headers["Content-Disposition"]
    listing = client.get("/api/files").get_json()
    assert listing[0]["filename"] == name


def test_decomposed_name_is_stored_nfc_and_found_either_way(client, db):
    nfd = unicodedata.normalize("NFD", "café.txt")
    resp = upload(client, b"coffee", nfd)
    assert resp.get_json()["filename"] == "café.txt"
    assert rows(db)[0]["filename"] == "café.txt"
    assert client.get("/api/files/" + quote(nfd)).data == b"coffee"
    assert client.get("/api/files/" + quote("café.txt")).data == b"coffee"


def test_names_differing_only_in_case_or_accents_are_distinct(client):
    for name in ("Readme.txt", "README.txt", "resume.txt", "résumé.txt"):
        assert upload(client, name.encode(), name).status_code == 201
    for name in ("Readme.txt", "README.txt", "resume.txt", "résumé.txt"):
        assert client.get("/api/files/" + quote(name)).data == name.encode()


def test_multipart_transfer_streams_and_hashes(make_app, aws, db):
    # 20 MiB: above the 8 MiB threshold, so boto3 uses a 3-part multipart upload.
    client = make_app(FILESTORE_MAX_UPLOAD_BYTES=64 * 1024 * 1024).test_client()
    content = os.urandom(20 * 1024 * 1024)
    resp = upload(client, content, "big.bin", content_type="application/octet-stream")
    assert resp.status_code == 201
    data = resp.get_json()
    assert data["size"] == len(content)
    assert data["sha256"] == hashlib.sha256(content).hexdigest()
    [version] = aws.versions("big.bin")
    assert version["VersionId"] == data["version_id"]
    assert version["ETag"].strip('"').endswith("-3")  # multipart ETag: 3 parts

    got = client.get("/api/files/big.bin")
    assert got.headers["Content-Length"] == str(len(content))
    assert hashlib.sha256(got.data).digest() == hashlib.sha256(content).digest()
    assert rows(db)[0]["sha256"] == data["sha256"]
