"""IAM on a real emulator (harness/emulator/iam): unknown keys refused, no off switch, the
instance role's credentials only as EC2 gets them, and the role allowed what the app does
and denied the rest. The role's policy below is modules/iam's document for one run's names
(the integration suite checks the real one on the main stack: test_lifecycle.py)."""

from __future__ import annotations

import json

import boto3
import pytest
import requests
from botocore.exceptions import ClientError
from iamhelpers import (
    ACCOUNT,
    ARTIFACTS,
    EC2_TRUST,
    FILES,
    KEY_ARN,
    LOG_GROUP,
    NAMESPACE,
    OTHER,
    OTHER_PARAM,
    PARAM,
    REGION,
    as_ec2,
    role_policy,
)

from harness.emulator.iam.identities import AssumeRoleUnauthorized
from harness.emulator.launcher import MotoServer

TLS_ONLY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Action": "s3:*",
            "Resource": [f"arn:aws:s3:::{FILES}", f"arn:aws:s3:::{FILES}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    ],
}


@pytest.fixture(scope="module")
def moto():
    with MotoServer() as server:
        s3, ssm, iam = (server.client(s) for s in ("s3", "ssm", "iam"))  # the admin
        for bucket in (FILES, OTHER, ARTIFACTS):
            s3.create_bucket(Bucket=bucket)
        s3.put_bucket_versioning(Bucket=FILES, VersioningConfiguration={"Status": "Enabled"})
        s3.put_bucket_policy(Bucket=FILES, Policy=json.dumps(TLS_ONLY))
        s3.put_object(Bucket=ARTIFACTS, Key="app/app.tar.gz", Body=b"the app")
        s3.put_object(Bucket=OTHER, Key="theirs", Body=b"not yours")
        for name in (PARAM, OTHER_PARAM):
            ssm.put_parameter(Name=name, Value="s3cret", Type="SecureString")
        for group in (LOG_GROUP.split("log-group:")[1], "/filestore/dev/r2/app"):
            server.client("logs").create_log_group(logGroupName=group)
        for name, policy in (
            ("web", role_policy()),
            ("web-no-rollback", role_policy(rollback=False)),
        ):
            iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(EC2_TRUST))
            iam.put_role_policy(RoleName=name, PolicyName="p", PolicyDocument=json.dumps(policy))
        trust_account = json.loads(json.dumps(EC2_TRUST))
        trust_account["Statement"][0]["Principal"] = {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}
        iam.create_role(RoleName="not-for-ec2", AssumeRolePolicyDocument=json.dumps(trust_account))
        yield server


@pytest.fixture(scope="module")
def role(moto):
    session = as_ec2(moto, "web")
    return lambda service: session.client(service, endpoint_url=moto.url)


def denied(call, *args, **kwargs) -> str:
    with pytest.raises(ClientError) as err:
        call(*args, **kwargs)
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403, err.value.response
    return err.value.response["Error"]["Code"]


# ------------------------------------------------------------------ who may call at all


def test_an_unknown_key_is_refused(moto):
    s3 = boto3.client("s3", endpoint_url=moto.url, region_name=REGION,
                      aws_access_key_id="AKIAUNKNOWNUNKNOWN00", aws_secret_access_key="x")  # fmt: skip
    assert denied(s3.list_buckets) == "InvalidAccessKeyId"
    sts = boto3.client("sts", endpoint_url=moto.url, region_name=REGION,
                       aws_access_key_id="AKIAUNKNOWNUNKNOWN00", aws_secret_access_key="x")  # fmt: skip
    assert denied(sts.get_caller_identity) == "InvalidClientTokenId"


def test_a_wrong_secret_is_refused(moto):
    ssm = boto3.client("ssm", endpoint_url=moto.url, region_name=REGION,
                       aws_access_key_id="testing", aws_secret_access_key="wrong")  # fmt: skip
    assert denied(ssm.describe_parameters) == "SignatureDoesNotMatch"


