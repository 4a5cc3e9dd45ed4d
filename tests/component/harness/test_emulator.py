"""The emulator pieces: moto server (with our policy-evaluation correction) and MariaDB."""

from __future__ import annotations

import json
import re

import pymysql
import pytest
from botocore.exceptions import ClientError

from harness.emulator.launcher import MotoServer
from harness.stack.standins import MariaDB

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


def _cbor_call(moto, operation: str, params: dict):
    """One CloudWatch call in the Smithy RPC v2 CBOR protocol, as aws-sdk-go-v2 sends it."""
    import botocore.session
    import cbor2
    import requests
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    from botocore.serialize import create_serializer

    model = botocore.session.get_session().get_service_model("cloudwatch")
    op = model.operation_model(operation)
    req = create_serializer("smithy-rpc-v2-cbor").serialize_to_request(params, op)
    url = moto.url + req["url_path"]
    aws = AWSRequest(method="POST", url=url, data=req["body"], headers=req["headers"])
    SigV4Auth(Credentials("testing", "testing"), "monitoring", "us-east-1").add_auth(aws)
    resp = requests.post(url, data=req["body"], headers=dict(aws.headers), timeout=10)
    return resp, (cbor2.loads(resp.content) if resp.content else {})


def test_cloudwatch_speaks_smithy_rpc_v2_cbor(moto):
    resp, body = _cbor_call(
        moto,
        "PutMetricAlarm",
        {
            "AlarmName": "cbor-cpu",
            "MetricName": "CPUUtilization",
            "Namespace": "AWS/EC2",
            "Statistic": "Average",
            "Period": 300,
            "EvaluationPeriods": 2,
            "Threshold": 80.0,
            "ComparisonOperator": "GreaterThanThreshold",
            "Dimensions": [{"Name": "InstanceId", "Value": "i-123"}],
        },
    )
    assert resp.status_code == 200, resp.content
    assert resp.headers["smithy-protocol"] == "rpc-v2-cbor"
    resp, body = _cbor_call(moto, "DescribeAlarms", {"AlarmNames": ["cbor-cpu"]})
    assert resp.status_code == 200
    alarm = body["MetricAlarms"][0]
    assert alarm["AlarmName"] == "cbor-cpu"
    assert isinstance(alarm["Threshold"], float) and alarm["Threshold"] == 80.0
    assert isinstance(alarm["Period"], int) and alarm["EvaluationPeriods"] == 2
    import datetime

    # timestamps travel as CBOR tag 1 (epoch seconds), which cbor2 decodes to datetimes
    assert isinstance(alarm["AlarmConfigurationUpdatedTimestamp"], datetime.datetime)
    # the same alarm through boto3's JSON protocol: one backend behind both
    assert moto.client("cloudwatch").describe_alarms(AlarmNames=["cbor-cpu"])["MetricAlarms"]


def test_cbor_errors_carry_a_type(moto):
    resp, body = _cbor_call(moto, "DeleteAlarms", {"AlarmNames": ["does-not-exist"]})
    resp2, body2 = _cbor_call(
        moto, "DescribeAlarmsForMetric", {"MetricName": "x", "Namespace": "y"}
    )
    assert resp2.status_code == 200 and body2.get("MetricAlarms", []) == []
    assert resp.status_code in (200, 404)
    if resp.status_code != 200:
        assert body["__type"]


def test_tags_given_at_bucket_creation_are_kept(moto):
    s3 = moto.client("s3")
    s3.create_bucket(
        Bucket="tag-on-create",
        CreateBucketConfiguration={
            "Tags": [{"Key": "run_id", "Value": "t1"}, {"Key": "A&B", "Value": "<x>"}]
        },
    )
    tags = {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket="tag-on-create")["TagSet"]}
    assert tags == {"run_id": "t1", "A&B": "<x>"}
    s3.create_bucket(Bucket="no-tags")  # a create without a body still works
    assert "no-tags" in {b["Name"] for b in s3.list_buckets()["Buckets"]}


