"""The instance metadata service (IMDSv2 on a loopback port) against a real moto server."""

from __future__ import annotations

import base64
import concurrent.futures
import gzip

import boto3
import pytest
import requests
from botocore.utils import InstanceMetadataFetcher

from harness.emulator.iam.identities import Ec2RoleCredentialsClient
from harness.emulator.launcher import MotoServer
from harness.instances.imds import (
    MetadataService,
    RoleCredentials,
    iam_tree,
    identity_document,
    metadata_tree,
)

USER_DATA = gzip.compress(b"#!/bin/bash\necho hello\n")


def _instance(moto: MotoServer, profile: dict | None) -> dict:
    ec2 = moto.client("ec2")
    kwargs = {"IamInstanceProfile": {"Arn": profile["Arn"]}} if profile else {}
    return ec2.run_instances(
        ImageId="ami-12c6146b", MinCount=1, MaxCount=1, UserData=USER_DATA, **kwargs
    )["Instances"][0]


@pytest.fixture(scope="module")
def service(moto, make_instance_profile):
    """An instance with a profile, and its metadata service."""
    profile = make_instance_profile(moto, "web")
    desc = _instance(moto, profile)
    ec2 = Ec2RoleCredentialsClient(moto.url)  # EC2 assumes the role, as ec2.amazonaws.com
    creds = RoleCredentials(ec2, profile["Roles"][0]["Arn"], desc["InstanceId"])
    svc = MetadataService(
        metadata_tree(desc, "us-east-1", iam_tree(profile, creds)),
        identity=identity_document(desc, "us-east-1", "123456789012"),
        user_data=USER_DATA,
    ).start()
    yield svc, desc
    svc.stop()


def _token(url: str, ttl: str = "60", **headers) -> requests.Response:
    headers = {"X-aws-ec2-metadata-token-ttl-seconds": ttl, **headers}
    return requests.put(f"{url}latest/api/token", headers=headers, timeout=5)


def _get(url: str, path: str, token: str | None) -> requests.Response:
    headers = {"X-aws-ec2-metadata-token": token} if token else {}
    return requests.get(f"{url}latest/{path}", headers=headers, timeout=5)


def test_imdsv1_is_refused_and_tokens_are_checked(service):
    svc, _ = service
    assert _get(svc.url, "meta-data/instance-id", None).status_code == 401
    assert _get(svc.url, "meta-data/instance-id", "forged").status_code == 401
    assert _token(svc.url, ttl="0").status_code == 400
    assert _token(svc.url, ttl="21601").status_code == 400
    assert _token(svc.url, **{"X-Forwarded-For": "10.0.0.1"}).status_code == 403


def test_it_serves_the_instance_and_its_user_data_as_the_api_holds_it(service):
    svc, desc = service
    token = _token(svc.url).text
    assert _get(svc.url, "meta-data/instance-id", token).text == desc["InstanceId"]
    assert _get(svc.url, "meta-data/placement/region", token).text == "us-east-1"
    assert "iam/" in _get(svc.url, "meta-data/", token).text.split()
    assert _get(svc.url, "user-data", token).content == USER_DATA
    doc = _get(svc.url, "dynamic/instance-identity/document", token).json()
    assert doc["instanceId"] == desc["InstanceId"]


def test_the_sdk_gets_the_roles_credentials_from_the_emulators_sts(service, moto):
    svc, desc = service
    fetched = InstanceMetadataFetcher(
        timeout=2, num_attempts=2, config={"ec2_metadata_service_endpoint": svc.url}
    ).retrieve_iam_role_credentials()
    assert fetched["role_name"] == "web"
    assert fetched["access_key"].startswith("ASIA")  # temporary, from STS
    session = boto3.Session(
        aws_access_key_id=fetched["access_key"],
        aws_secret_access_key=fetched["secret_key"],
        aws_session_token=fetched["token"],
        region_name="us-east-1",
    )
    who = session.client("sts", endpoint_url=moto.url).get_caller_identity()
    assert who["Arn"].endswith(f"assumed-role/web/{desc['InstanceId']}")


def test_many_clients_at_once_are_served(service):
    """Two gunicorn workers fetching credentials together must not break it (AEMM died)."""
    svc, _ = service

    def fetch(_):
        token = _token(svc.url).text
        return _get(svc.url, "meta-data/iam/security-credentials/web", token).status_code

    with concurrent.futures.ThreadPoolExecutor(32) as pool:
        assert set(pool.map(fetch, range(300))) == {200}


