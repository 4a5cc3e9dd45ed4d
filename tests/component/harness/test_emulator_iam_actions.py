"""IAM on a real emulator, continued: what a call also needs (iam:PassRole, tagging on
create), the protocols the provider speaks (CBOR, S3 Control) and moto's EC2 monitoring."""

from __future__ import annotations

import json

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError
from iamhelpers import (
    ACCOUNT,
    EC2_TRUST,
    FILES,
    NAMESPACE,
    REGION,
    as_ec2,
    role_policy,
)

from harness.emulator.clients import client
from harness.emulator.launcher import MotoServer


@pytest.fixture(scope="module")
def moto():
    with MotoServer() as server:
        server.client("s3").create_bucket(Bucket=FILES)
        iam = server.client("iam")
        iam.create_role(RoleName="web", AssumeRolePolicyDocument=json.dumps(EC2_TRUST))
        iam.put_role_policy(
            RoleName="web", PolicyName="p", PolicyDocument=json.dumps(role_policy())
        )
        yield server


def _cbor_put_metric(moto, creds, namespace: str):
    """PutMetricData in Smithy RPC v2 CBOR, as aws-sdk-go-v2 sends it (the provider)."""
    import botocore.session
    import cbor2
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.serialize import create_serializer

    op = (
        botocore.session.get_session()
        .get_service_model("cloudwatch")
        .operation_model("PutMetricData")
    )
    params = {"Namespace": namespace, "MetricData": [{"MetricName": "Probe", "Value": 1.0}]}
    req = create_serializer("smithy-rpc-v2-cbor").serialize_to_request(params, op)
    url = moto.url + req["url_path"]
    aws = AWSRequest(method="POST", url=url, data=req["body"], headers=req["headers"])
    SigV4Auth(creds, "monitoring", REGION).add_auth(aws)
    resp = requests.post(url, data=req["body"], headers=dict(aws.headers), timeout=10)
    return resp.status_code, (cbor2.loads(resp.content) if resp.content else {})


def test_the_namespace_condition_holds_in_cbor_too(moto):
    """The CBOR request's signature is checked as sent, then the translated request is
    authorized for the same caller (harness/emulator/iam/wsgi.py)."""
    creds = as_ec2(moto, "web").get_credentials()
    assert _cbor_put_metric(moto, creds, NAMESPACE)[0] == 200
    status, body = _cbor_put_metric(moto, creds, "AWS/EC2")
    assert (status, body.get("__type")) == (403, "AccessDenied")
    forged = type(creds)(creds.access_key, "not-the-secret", creds.token)
    status, body = _cbor_put_metric(moto, forged, NAMESPACE)
    assert (status, body.get("__type")) == (403, "SignatureDoesNotMatch")


def test_s3_control_is_checked_with_s3s_signer(moto):
    """The provider reads bucket tags through S3 Control (an ARN in the path): moto's
    generic signer encoded the path twice and refused every such request."""
    # as the provider reaches it (harness/stack/override.py): {account}.localhost through
    # the emulator as an HTTP proxy, so the name is never resolved
    control = client(
        "s3control",
        moto.url.replace("127.0.0.1", "localhost"),
        region=REGION,
        config=Config(proxies={"http": moto.url}),
    )
    tags = control.list_tags_for_resource(AccountId=ACCOUNT, ResourceArn=f"arn:aws:s3:::{FILES}")
    assert tags["Tags"] == []


def test_run_instances_with_a_profile_needs_pass_role(moto):
    """EC2 checks iam:PassRole on the profile's role, for ec2.amazonaws.com (moto: never)."""
    iam, sts = moto.client("iam"), moto.client("sts")
    trust = json.loads(json.dumps(EC2_TRUST))
    trust["Statement"][0]["Principal"] = {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}
    run = {"Effect": "Allow", "Action": "ec2:RunInstances", "Resource": "*"}
    web = f"arn:aws:iam::{ACCOUNT}:role/web"
    pass_role = {
        "Effect": "Allow",
        "Action": "iam:PassRole",
        "Resource": web,
        "Condition": {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}},
    }
    iam.create_instance_profile(InstanceProfileName="web")
    iam.add_role_to_instance_profile(InstanceProfileName="web", RoleName="web")
    for name, statements in (("launcher", [run]), ("launcher-pass", [run, pass_role])):
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))
        policy = {"Version": "2012-10-17", "Statement": statements}
        iam.put_role_policy(RoleName=name, PolicyName="p", PolicyDocument=json.dumps(policy))

    def ec2_as(name: str):
        arn = f"arn:aws:iam::{ACCOUNT}:role/{name}"
        c = sts.assume_role(RoleArn=arn, RoleSessionName="launch")["Credentials"]
        session = boto3.Session(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"], REGION)
        return session.client("ec2", endpoint_url=moto.url)

    launch = {"ImageId": "ami-12c6146b", "MinCount": 1, "MaxCount": 1}
    profile = {"IamInstanceProfile": {"Name": "web"}}
    with pytest.raises(ClientError) as err:
        ec2_as("launcher").run_instances(**launch, **profile)
    assert "iam:PassRole" in err.value.response["Error"]["Message"]
    ec2_as("launcher").run_instances(**launch)  # no profile: no role passed
    ec2_as("launcher-pass").run_instances(**launch, **profile)


def test_detailed_monitoring_can_be_switched(moto):
    """harness/emulator/corrections/ec2.py: prod's instance has detailed monitoring."""
    ec2 = moto.client("ec2")
    iid = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1)["Instances"][0][
        "InstanceId"
    ]
    on = ec2.monitor_instances(InstanceIds=[iid])["InstanceMonitorings"]
    assert on == [{"InstanceId": iid, "Monitoring": {"State": "enabled"}}]
    state = ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]
    assert state["Monitoring"]["State"] == "enabled"
    off = ec2.unmonitor_instances(InstanceIds=[iid])["InstanceMonitorings"]
    assert off[0]["Monitoring"]["State"] == "disabled"


def _assumable(moto, name: str, statements: list) -> boto3.Session:
    """A role the admin assumes, with these statements: its session."""
    iam, sts = moto.client("iam"), moto.client("sts")
    trust = json.loads(json.dumps(EC2_TRUST))
    trust["Statement"][0]["Principal"] = {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))
    policy = {"Version": "2012-10-17", "Statement": statements}
    iam.put_role_policy(RoleName=name, PolicyName="p", PolicyDocument=json.dumps(policy))
    arn = f"arn:aws:iam::{ACCOUNT}:role/{name}"
    c = sts.assume_role(RoleArn=arn, RoleSessionName="caller")["Credentials"]
    return boto3.Session(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"], REGION)


def test_a_create_with_tags_needs_the_tagging_action(moto):
    """AWS checks iam:TagRole for CreateRole with Tags (and so for every tag-on-create)."""
    create = {"Effect": "Allow", "Action": "iam:CreateRole", "Resource": "*"}
    iam = _assumable(moto, "role-maker", [create]).client("iam", endpoint_url=moto.url)
    trust = json.dumps(EC2_TRUST)
    iam.create_role(RoleName="untagged", AssumeRolePolicyDocument=trust)
    with pytest.raises(ClientError) as err:
        iam.create_role(
            RoleName="tagged", AssumeRolePolicyDocument=trust, Tags=[{"Key": "k", "Value": "v"}]
        )
    assert "iam:TagRole" in err.value.response["Error"]["Message"]
