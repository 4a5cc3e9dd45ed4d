"""Fixtures for the Flask app: moto in-process for S3/SSM, a real MariaDB per session
(per xdist worker), layered ``app`` -> ``client``."""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from apphelpers import BUCKET, PASSWORD_PARAM
from moto import mock_aws

from app import create_app
from app.db import SCHEMA
from harness.emulator.clients import DEFAULT_REGION, FAKE_CREDENTIALS
from harness.emulator.launcher import MotoServer
from harness.stack.local_app import AppServer
from harness.stack.standins import MariaDB, TlsMariaDB

# The database's name for the app: the stand-in's certificate names it; the harness's own
# connections (``mariadb.connect()``) use the address and verify the CA only.
DB_NAME = "localhost"


@dataclass
class Aws:
    s3: Any
    ssm: Any
    bucket: str = BUCKET

    def versions(self, key: str | None = None) -> list[dict]:
        """Every object version and delete marker in the bucket (optionally one key)."""
        resp = self.s3.list_object_versions(Bucket=self.bucket)
        found = resp.get("Versions", []) + resp.get("DeleteMarkers", [])
        return [v for v in found if key is None or v["Key"] == key]


@pytest.fixture(scope="session")
def mariadb():
    """A real MariaDB server for the session (one per xdist worker: free port, own dir),
    as RDS with require_secure_transport: TLS only, its certificate from the emulator CA
    for the name the app is given (``DB_NAME``)."""
    server = TlsMariaDB(names=(DB_NAME,))
    server.start()
    conn = server.connect()
    try:
        with conn.cursor() as cur:
            cur.execute(SCHEMA)
    finally:
        conn.close()
    try:
        yield server
    finally:
        server.destroy()


@pytest.fixture(scope="session")
def _moto():
    """moto in-process for the whole session (its backends are slow to set up anew for
    every test); ``aws`` empties the bucket around each test."""
    env = {**FAKE_CREDENTIALS, "AWS_DEFAULT_REGION": DEFAULT_REGION}
    with pytest.MonkeyPatch.context() as mp:
        for key in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
            mp.delenv(key, raising=False)
        for key, value in env.items():
            mp.setenv(key, value)
        with mock_aws():
            yield Aws(
                s3=boto3.client("s3", region_name=DEFAULT_REGION),
                ssm=boto3.client("ssm", region_name=DEFAULT_REGION),
            )


def _reset(aws: Aws) -> None:
    names = [b["Name"] for b in aws.s3.list_buckets().get("Buckets", [])]
    for name in names:
        for page in aws.s3.get_paginator("list_object_versions").paginate(Bucket=name):
            doomed = [
                {"Key": v["Key"], "VersionId": v["VersionId"]}
                for v in page.get("Versions", []) + page.get("DeleteMarkers", [])
            ]
            if doomed:
                aws.s3.delete_objects(Bucket=name, Delete={"Objects": doomed})
        if name != BUCKET:
            aws.s3.delete_bucket(Bucket=name)
    if BUCKET not in names:
        aws.s3.create_bucket(Bucket=BUCKET)
        aws.s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    params = aws.ssm.describe_parameters().get("Parameters", [])
    if params:
        aws.ssm.delete_parameters(Names=[p["Name"] for p in params])


@pytest.fixture
def aws(_moto):
    """moto in-process: an empty versioned bucket ``BUCKET`` and no SSM parameters."""
    _reset(_moto)
    return _moto


def base_config(mariadb: MariaDB, **overrides) -> dict:
    config = {
        "TESTING": True,
        "FILESTORE_BUCKET": BUCKET,
        "AWS_REGION": DEFAULT_REGION,
        "FILESTORE_AWS_ENDPOINT_URL": "",
        "FILESTORE_DB_HOST": DB_NAME,
        "FILESTORE_DB_PORT": mariadb.port,
        "FILESTORE_DB_CA_FILE": str(mariadb.ca.cert_path),
        "FILESTORE_DB_NAME": mariadb.database,
        "FILESTORE_DB_USER": mariadb.user,
        "FILESTORE_DB_PASSWORD": mariadb.password,
        "FILESTORE_DB_PASSWORD_PARAM": "",
        "FILESTORE_MAX_UPLOAD_BYTES": 1024 * 1024,
        "FILESTORE_DB_CONNECT_TIMEOUT": 2,
        "FILESTORE_S3_CONNECT_TIMEOUT": 1,
        "FILESTORE_S3_MAX_ATTEMPTS": 1,
    }
    config.update(overrides)
    return config


