"""Fixtures shared by the harness tests that start an emulator (and, for some, boot its
EC2 instances)."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from harness.emulator.launcher import MotoServer


@pytest.fixture(scope="module")
def moto():
    """A moto server of the module's own (no data plane: RunInstances makes records only)."""
    with MotoServer() as server:
        yield server


EC2_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "ec2.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


@pytest.fixture(scope="module")
def make_instance_profile() -> Callable:
    """``make(moto, name, policy=None)``: a role EC2 may assume, allowed what ``policy``
    allows (IAM is enforced: nothing without one), in an instance profile of the same name;
    returns the profile as IAM describes it (with its role)."""

    def make(moto, name: str, policy: dict | None = None) -> dict:
        iam = moto.client("iam")
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(EC2_TRUST))
        if policy is not None:
            iam.put_role_policy(RoleName=name, PolicyName=name, PolicyDocument=json.dumps(policy))
        iam.create_instance_profile(InstanceProfileName=name)
        iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=name)
        return iam.get_instance_profile(InstanceProfileName=name)["InstanceProfile"]

    return make
