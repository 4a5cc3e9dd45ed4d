"""The condition and statement evaluation of the emulator's IAM layer (harness/emulator/iam),
without a server: the cases the stack's policies use, and unknown keys failing closed."""

from __future__ import annotations

import pytest

from harness.emulator.iam.conditions import conditions_met
from harness.emulator.iam.policy import Result, policy_result, principal_matches, statement_result

NS = {"StringEquals": {"cloudwatch:namespace": "Filestore/dev"}}
VIA_SSM = {"StringEquals": {"kms:ViaService": "ssm.us-east-1.amazonaws.com"}}
PLAIN_HTTP = {"Bool": {"aws:SecureTransport": "false"}}


@pytest.mark.parametrize(
    ("block", "context", "met"),
    [
        (NS, {"cloudwatch:namespace": "Filestore/dev"}, True),
        (NS, {"cloudwatch:namespace": "Other"}, False),
        (NS, {}, False),  # absent key: StringEquals is not met
        (VIA_SSM, {"kms:ViaService": "ssm.us-east-1.amazonaws.com"}, True),
        (VIA_SSM, {"kms:ViaService": "s3.us-east-1.amazonaws.com"}, False),
        (VIA_SSM, {}, False),  # a direct kms:Decrypt has no kms:ViaService
        (PLAIN_HTTP, {"aws:SecureTransport": "true"}, False),
        (PLAIN_HTTP, {"aws:SecureTransport": "false"}, True),
        ({"Bool": {"aws:SecureTransport": True}}, {"aws:SecureTransport": "true"}, True),
        ({"StringLike": {"s3:prefix": "app/*"}}, {"s3:prefix": "app/x"}, True),
        ({"StringLike": {"s3:prefix": "app/*"}}, {"s3:prefix": "other/x"}, False),
        (
            {"StringNotEquals": {"aws:RequestedRegion": "us-east-1"}},
            {"aws:RequestedRegion": "eu-west-1"},
            True,
        ),
        ({"StringEqualsIfExists": {"iam:PassedToService": "ec2.amazonaws.com"}}, {}, True),
        (
            {"ArnLike": {"aws:SourceArn": "arn:aws:ec2:*:1:vpc/*"}},
            {"aws:SourceArn": "arn:aws:ec2:us-east-1:1:vpc/v"},
            True,
        ),
        ({"Null": {"aws:SourceArn": "true"}}, {}, True),
        ({"StringEquals": {"kms:ViaService": ["a", "b"]}}, {"kms:ViaService": "b"}, True),
        ({"StringEquals": {"cloudwatch:NAMESPACE": "N"}}, {"cloudwatch:namespace": "N"}, True),
    ],
)
def test_operators_and_keys(block, context, met):
    assert conditions_met(block, context) is met


@pytest.mark.parametrize(
    "block",
    [
        {"StringEquals": {"aws:CalledVia": "ssm.amazonaws.com"}},  # a key it does not know
        {"StringEquals": {"ec2:ResourceTag/Project": "filestore"}},
        {"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}},  # an operator
        {"ForSomeValues:StringEquals": {"s3:prefix": "x"}},
    ],
)
def test_what_it_cannot_evaluate_fails_closed(block):
    context = {"aws:CalledVia": "ssm.amazonaws.com", "s3:prefix": "x"}
    assert conditions_met(block, context, "Allow") is False  # the allow does not apply
    assert conditions_met(block, context, "Deny") is True  # the deny does


def test_an_allow_with_an_unmet_condition_does_not_apply_and_is_no_deny():
    allow = {
        "Effect": "Allow",
        "Action": "cloudwatch:PutMetricData",
        "Resource": "*",
        "Condition": NS,
    }
    other = {"cloudwatch:namespace": "Other"}
    assert statement_result(allow, "cloudwatch:PutMetricData", "*", None, other) is Result.NEUTRAL
    mine = {"cloudwatch:namespace": "Filestore/dev"}
    assert statement_result(allow, "cloudwatch:PutMetricData", "*", None, mine) is Result.PERMITTED


def test_the_tls_only_bucket_policy_denies_plain_http_only():
    deny = {
        "Effect": "Deny",
        "Principal": {"AWS": "*"},
        "Action": "s3:*",
        "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
        "Condition": PLAIN_HTTP,
    }
    tls, plain = {"aws:SecureTransport": "true"}, {"aws:SecureTransport": "false"}
    assert statement_result(deny, "s3:GetObject", "arn:aws:s3:::b/k", None, tls) is Result.NEUTRAL
    assert statement_result(deny, "s3:GetObject", "arn:aws:s3:::b/k", None, plain) is Result.DENIED


def test_wildcards_are_iam_wildcards_not_regular_expressions():
    st = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::a.b/app/*"}
    assert statement_result(st, "s3:getobject", "arn:aws:s3:::a.b/app/x") is Result.PERMITTED
    assert statement_result(st, "s3:GetObject", "arn:aws:s3:::aXb/app/x") is Result.NEUTRAL
    assert statement_result(st, "s3:GetObject", "arn:aws:s3:::a.b/other") is Result.NEUTRAL


TRUST_EC2 = {
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "ec2.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ]
}
TRUST_ACCOUNT = {
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
            "Action": "sts:AssumeRole",
        }
    ]
}


def test_trust_policies_name_services_and_accounts():
    role = "arn:aws:iam::123456789012:role/r"
    ec2, lam = {"Service": "ec2.amazonaws.com"}, {"Service": "lambda.amazonaws.com"}
    user = "arn:aws:iam::123456789012:user/admin"
    assert policy_result(TRUST_EC2, "sts:AssumeRole", role, ec2) is Result.PERMITTED
    assert policy_result(TRUST_EC2, "sts:AssumeRole", role, lam) is Result.NEUTRAL
    assert policy_result(TRUST_EC2, "sts:AssumeRole", role, user) is Result.NEUTRAL  # no crash
    assert policy_result(TRUST_ACCOUNT, "sts:AssumeRole", role, user) is Result.PERMITTED
    assert policy_result(TRUST_ACCOUNT, "sts:AssumeRole", role, ec2) is Result.NEUTRAL
    other = "arn:aws:iam::999999999999:user/admin"
    assert policy_result(TRUST_ACCOUNT, "sts:AssumeRole", role, other) is Result.NEUTRAL


def test_an_assumed_role_session_matches_its_role():
    session = "arn:aws:sts::123456789012:assumed-role/r/i-1"
    assert principal_matches({"AWS": "arn:aws:iam::123456789012:role/r"}, session) is True
    assert principal_matches({"AWS": "arn:aws:iam::123456789012:role/other"}, session) is False