@pytest.fixture
def clean_env(monkeypatch):
    """No FILESTORE_* settings leak in from the shell running the tests."""
    for key in list(os.environ):
        if key.startswith("FILESTORE_"):
            monkeypatch.delenv(key)


@pytest.fixture
def make_app(mariadb, aws, clean_env, db):
    """Factory for app variants: ``make_app(FILESTORE_MAX_UPLOAD_BYTES=10)``."""

    def _make(**overrides):
        return create_app(base_config(mariadb, **overrides))

    return _make


@pytest.fixture
def db(mariadb):
    """A connection to the test database, whose ``uploads`` table starts empty."""
    conn = mariadb.connect(autocommit=True)
    with conn.cursor() as cur:
        cur.execute(SCHEMA)  # a no-op unless a test dropped the table
        cur.execute("DELETE FROM uploads")
    try:
        yield conn
    finally:
        conn.close()


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


# ------------------------------------------------------------- real HTTP server


@pytest.fixture(scope="session")
def moto_server():
    """A moto *server* (its own process): what gunicorn and the browser talk to."""
    server = MotoServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@dataclass
class LiveServer:
    url: str
    log_path: Path
    moto: MotoServer
    bucket: str

    def log_lines(self) -> list[dict]:
        out = []
        for line in self.log_path.read_text(errors="replace").splitlines():
            if line.startswith("{"):
                out.append(json.loads(line))
        return out

    def versions(self, key: str | None = None) -> list[dict]:
        resp = self.moto.client("s3").list_object_versions(Bucket=self.bucket)
        found = resp.get("Versions", []) + resp.get("DeleteMarkers", [])
        return [v for v in found if key is None or v["Key"] == key]


def live_env(moto: MotoServer, mariadb: MariaDB, bucket: str, **extra) -> dict:
    """The app's configuration for a gunicorn run against the moto server and MariaDB."""
    env = dict(FAKE_CREDENTIALS)
    env.update(
        {
            "AWS_DEFAULT_REGION": moto.region,
            "FILESTORE_BUCKET": bucket,
            "FILESTORE_AWS_ENDPOINT_URL": moto.url,
            "FILESTORE_DB_HOST": DB_NAME,
            "FILESTORE_DB_PORT": str(mariadb.port),
            "FILESTORE_DB_CA_FILE": str(mariadb.ca.cert_path),
            "FILESTORE_DB_NAME": mariadb.database,
            "FILESTORE_DB_USER": mariadb.user,
            "FILESTORE_DB_PASSWORD_PARAM": PASSWORD_PARAM,
            "FILESTORE_MAX_UPLOAD_BYTES": str(32 * 1024 * 1024),
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra)
    return env


@pytest.fixture(scope="session")
def live_server(moto_server, mariadb, tmp_path_factory):
    """gunicorn serving the app against the moto server and MariaDB, the password
    read from an SSM SecureString as on the instance."""
    bucket = "filestore-live-" + uuid.uuid4().hex[:8]
    s3 = moto_server.client("s3")
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    moto_server.client("ssm").put_parameter(
        Name=PASSWORD_PARAM, Value=mariadb.password, Type="SecureString", Overwrite=True
    )
    log_path = tmp_path_factory.mktemp("gunicorn") / "gunicorn.log"
    with AppServer(live_env(moto_server, mariadb, bucket), log_path=log_path) as server:
        yield LiveServer(url=server.url, log_path=log_path, moto=moto_server, bucket=bucket)