# S3 keys a person can upload: '%', '+', spaces, quotes, line breaks, non-ASCII letters
AWKWARD_KEYS = [
    "100% done.pdf",
    "a+b c.txt",
    "a%0Ab.txt",
    'it\'s "quoted".txt',
    "line\nbreak.txt",
    "crlf\r\n.txt",
    "résumé/Ünïcødé 한글.txt",
]
# what S3 answers under encoding-type=url (measured, see harness.emulator.corrections.s3.s3_url_encode)
S3_ENCODED = {
    "100% done.pdf": "100%25+done.pdf",
    "a+b c.txt": "a%2Bb+c.txt",
    "a%0Ab.txt": "a%250Ab.txt",
    "line\nbreak.txt": "line%0Abreak.txt",
    "résumé/Ünïcødé 한글.txt": "r%C3%A9sum%C3%A9/%C3%9Cn%C3%AFc%C3%B8d%C3%A9+%ED%95%9C%EA%B8%80.txt",
}


def _versioned_bucket(moto, name: str):
    s3 = moto.client("s3")
    s3.create_bucket(Bucket=name)
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    for key in AWKWARD_KEYS:
        s3.put_object(Bucket=name, Key=key, Body=b"1")
        s3.put_object(Bucket=name, Key=key, Body=b"2")
    s3.delete_object(Bucket=name, Key=AWKWARD_KEYS[0])  # a delete marker too
    return s3


def test_version_listings_honour_encoding_type_url(moto):
    from urllib.parse import unquote_plus

    s3 = _versioned_bucket(moto, "encoded-versions")
    page = s3.list_object_versions(Bucket="encoded-versions", EncodingType="url")
    assert page["EncodingType"] == "url"
    encoded = {v["Key"] for v in page["Versions"]}
    assert {unquote_plus(k) for k in encoded} == set(AWKWARD_KEYS)
    assert {S3_ENCODED[k] for k in S3_ENCODED} <= encoded
    assert [m["Key"] for m in page["DeleteMarkers"]] == ["100%25+done.pdf"]
    # ListObjectsV2 (which moto already encoded) decodes to the same keys
    v2 = s3.list_objects_v2(Bucket="encoded-versions", EncodingType="url")["Contents"]
    assert {unquote_plus(o["Key"]) for o in v2} == set(AWKWARD_KEYS) - {AWKWARD_KEYS[0]}
    # boto3 asks for url itself when the caller did not, and decodes: raw keys, prefix too
    page = s3.list_object_versions(Bucket="encoded-versions", Prefix="100% ")
    assert page["Prefix"] == "100% " and {v["Key"] for v in page["Versions"]} == {"100% done.pdf"}


def test_a_bucket_of_awkward_keys_empties_the_way_the_provider_does_it(moto):
    """aws provider, internal/service/s3/delete.go: list versions with encoding-type=url,
    url.QueryUnescape every key, DeleteObjects, then DeleteBucket."""
    from urllib.parse import unquote_plus

    s3 = _versioned_bucket(moto, "force-destroy")
    for page in s3.get_paginator("list_object_versions").paginate(
        Bucket="force-destroy", EncodingType="url"
    ):
        for entries in (page.get("Versions", []), page.get("DeleteMarkers", [])):
            objects = [
                {"Key": unquote_plus(v["Key"]), "VersionId": v["VersionId"]} for v in entries
            ]
            if objects:
                answer = s3.delete_objects(Bucket="force-destroy", Delete={"Objects": objects})
                assert not answer.get("Errors"), answer["Errors"]
    assert s3.list_object_versions(Bucket="force-destroy").get("Versions", []) == []
    s3.delete_bucket(Bucket="force-destroy")
    assert "force-destroy" not in {b["Name"] for b in s3.list_buckets()["Buckets"]}


