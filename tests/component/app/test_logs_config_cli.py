"""JSON request logs, configuration from the environment, SSM password, `flask init-db`."""

from __future__ import annotations

import json

import pytest
from apphelpers import PASSWORD_PARAM, upload

from app import create_app
from app.config import ConfigError, from_environ
from harness.emulator.ca import make_ca

# ------------------------------------------------------------------------- logs


def request_lines(out: str) -> list[dict]:
    lines = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    return [entry for entry in lines if entry.get("msg") == "request"]


@pytest.mark.mariadb
def test_one_json_line_per_request(client, capsys):
    capsys.readouterr()
    client.get("/healthz", headers={"X-Request-ID": "req-42"}, buffered=True)
    client.get("/api/files/nope.txt", buffered=True)
    [health, missing] = request_lines(capsys.readouterr().out)
    assert {"ts", "level", "method", "path", "status", "duration_ms", "bytes", "request_id"} <= set(
        health
    )
    assert (health["method"], health["path"], health["status"]) == ("GET", "/healthz", 200)
    assert health["request_id"] == "req-42"
    assert health["bytes"] > 0
    assert isinstance(health["duration_ms"], float)
    assert (missing["status"], missing["level"]) == (404, "info")
    assert len(missing["request_id"]) == 32  # generated


@pytest.mark.mariadb
def test_log_counts_streamed_bytes_and_unicode_paths(client, capsys):
    upload(client, b"z" * 5000, "猫.txt")
    capsys.readouterr()
    resp = client.get("/api/files/%E7%8C%AB.txt", buffered=True)
    assert resp.status_code == 200
    [entry] = request_lines(capsys.readouterr().out)
    assert entry["path"] == "/api/files/猫.txt"
    assert entry["bytes"] == 5000


@pytest.mark.mariadb
def test_hostile_request_id_is_replaced(client, capsys):
    capsys.readouterr()
    resp = client.get("/healthz", headers={"X-Request-ID": 'bad id {}"<>'}, buffered=True)
    assert resp.headers["X-Request-ID"] != 'bad id {}"<>'
    assert len(resp.headers["X-Request-ID"]) == 32
    out = capsys.readouterr().out
    assert all(line.startswith("{") for line in out.splitlines() if line)


@pytest.mark.mariadb
def test_server_errors_are_logged_at_error_level(client, capsys, monkeypatch):
    import app.routes.health as health

    def boom():
        raise RuntimeError("kaputt")

    monkeypatch.setattr(health, "get_storage", boom)
    capsys.readouterr()
    resp = client.get("/healthz", buffered=True)
    assert resp.status_code == 500
    assert resp.get_json() == {"error": "internal error; see the server log"}
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert any("kaputt" in line.get("exc", "") for line in lines)
    assert [e["level"] for e in lines if e["msg"] == "request"] == ["error"]


# ----------------------------------------------------------------------- config


def test_config_from_environment():
    cfg = from_environ(
        {
            "FILESTORE_BUCKET": "b",
            "AWS_DEFAULT_REGION": "eu-west-1",
            "FILESTORE_DB_PORT": "3307",
            "FILESTORE_MAX_UPLOAD_BYTES": "2048",
            "FILESTORE_AWS_ENDPOINT_URL": "http://127.0.0.1:5000",
        }
    )
    assert cfg["FILESTORE_BUCKET"] == "b"
    assert cfg["AWS_REGION"] == "eu-west-1"
    assert cfg["FILESTORE_DB_PORT"] == 3307
    assert cfg["FILESTORE_MAX_UPLOAD_BYTES"] == 2048
    assert cfg["FILESTORE_DB_HOST"] == "", "no default host (a missing one fails at start)"
    assert (
        from_environ({"AWS_REGION": "ap-south-1", "AWS_DEFAULT_REGION": "x"})["AWS_REGION"]
        == "ap-south-1"
    )


def test_bad_integer_is_a_clear_error():
    with pytest.raises(ConfigError, match="FILESTORE_DB_PORT must be an integer"):
        from_environ({"FILESTORE_DB_PORT": "abc"})


