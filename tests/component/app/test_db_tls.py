"""The app reaches its database over TLS and verifies the server, as against RDS with the
RDS CA bundle: the CA file is a setting, the server's name must match its certificate,
and neither the database host nor the CA has a default."""

from __future__ import annotations

import pytest

from app import create_app
from app import db as app_db
from app.config import ConfigError
from harness.emulator.ca import make_ca


def _without(config: dict, *keys: str) -> dict:
    return {k: v for k, v in config.items() if k not in keys}


MINIMAL = {"TESTING": True, "FILESTORE_BUCKET": "b", "FILESTORE_DB_PASSWORD": "pw"}


def test_the_database_host_has_no_default(clean_env, tmp_path):
    ca = make_ca(tmp_path)
    with pytest.raises(ConfigError, match="FILESTORE_DB_HOST is required"):
        create_app({**MINIMAL, "FILESTORE_DB_CA_FILE": str(ca.cert_path)})


def test_the_ca_file_is_required_and_must_be_a_certificate_bundle(clean_env, tmp_path):
    base = {**MINIMAL, "FILESTORE_DB_HOST": "db.example.internal"}
    with pytest.raises(ConfigError, match="FILESTORE_DB_CA_FILE is required"):
        create_app(base)
    with pytest.raises(ConfigError, match="FILESTORE_DB_CA_FILE .*cannot be read"):
        create_app({**base, "FILESTORE_DB_CA_FILE": str(tmp_path / "missing.pem")})
    (tmp_path / "junk.pem").write_text("not a certificate\n")
    with pytest.raises(ConfigError, match="FILESTORE_DB_CA_FILE .*no CA certificate"):
        create_app({**base, "FILESTORE_DB_CA_FILE": str(tmp_path / "junk.pem")})


def test_the_environment_without_a_host_fails_at_start(clean_env, fake_aws_env, monkeypatch):
    monkeypatch.setenv("FILESTORE_BUCKET", "env-bucket")
    with pytest.raises(ConfigError, match="FILESTORE_DB_HOST is required"):
        create_app()


@pytest.mark.mariadb
def test_the_connection_is_encrypted_and_verified(app):
    with app.app_context():
        conn = app_db.connect()
        try:
            with conn.cursor() as cur:
                cur.execute("SHOW SESSION STATUS LIKE 'Ssl_version'")
                assert cur.fetchone()["Value"].startswith("TLSv1.")
        finally:
            conn.close()
        ctx = conn.ctx
    assert ctx.check_hostname is True, "the server's name is checked against its certificate"


@pytest.mark.mariadb
def test_a_server_whose_name_does_not_match_is_refused(make_app, mariadb):
    # the stand-in's certificate names "localhost"; the same server by its address is
    # another name, as a wrong endpoint would be
    app = make_app(FILESTORE_DB_HOST=mariadb.host)
    assert mariadb.host == "127.0.0.1" and "localhost" in mariadb.names
    resp = app.test_client().get("/healthz")
    assert resp.status_code == 503
    assert "certificate" in resp.get_json()["checks"]["database"].lower()
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code != 0 and "certificate" in result.output.lower()


@pytest.mark.mariadb
def test_a_server_signed_by_another_ca_is_refused(make_app, tmp_path):
    other = make_ca(tmp_path, "someone else")
    app = make_app(FILESTORE_DB_CA_FILE=str(other.cert_path))
    resp = app.test_client().get("/healthz")
    assert resp.status_code == 503
    assert "certificate verify failed" in resp.get_json()["checks"]["database"]


@pytest.mark.mariadb
def test_init_db_connects_over_verified_tls(app, db):
    with db.cursor() as cur:
        cur.execute("DROP TABLE uploads")
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    with db.cursor() as cur:
        cur.execute("SHOW TABLES LIKE 'uploads'")
        assert cur.fetchone()