def test_a_key_with_a_delete_marker_goes_after_versioning_was_suspended(moto):
    """As a destroy does it: objects deleted while versioned left markers, the versioning
    resource's delete suspended versioning, then the bucket is emptied (moto answered 500)."""
    s3 = moto.client("s3")
    s3.create_bucket(Bucket="marker-then-suspend")
    enabled = {"Status": "Enabled"}
    s3.put_bucket_versioning(Bucket="marker-then-suspend", VersioningConfiguration=enabled)
    s3.put_object(Bucket="marker-then-suspend", Key="app/main.py", Body=b"1")
    s3.delete_object(Bucket="marker-then-suspend", Key="app/main.py")  # a delete marker
    suspended = {"Status": "Suspended"}
    s3.put_bucket_versioning(Bucket="marker-then-suspend", VersioningConfiguration=suspended)
    answer = s3.delete_objects(
        Bucket="marker-then-suspend", Delete={"Objects": [{"Key": "app/main.py"}]}
    )
    assert [d["Key"] for d in answer.get("Deleted", [])] == ["app/main.py"]
    assert "Errors" not in answer


def test_objects_with_line_breaks_in_their_keys_are_reachable(moto):
    s3 = moto.client("s3")
    s3.create_bucket(Bucket="line-breaks")
    for key in ("line\nbreak.txt", "crlf\r\n.txt", "end\n"):
        s3.put_object(Bucket="line-breaks", Key=key, Body=key.encode())
        assert s3.get_object(Bucket="line-breaks", Key=key)["Body"].read() == key.encode()
        s3.delete_object(Bucket="line-breaks", Key=key)
    assert s3.list_objects_v2(Bucket="line-breaks")["KeyCount"] == 0


def test_every_rds_instance_has_its_own_resource_id(moto):
    """The provider reads an instance back by DbiResourceId (harness.emulator.corrections)."""
    rds = moto.client("rds")
    ids = []
    for name in ("first-db", "second-db"):
        db = rds.create_db_instance(
            DBInstanceIdentifier=name,
            Engine="mysql",
            DBInstanceClass="db.t3.micro",
            AllocatedStorage=20,
            MasterUsername="admin",
            MasterUserPassword="password-123",
        )["DBInstance"]
        ids.append(db["DbiResourceId"])
        # RDS's default CA (harness.emulator.corrections.rds): else the provider modifies every new
        # instance to the stack's pinned CA and waits for it again
        assert db["CACertificateIdentifier"] == "rds-ca-rsa2048-g1"
    assert len(set(ids)) == 2 and all(re.fullmatch(r"db-[A-Z0-9]{26}", i) for i in ids)
    for name, rid in zip(("first-db", "second-db"), ids, strict=True):
        found = rds.describe_db_instances(Filters=[{"Name": "dbi-resource-id", "Values": [rid]}])
        assert [d["DBInstanceIdentifier"] for d in found["DBInstances"]] == [name]
        rds.delete_db_instance(DBInstanceIdentifier=name, SkipFinalSnapshot=True)


def test_error_answers_are_logged_with_operation_code_and_attempt(moto):
    """werkzeug logs only `POST / 400`; the emulator's log must say what failed, and
    whether it was the SDK's first attempt (harness/emulator/errorlog.py)."""
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError):
        moto.client("ec2").describe_security_groups(GroupIds=["sg-0000000000000dead"])
    with pytest.raises(ClientError):
        moto.client("s3").get_object(Bucket="no-such-bucket-here", Key="k")
    with pytest.raises(ClientError):
        moto.client("ssm").get_parameter(Name="/no/such/parameter")
    lines = [ln for ln in moto.log_path.read_text().splitlines() if ln.startswith("[moto] ")]
    assert any(
        "POST / EC2:DescribeSecurityGroups code=InvalidGroup.NotFound attempt=1;" in ln
        for ln in lines
    ), lines
    assert any("GET /no-such-bucket-here/k - code=NoSuchBucket" in ln for ln in lines), lines
    assert any("AmazonSSM.GetParameter code=ParameterNotFound" in ln for ln in lines), lines
    assert all("invocation=" in ln for ln in lines)