def test_bucket_is_required(clean_env, fake_aws_env):
    with pytest.raises(ConfigError, match="FILESTORE_BUCKET is required"):
        create_app()


def test_create_app_reads_the_environment(clean_env, fake_aws_env, monkeypatch, tmp_path):
    monkeypatch.setenv("FILESTORE_BUCKET", "env-bucket")
    monkeypatch.setenv("FILESTORE_DB_HOST", "db.example.internal:3310")
    monkeypatch.setenv("FILESTORE_MAX_UPLOAD_BYTES", "5000")
    monkeypatch.setenv("FILESTORE_DB_PASSWORD", "pw")
    monkeypatch.setenv("FILESTORE_DB_CA_FILE", str(make_ca(tmp_path).cert_path))
    app = create_app()
    assert app.config["FILESTORE_BUCKET"] == "env-bucket"
    assert (app.config["FILESTORE_DB_HOST"], app.config["FILESTORE_DB_PORT"]) == (
        "db.example.internal",
        3310,
    )
    assert app.config["MAX_CONTENT_LENGTH"] > 5000


# -------------------------------------------------------------------------- SSM


@pytest.mark.mariadb
def test_password_is_read_from_ssm_securestring(make_app, aws, mariadb):
    aws.ssm.put_parameter(Name=PASSWORD_PARAM, Value=mariadb.password, Type="SecureString")
    app = make_app(FILESTORE_DB_PASSWORD="", FILESTORE_DB_PASSWORD_PARAM=PASSWORD_PARAM)
    assert app.extensions["filestore.password"]._value == mariadb.password
    assert mariadb.password not in {str(v) for v in app.config.values()}
    assert app.test_client().get("/healthz").status_code == 200


@pytest.mark.mariadb
def test_ssm_parameter_wins_over_the_plain_password(make_app, aws, mariadb):
    aws.ssm.put_parameter(Name=PASSWORD_PARAM, Value=mariadb.password, Type="SecureString")
    app = make_app(FILESTORE_DB_PASSWORD="wrong", FILESTORE_DB_PASSWORD_PARAM=PASSWORD_PARAM)
    assert app.test_client().get("/healthz").status_code == 200


@pytest.mark.mariadb
def test_missing_ssm_parameter_does_not_stop_the_app_and_is_retried(make_app, aws, mariadb):
    app = make_app(FILESTORE_DB_PASSWORD="", FILESTORE_DB_PASSWORD_PARAM=PASSWORD_PARAM)
    client = app.test_client()
    resp = client.get("/healthz")
    assert resp.status_code == 503
    assert "password unavailable" in resp.get_json()["checks"]["database"]
    aws.ssm.put_parameter(Name=PASSWORD_PARAM, Value=mariadb.password, Type="SecureString")
    assert client.get("/healthz").status_code == 200


# ---------------------------------------------------------------------- init-db


@pytest.mark.mariadb
def test_init_db_creates_the_schema(app, db):
    with db.cursor() as cur:
        cur.execute("DROP TABLE uploads")
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    assert "Initialized the database" in result.output
    with db.cursor() as cur:
        cur.execute("SHOW COLUMNS FROM uploads")
        columns = {row[0]: row[1] for row in cur.fetchall()}
        cur.execute("SHOW INDEX FROM uploads")
        indexes = {(row[2], row[4]) for row in cur.fetchall()}
    assert set(columns) == {
        "id",
        "filename",
        "uploaded_at",
        "size",
        "sha256",
        "content_type",
        "s3_key",
        "s3_version_id",
    }
    assert columns["uploaded_at"] == "datetime(6)"
    assert ("ix_uploads_filename_uploaded_at", "filename") in indexes
    assert ("ix_uploads_filename_uploaded_at", "uploaded_at") in indexes
    # idempotent
    assert app.test_cli_runner().invoke(args=["init-db"]).exit_code == 0


@pytest.mark.mariadb
def test_init_db_reports_an_unreachable_database(make_app):
    from harness.net import free_port

    app = make_app(FILESTORE_DB_PORT=free_port())
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code != 0
    assert "cannot connect to the database" in result.output