def test_enforcement_has_no_off_switch(monkeypatch):
    monkeypatch.setenv("INITIAL_NO_AUTH_ACTION_COUNT", "inf")  # moto's own switch: ignored
    with MotoServer() as server:
        assert (
            requests.post(f"{server.url}/moto-api/reset-auth", data="inf", timeout=5).status_code
            == 403
        )
        s3 = boto3.client("s3", endpoint_url=server.url, region_name=REGION,
                          aws_access_key_id="AKIAUNKNOWNUNKNOWN00", aws_secret_access_key="x")  # fmt: skip
        assert denied(s3.list_buckets) == "InvalidAccessKeyId"
        server.reset()  # forgets everything, and the admin is made again
        assert server.client("s3").list_buckets()["Buckets"] == []


# ------------------------------------------------------------------ EC2 and the trust policy


def test_only_ec2_gets_the_instance_roles_credentials(moto):
    sts = moto.client("sts")  # even the admin cannot assume a role only EC2 may assume
    arn = f"arn:aws:iam::{ACCOUNT}:role/web"
    assert denied(sts.assume_role, RoleArn=arn, RoleSessionName="admin") == "AccessDenied"
    who = as_ec2(moto, "web").client("sts", endpoint_url=moto.url).get_caller_identity()
    assert who["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/web/i-0123456789abcdef0"


def test_a_role_ec2_may_not_assume_gives_no_credentials(moto):
    with pytest.raises(AssumeRoleUnauthorized):
        as_ec2(moto, "not-for-ec2")
    with pytest.raises(AssumeRoleUnauthorized):
        as_ec2(moto, "no-such-role")


def test_only_the_admin_may_stand_in_for_ec2(moto, role):
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest

    from harness.emulator.iam.wsgi import EC2_ASSUME_PATH

    url = moto.url + EC2_ASSUME_PATH
    body = json.dumps({"RoleArn": f"arn:aws:iam::{ACCOUNT}:role/web", "RoleSessionName": "x1"})
    assert requests.post(url, data=body, timeout=5).status_code == 403  # unsigned
    creds = as_ec2(moto, "web").get_credentials()
    request = AWSRequest(
        "POST", url, data=body.encode(), headers={"Content-Type": "application/json"}
    )
    SigV4Auth(creds, "sts", REGION).add_auth(request)
    assert (
        requests.post(url, data=body, headers=dict(request.headers), timeout=5).status_code == 403
    )


# ------------------------------------------------------------------ what the app does: allowed


def test_the_app_may_upload_list_download_and_roll_back(role):
    s3 = role("s3")
    put = s3.put_object(Bucket=FILES, Key="uploads/a.csv", Body=b"a,b\n")
    assert s3.get_object(Bucket=FILES, Key="uploads/a.csv")["Body"].read() == b"a,b\n"
    got = s3.get_object(Bucket=FILES, Key="uploads/a.csv", VersionId=put["VersionId"])
    assert got["Body"].read() == b"a,b\n"
    assert s3.head_object(Bucket=FILES, Key="uploads/a.csv")["ContentLength"] == 4
    s3.head_bucket(Bucket=FILES)  # the app's health check: s3:ListBucket
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=FILES)["Contents"]] == ["uploads/a.csv"]
    assert s3.list_object_versions(Bucket=FILES)["Versions"][0]["VersionId"] == put["VersionId"]
    s3.delete_object(Bucket=FILES, Key="uploads/a.csv", VersionId=put["VersionId"])  # rollback
    assert "Versions" not in s3.list_object_versions(Bucket=FILES)


def test_the_app_may_upload_in_parts_and_abort(role):
    s3 = role("s3")
    upload = s3.create_multipart_upload(Bucket=FILES, Key="big.bin")["UploadId"]
    s3.upload_part(Bucket=FILES, Key="big.bin", UploadId=upload, PartNumber=1, Body=b"x" * 10)
    assert len(s3.list_parts(Bucket=FILES, Key="big.bin", UploadId=upload)["Parts"]) == 1
    assert s3.list_multipart_uploads(Bucket=FILES)["Uploads"][0]["UploadId"] == upload
    s3.abort_multipart_upload(Bucket=FILES, Key="big.bin", UploadId=upload)


def test_the_bootstrap_may_read_the_app_and_the_app_its_password(role):
    assert (
        role("s3").get_object(Bucket=ARTIFACTS, Key="app/app.tar.gz")["Body"].read() == b"the app"
    )
    answer = role("ssm").get_parameter(Name=PARAM, WithDecryption=True)
    assert answer["Parameter"]["Value"] == "s3cret"