def test_an_instance_without_a_profile_has_no_credentials(moto):
    desc = _instance(moto, None)
    svc = MetadataService(metadata_tree(desc, "us-east-1"), user_data=None).start()
    try:
        token = _token(svc.url).text
        assert _get(svc.url, "meta-data/iam/security-credentials/", token).status_code == 404
        assert _get(svc.url, "user-data", token).status_code == 404
    finally:
        svc.stop()


@pytest.mark.parametrize("host", ["0.0.0.0", "169.254.169.254", "10.0.0.1"])
def test_it_only_ever_listens_on_loopback(host):
    with pytest.raises(ValueError, match="loopback"):
        MetadataService({}, host=host)


def test_user_data_round_trip_through_the_api_is_byte_exact(moto):
    """What the data plane seeds: DescribeInstanceAttribute, base64-decoded, still gzip."""
    desc = _instance(moto, None)
    attr = moto.client("ec2").describe_instance_attribute(
        InstanceId=desc["InstanceId"], Attribute="userData"
    )
    assert base64.b64decode(attr["UserData"]["Value"]) == USER_DATA


def test_the_role_is_the_profile_associated_when_asked(moto, make_instance_profile):
    """moto's RunInstances makes an instance visible before it associates its profile, and
    the data plane can see it in between (a user_data then failed with NoCredentialsError).
    As on EC2, iam/ follows the association as it is when the SDK asks."""
    from pathlib import Path

    from harness.instances.dataplane import DataPlane

    desc = _instance(moto, None)  # what the plane may see first: no profile yet
    svc = DataPlane(moto.url, Path("/nonexistent"))._metadata(desc, USER_DATA)
    try:
        token = _token(svc.url).text
        assert "iam/" not in _get(svc.url, "meta-data/", token).text.split()
        assert _get(svc.url, "meta-data/iam/security-credentials/", token).status_code == 404
        profile = make_instance_profile(moto, "associated-later")
        moto.client("ec2").associate_iam_instance_profile(
            InstanceId=desc["InstanceId"], IamInstanceProfile={"Arn": profile["Arn"]}
        )
        assert "iam/" in _get(svc.url, "meta-data/", token).text.split()
        role = profile["Roles"][0]["RoleName"]
        assert _get(svc.url, "meta-data/iam/security-credentials/", token).text == role
        creds = _get(svc.url, f"meta-data/iam/security-credentials/{role}", token).json()
        assert creds["Code"] == "Success" and creds["AccessKeyId"] and creds["Token"]
        info = _get(svc.url, "meta-data/iam/info", token).json()
        assert info["InstanceProfileArn"] == profile["Arn"]
    finally:
        svc.stop()


def test_a_role_ec2_may_not_assume_gives_no_credentials(moto):
    """As on EC2: the profile is there, its role's trust policy does not name
    ec2.amazonaws.com, so the metadata service answers a code and no keys."""
    import json

    iam = moto.client("iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    iam.create_role(RoleName="not-ec2", AssumeRolePolicyDocument=json.dumps(trust))
    iam.create_instance_profile(InstanceProfileName="not-ec2")
    iam.add_role_to_instance_profile(InstanceProfileName="not-ec2", RoleName="not-ec2")
    profile = iam.get_instance_profile(InstanceProfileName="not-ec2")["InstanceProfile"]
    desc = _instance(moto, profile)
    creds = RoleCredentials(Ec2RoleCredentialsClient(moto.url), profile["Roles"][0]["Arn"], "i-1")
    svc = MetadataService(metadata_tree(desc, "us-east-1", iam_tree(profile, creds))).start()
    try:
        token = _token(svc.url).text
        answer = _get(svc.url, "meta-data/iam/security-credentials/not-ec2", token).json()
        assert answer["Code"] == "AssumeRoleUnauthorizedAccess" and "AccessKeyId" not in answer
        fetched = InstanceMetadataFetcher(
            timeout=2, num_attempts=1, config={"ec2_metadata_service_endpoint": svc.url}
        ).retrieve_iam_role_credentials()
        assert not fetched  # the SDK finds no credentials
    finally:
        svc.stop()
