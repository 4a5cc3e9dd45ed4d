"""Every route through the Flask test client (moto in-process + real MariaDB)."""

from __future__ import annotations

import hashlib
from urllib.parse import quote

import pytest
from apphelpers import multipart, rows, upload

pytestmark = pytest.mark.mariadb


def test_home_page_has_the_upload_form(client):
    resp = client.get("/")
    assert resp.status_code == 200
    assert resp.mimetype == "text/html"
    html = resp.get_data(as_text=True)
    assert (
        '<form class="upload-form" method="post" action="/upload" enctype="multipart/form-data">'
        in html
    )
    assert 'name="file" type="file"' in html
    assert "Nothing uploaded yet" in html
    assert "default-src 'self'" in resp.headers["Content-Security-Policy"]


def test_home_page_lists_recent_uploads_newest_first(client):
    for name in ("first.txt", "second.txt", "猫.png"):
        assert upload(client, name.encode(), name).status_code == 201
    html = client.get("/").get_data(as_text=True)
    positions = [html.index(f">{name}</a>") for name in ("猫.png", "second.txt", "first.txt")]
    assert positions == sorted(positions)
    assert f'href="/download/{quote("猫.png")}?version_id=' in html


def test_static_stylesheet_is_served(client):
    resp = client.get("/static/style.css")
    assert resp.status_code == 200
    assert resp.mimetype == "text/css"


def test_form_upload_shows_a_confirmation_page(client, db, aws):
    body, ctype = multipart(b"form bytes", "notes.txt")
    resp = client.post("/upload", data=body, content_type=ctype)
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "Upload complete" in html
    assert "notes.txt" in html
    assert hashlib.sha256(b"form bytes").hexdigest() in html
    [row] = rows(db)
    assert row["filename"] == "notes.txt"
    assert f'href="/download/notes.txt?version_id={row["s3_version_id"]}"' in html
    assert len(aws.versions("notes.txt")) == 1


def test_download_page_route_streams_the_file(client):
    upload(client, b"abc" * 1000, "data.csv", content_type="text/csv")
    resp = client.get("/download/data.csv")
    assert resp.status_code == 200
    assert resp.data == b"abc" * 1000
    assert resp.headers["Content-Type"] == "text/csv"
    assert resp.headers["Content-Length"] == "3000"
    assert resp.headers["Content-Disposition"] == 'attachment; filename="data.csv"'


def test_api_upload_returns_201_with_metadata(client, db, aws):
    content = b"%PDF-1.4 pretend"
    resp = upload(client, content, "report.pdf", content_type="application/pdf")
    assert resp.status_code == 201
    data = resp.get_json()
    assert {"filename", "size", "sha256", "content_type", "uploaded_at", "version_id"} <= set(data)
    assert data["filename"] == "report.pdf"
    assert data["size"] == len(content)
    assert data["sha256"] == hashlib.sha256(content).hexdigest()
    assert data["content_type"] == "application/pdf"
    assert data["uploaded_at"].endswith("+00:00")
    [version] = aws.versions("report.pdf")
    assert data["version_id"] == version["VersionId"]
    assert resp.headers["Location"] == f"/api/files/report.pdf?version_id={version['VersionId']}"
    [row] = rows(db)
    assert (row["filename"], row["size"], row["sha256"], row["s3_version_id"]) == (
        "report.pdf",
        len(content),
        data["sha256"],
        version["VersionId"],
    )
    assert row["uploaded_at"].isoformat() == data["uploaded_at"].removesuffix("+00:00")
    head = aws.s3.head_object(Bucket=aws.bucket, Key="report.pdf")
    assert head["ContentType"] == "application/pdf"


def test_api_list_files(client):
    assert client.get("/api/files").get_json() == []
    upload(client, b"1", "a.txt")
    upload(client, b"22", "b.txt")
    upload(client, b"333", "a.txt")
    listing = client.get("/api/files").get_json()
    assert [(f["filename"], f["size"]) for f in listing] == [
        ("a.txt", 3),
        ("b.txt", 2),
        ("a.txt", 1),
    ]
    assert client.get("/api/files?limit=1").get_json()[0]["size"] == 3
    only_a = client.get("/api/files?filename=a.txt").get_json()
    assert [f["size"] for f in only_a] == [3, 1]


@pytest.mark.parametrize("limit", ["0", "-1", "1001", "abc"])
def test_api_list_rejects_bad_limits(client, limit):
    resp = client.get(f"/api/files?limit={limit}")
    assert resp.status_code == 400
    assert "limit" in resp.get_json()["error"]


def test_api_download_headers(client):
    content = bytes(range(256)) * 40
    upload(client, content, "猫.png", content_type="image/png")
    resp = client.get(f"/api/files/{quote('猫.png')}")
    assert resp.status_code == 200
    assert resp.data == content
    assert resp.headers["Content-Type"] == "image/png"
    assert resp.headers["Content-Length"] == str(len(content))
    assert resp.headers["Content-Disposition"] == (
        "attachment; filename=\"_.png\"; filename*=UTF-8''%E7%8C%AB.png"
    )
    assert resp.headers["X-Content-SHA256"] == hashlib.sha256(content).hexdigest()
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in resp.headers["Content-Security-Policy"]


def test_api_download_head_request(client):
    upload(client, b"12345", "five.txt")
    resp = client.head("/api/files/five.txt")
    assert resp.status_code == 200
    assert resp.headers["Content-Length"] == "5"
    assert resp.data == b""


@pytest.mark.parametrize("path", ["/api/files/missing.txt", "/download/missing.txt"])
def test_unknown_file_is_404(client, path):
    resp = client.get(path)
    assert resp.status_code == 404
    if path.startswith("/api/"):
        assert resp.get_json() == {"error": "no file named 'missing.txt'"}
    else:
        assert resp.mimetype == "text/html"
        assert "no file named" in resp.get_data(as_text=True)


def test_unknown_version_is_404(client):
    upload(client, b"x", "x.txt")
    resp = client.get("/api/files/x.txt?version_id=nope")
    assert resp.status_code == 404
    assert "no version" in resp.get_json()["error"]


def test_unknown_route_is_404_json_under_api_and_html_elsewhere(client):
    assert client.get("/api/nothing").get_json()["error"]
    resp = client.get("/nothing-here")
    assert resp.status_code == 404
    assert "Back to the upload page" in resp.get_data(as_text=True)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PUT", "/api/files"),
        ("DELETE", "/api/files"),
        ("DELETE", "/api/files/a.txt"),
        ("POST", "/api/files/a.txt"),
        ("GET", "/upload"),
        ("POST", "/"),
        ("POST", "/download/a.txt"),
        ("POST", "/healthz"),
    ],
)
def test_wrong_method_is_405(client, method, path):
    resp = client.open(path, method=method)
    assert resp.status_code == 405
    assert resp.headers["Allow"]
    if path.startswith("/api/") or path == "/healthz":
        assert resp.get_json()["error"]
    else:
        assert "Method Not Allowed" in resp.get_data(as_text=True)


def test_healthz_ok(client):
    resp = client.get("/healthz")
    assert resp.status_code == 200
    assert resp.get_json() == {"status": "ok", "checks": {"s3": "ok", "database": "ok"}}


def test_request_id_is_echoed(client):
    resp = client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert resp.headers["X-Request-ID"] == "abc-123"