def test_the_app_may_publish_metrics_in_its_namespace(role):
    role("cloudwatch").put_metric_data(
        Namespace=NAMESPACE, MetricData=[{"MetricName": "Uploads", "Value": 1.0}]
    )


# ------------------------------------------------------------------ what it must not do: denied


def test_another_bucket_is_denied(role):
    s3 = role("s3")
    assert denied(s3.get_object, Bucket=OTHER, Key="theirs") == "AccessDenied"
    assert denied(s3.put_object, Bucket=OTHER, Key="mine", Body=b"x") == "AccessDenied"
    assert denied(s3.list_objects_v2, Bucket=OTHER) == "AccessDenied"
    with pytest.raises(ClientError) as err:  # HEAD: a status and no body
        s3.head_bucket(Bucket=OTHER)
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_delete_objects_on_another_bucket_deletes_nothing(moto, role):
    """S3 answers DeleteObjects with an error per key it may not delete (moto deleted them
    unauthenticated once the bucket-level check failed)."""
    answer = role("s3").delete_objects(Bucket=OTHER, Delete={"Objects": [{"Key": "theirs"}]})
    assert [e["Code"] for e in answer["Errors"]] == ["AccessDenied"]
    assert "Deleted" not in answer
    assert moto.client("s3").get_object(Bucket=OTHER, Key="theirs")["Body"].read() == b"not yours"


def test_writing_to_the_artifacts_is_denied(role):
    s3 = role("s3")
    assert denied(s3.put_object, Bucket=ARTIFACTS, Key="app/app.tar.gz", Body=b"evil")
    assert denied(s3.delete_object, Bucket=ARTIFACTS, Key="app/app.tar.gz")
    assert denied(s3.get_object, Bucket=ARTIFACTS, Key="other/x")


def test_another_parameter_is_denied(role):
    assert denied(role("ssm").get_parameter, Name=OTHER_PARAM, WithDecryption=True)
    assert denied(role("ssm").put_parameter, Name=PARAM, Value="x", Type="String", Overwrite=True)


def test_iam_calls_are_denied(role):
    iam = role("iam")
    assert denied(iam.list_roles) == "AccessDenied"
    assert denied(iam.create_user, UserName="backdoor") == "AccessDenied"
    assert denied(iam.put_role_policy, RoleName="web", PolicyName="more",
                  PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}))  # fmt: skip


def test_metrics_in_another_namespace_are_denied(role):
    cloudwatch = role("cloudwatch")
    data = [{"MetricName": "CPUUtilization", "Value": 1.0}]
    assert denied(cloudwatch.put_metric_data, Namespace="AWS/EC2", MetricData=data)
    assert denied(cloudwatch.put_metric_data, Namespace="filestore/prod", MetricData=data)


def test_a_direct_kms_decrypt_is_denied(role):
    """kms:Decrypt is allowed through SSM only (kms:ViaService): a direct call has none."""
    blob = b"\x01" * 32
    assert denied(role("kms").decrypt, KeyId=KEY_ARN, CiphertextBlob=blob) == "AccessDenied"


def test_the_rollback_without_delete_object_version_is_denied(moto):
    """The bug of issue 16: s3:DeleteObject alone does not allow DeleteObject(VersionId)."""
    s3 = as_ec2(moto, "web-no-rollback").client("s3", endpoint_url=moto.url)
    put = s3.put_object(Bucket=FILES, Key="orphan.csv", Body=b"x")
    assert denied(s3.delete_object, Bucket=FILES, Key="orphan.csv", VersionId=put["VersionId"])


def test_the_app_may_write_its_own_logs_only(role):
    logs, mine = role("logs"), LOG_GROUP.split("log-group:")[1]
    logs.create_log_stream(logGroupName=mine, logStreamName="i-1")
    event = [{"timestamp": 1_700_000_000_000, "message": "hello"}]
    logs.put_log_events(logGroupName=mine, logStreamName="i-1", logEvents=event)
    other = "/filestore/dev/r2/app"
    assert denied(logs.create_log_stream, logGroupName=other, logStreamName="i-1") == "AccessDenied"
    assert denied(logs.delete_log_group, logGroupName=mine) == "AccessDenied"
