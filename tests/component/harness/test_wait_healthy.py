"""The wait-until-healthy loop (used on AWS while the instance boots), against the real app."""

from __future__ import annotations

import pytest

from harness.stack.local_app import AppServer, wait_healthy
from harness.stack.standins import TlsMariaDB

pytestmark = pytest.mark.mariadb


@pytest.fixture(scope="module", autouse=True)
def health_bucket(moto):
    moto.client("s3").create_bucket(Bucket="health-bucket")


def _env(moto, db):
    return {
        "FILESTORE_BUCKET": "health-bucket",
        "FILESTORE_AWS_ENDPOINT_URL": moto.url,
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "FILESTORE_DB_HOST": "localhost",  # the name in the stand-in's certificate
        "FILESTORE_DB_PORT": str(db.port),
        "FILESTORE_DB_CA_FILE": str(db.ca.cert_path),
        "FILESTORE_DB_NAME": db.database,
        "FILESTORE_DB_USER": db.user,
        "FILESTORE_DB_PASSWORD": db.password,
    }


def test_wait_healthy_times_out_with_the_last_answer_when_nothing_listens():
    from harness.net import free_port

    with pytest.raises(TimeoutError, match="ConnectionError"):
        wait_healthy(
            f"http://127.0.0.1:{free_port()}", timeout=1.0, interval=0.1, log=lambda m: None
        )


def test_wait_healthy_waits_for_the_database_then_succeeds(moto):
    db = TlsMariaDB(names=("localhost",))
    db.start()
    try:
        app = AppServer(_env(moto, db), workers=1)
        app.init_db()
        app.start()
        try:
            db.stop()  # the app is up, its database is not: /healthz must say 503
            with pytest.raises(TimeoutError, match="HTTP 503"):
                wait_healthy(app.url, timeout=2.0, interval=0.2, log=lambda m: None)
            db.start()  # the dependency comes back: the same loop now succeeds
            doc = wait_healthy(app.url, timeout=60.0, interval=0.2, log=lambda m: None)
            assert doc.get("status") == "ok"
        finally:
            app.stop()
    finally:
        db.destroy()
