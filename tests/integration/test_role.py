"""The instance role, enforced: inside the instance, the SDK configured as the app is (no
keys: the role's credentials from the metadata service, which EC2 got by assuming the role)
may do what the app and its bootstrap do, and is denied the rest, by the emulator's IAM
(harness/emulator/iam). Third of the main stack's modules (see conftest)."""

from __future__ import annotations

import base64
import json

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.emulator_only]

PROBE = r"""
import json, sys
import boto3
from botocore.exceptions import ClientError

cfg = json.loads(sys.argv[1])
s3, ssm, cw, iam = (boto3.client(s) for s in ("s3", "ssm", "cloudwatch", "iam"))
out = {}


def probe(name, call):
    try:
        call()
        out[name] = "allowed"
    except ClientError as exc:
        out[name] = exc.response["Error"]["Code"]


mine, other, art = cfg["bucket"], cfg["other_bucket"], cfg["artifact_bucket"]
put = s3.put_object(Bucket=mine, Key="role-probe/a.csv", Body=b"a,b\n")
version = put["VersionId"]
probe("upload", lambda: s3.put_object(Bucket=mine, Key="role-probe/b.csv", Body=b"b"))
probe("download", lambda: s3.get_object(Bucket=mine, Key="role-probe/a.csv")["Body"].read())
probe("download version", lambda: s3.get_object(Bucket=mine, Key="role-probe/a.csv", VersionId=version))
probe("list", lambda: s3.list_objects_v2(Bucket=mine, Prefix="role-probe/"))
probe("versions", lambda: s3.list_object_versions(Bucket=mine, Prefix="role-probe/"))
probe("rollback", lambda: s3.delete_object(Bucket=mine, Key="role-probe/a.csv", VersionId=version))
probe("metrics", lambda: cw.put_metric_data(Namespace=cfg["namespace"], MetricData=[{"MetricName": "Probe", "Value": 1.0}]))
probe("password", lambda: ssm.get_parameter(Name=cfg["parameter"], WithDecryption=True))
probe("artifact", lambda: s3.get_object(Bucket=art, Key=cfg["artifact_key"])["Body"].read())
probe("other bucket read", lambda: s3.get_object(Bucket=other, Key="theirs"))
probe("other bucket write", lambda: s3.put_object(Bucket=other, Key="mine", Body=b"x"))
probe("other parameter", lambda: ssm.get_parameter(Name=cfg["other_parameter"], WithDecryption=True))
probe("write parameter", lambda: ssm.put_parameter(Name=cfg["parameter"], Value="x", Type="SecureString", Overwrite=True))
probe("artifact write", lambda: s3.put_object(Bucket=art, Key=cfg["artifact_key"], Body=b"evil"))
probe("iam list", lambda: iam.list_roles())
probe("iam create user", lambda: iam.create_user(UserName="backdoor"))
probe("other namespace", lambda: cw.put_metric_data(Namespace="AWS/EC2", MetricData=[{"MetricName": "Probe", "Value": 1.0}]))
print(json.dumps(out))
"""

ALLOWED = ("upload", "download", "download version", "list", "versions", "rollback")
ALLOWED += ("metrics", "password", "artifact")
DENIED = ("other bucket read", "other bucket write", "other parameter", "write parameter")
DENIED += ("artifact write", "iam list", "iam create user", "other namespace")


@pytest.fixture(scope="module")
def probed(deployment):
    """What the probe reports, run once in the instance as the app's user."""
    out, s3, ssm = deployment.outputs, deployment.client("s3"), deployment.client("ssm")
    prefix = out["name_prefix"]
    buckets = [b["Name"] for b in s3.list_buckets()["Buckets"] if b["Name"].startswith(prefix)]
    artifact_bucket = next(b for b in buckets if b != out["bucket_name"])
    artifact_key = s3.list_objects_v2(Bucket=artifact_bucket)["Contents"][0]["Key"]
    other_bucket, other_parameter = f"{prefix}-not-the-role-s", f"/{prefix}/not-the-role"
    s3.create_bucket(Bucket=other_bucket)  # as the admin: what the role must not reach
    s3.put_object(Bucket=other_bucket, Key="theirs", Body=b"theirs")
    ssm.put_parameter(Name=other_parameter, Value="not yours", Type="SecureString")
    cfg = {
        "bucket": out["bucket_name"],
        "other_bucket": other_bucket,
        "artifact_bucket": artifact_bucket,
        "artifact_key": artifact_key,
        "parameter": out["db_password_parameter"],
        "other_parameter": other_parameter,
        "namespace": f"filestore/{deployment.stack.environment}",
    }
    script = base64.b64encode(PROBE.encode()).decode()
    arg = json.dumps(cfg).replace("'", "'\\''")
    try:
        proc = deployment.instance.exec(
            "bash",
            "-c",
            f"echo {script} | base64 -d > /tmp/role-probe.py && set -a && "
            ". /etc/filestore/filestore.env && set +a && runuser -u filestore -- "
            f"/opt/filestore/venv/bin/python /tmp/role-probe.py '{arg}'",
            check=True,
            timeout=120,
        )
        yield json.loads(proc.stdout.strip().splitlines()[-1])
    finally:
        for key in ("theirs", "mine"):
            s3.delete_object(Bucket=other_bucket, Key=key)
        s3.delete_bucket(Bucket=other_bucket)
        ssm.delete_parameter(Name=other_parameter)
        for version in s3.list_object_versions(Bucket=out["bucket_name"], Prefix="role-probe/").get(
            "Versions", []
        ):
            s3.delete_object(
                Bucket=out["bucket_name"], Key=version["Key"], VersionId=version["VersionId"]
            )


@pytest.mark.parametrize("what", ALLOWED)
def test_what_the_app_does_is_allowed(probed, what):
    assert probed[what] == "allowed", probed


@pytest.mark.parametrize("what", DENIED)
def test_what_the_role_must_not_do_is_denied(probed, what):
    assert probed[what] == "AccessDenied", probed


def test_the_roles_metric_landed_in_the_apps_namespace(deployment):
    """What the role was allowed to publish is there (the emulator kept it)."""
    metrics = deployment.client("cloudwatch").list_metrics(
        Namespace=f"filestore/{deployment.stack.environment}"
    )["Metrics"]
    assert "Probe" in {m["MetricName"] for m in metrics}
