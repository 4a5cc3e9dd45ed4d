"""The emulator pieces: moto server (with our policy-evaluation correction) and MariaDB."""

from __future__ import annotations

import json

import pymysql
import pytest
from botocore.exceptions import ClientError

from harness.emulator import MariaDB, MotoServer

TLS_ONLY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": ["arn:aws:s3:::{b}", "arn:aws:s3:::{b}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    ],
}


@pytest.fixture(scope="module")
def moto():
    with MotoServer() as server:
        yield server


def _policy(bucket: str, doc: dict) -> str:
    return json.dumps(doc).replace("{b}", bucket)


def test_a_deny_whose_condition_is_not_met_does_not_apply(moto):
    s3 = moto.client("s3")
    s3.create_bucket(Bucket="tls-only")
    s3.put_bucket_policy(Bucket="tls-only", Policy=_policy("tls-only", TLS_ONLY))
    s3.put_object(Bucket="tls-only", Key="k", Body=b"v")
    assert s3.head_object(Bucket="tls-only", Key="k")["ContentLength"] == 1
    assert s3.get_object(Bucket="tls-only", Key="k")["Body"].read() == b"v"


def test_an_unconditional_deny_still_denies(moto):
    s3 = moto.client("s3")
    s3.create_bucket(Bucket="deny-get")
    s3.put_object(Bucket="deny-get", Key="k", Body=b"v")
    doc = json.loads(json.dumps(TLS_ONLY))
    del doc["Statement"][0]["Condition"]
    doc["Statement"][0]["Action"] = "s3:GetObject"
    s3.put_bucket_policy(Bucket="deny-get", Policy=_policy("deny-get", doc))
    with pytest.raises(ClientError) as err:
        s3.get_object(Bucket="deny-get", Key="k")
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_moto_server_can_be_reset_and_attached_by_url(moto):
    attached = MotoServer(url=moto.url + "/").start()
    assert attached.external and attached.healthy()
    attached.stop()  # never stops a server it did not start
    assert moto.healthy()


@pytest.mark.mariadb
def test_mariadb_restarts_on_the_same_port_with_its_data():
    with MariaDB() as db:
        conn = db.connect()
        with conn.cursor() as cur:
            cur.execute("CREATE TABLE t (x INT)")
            cur.execute("INSERT INTO t VALUES (7)")
        conn.commit()
        conn.close()
        port = db.port
        db.stop()
        with pytest.raises(pymysql.err.OperationalError):
            pymysql.connect(**db.connect_kwargs(connect_timeout=2))
        db.start()
        assert db.port == port
        conn = db.connect()
        with conn.cursor() as cur:
            cur.execute("SELECT x FROM t")
            assert cur.fetchone() == (7,)
        conn.close()
