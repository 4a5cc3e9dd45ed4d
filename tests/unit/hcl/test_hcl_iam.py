"""IAM: an EC2 role with a least-privilege policy scoped to the bucket and the one SSM
parameter; no wildcard actions; "*" resources only where AWS allows nothing else; no
static keys anywhere."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from hclmodel import ENVIRONMENTS, Expr

# "*" is the only valid resource of these actions; a condition must scope them instead
STAR_RESOURCE_OK = {"cloudwatch:PutMetricData": "cloudwatch:namespace"}

# what the instance role may touch, per service prefix of an action
ROLE_SCOPE = {
    "s3": (r"var\.bucket_arn", r"var\.artifact_bucket_arn"),
    "ssm": (r"var\.db_password_parameter_arn",),
    "logs": (r"var\.log_group_arn",),
    "kms": (r"statement\.value", r"var\.ssm_kms_key_arn"),
    "cloudwatch": (),
}


@dataclass
class Statement:
    where: str
    effect: str
    actions: list[str]
    resources: list[Any]
    conditions: list[dict]


def statements(stack, module: str | None = None) -> list[Statement]:
    """Every statement of every aws_iam_policy_document (static and dynamic ones)."""
    out = []
    for doc in stack.data(module=module, type="aws_iam_policy_document"):
        bodies = doc.blocks("statement") + [d["content"] for d in doc.dynamic("statement")]
        for i, s in enumerate(bodies):
            out.append(
                Statement(
                    f"{doc.where} statement[{i}] {s.get('sid', '')}",
                    s.get("effect", "Allow"),
                    list(s.get("actions", [])),
                    list(s.get("resources", [])),
                    list(s.get("condition", [])),
                )
            )
    return out


@pytest.fixture(scope="module")
def role_statements(stack) -> list[Statement]:
    return statements(stack, "iam")


def test_role_policy_is_a_policy_document(stack):
    iam = stack.module("iam")
    policy = iam.resource("aws_iam_role_policy")
    assert policy["policy"] == Expr("data.aws_iam_policy_document.this.json"), policy.where
    assert policy["role"] == Expr("aws_iam_role.this.id"), policy.where


def test_every_policy_is_built_from_a_policy_document(stack):
    """So that the statement checks below see every statement there is."""
    for res in stack.resources():
        for key in ("policy", "assume_role_policy", "inline_policy"):
            if key in res:
                assert re.fullmatch(
                    r"data\.aws_iam_policy_document\.\w+(\[\d+\])?\.json", res[key]
                ), f"{res.where}: {key} = {res[key]!r} is not an aws_iam_policy_document"


def test_role_is_assumed_by_ec2_only(stack):
    iam = stack.module("iam")
    role = iam.resource("aws_iam_role", "this")
    doc = iam.data_source("aws_iam_policy_document", role["assume_role_policy"].split(".")[2])
    principals = [
        (p["type"], tuple(p["identifiers"]))
        for s in doc.blocks("statement")
        for p in s["principals"]
    ]
    assert principals == [("Service", ("ec2.amazonaws.com",))], f"{doc.where}: {principals}"
    assert iam.resource("aws_iam_instance_profile")["role"] == Expr("aws_iam_role.this.name")


def test_no_wildcard_actions_in_allow_statements(stack):
    bad = [
        f"{s.where}: {a}"
        for s in statements(stack)
        if s.effect == "Allow"
        for a in s.actions
        if "*" in a
    ]
    assert not bad, "Allow statements with wildcard actions:\n" + "\n".join(bad)


def test_star_resource_only_for_put_metric_data_with_a_namespace(stack):
    for s in statements(stack):
        if s.effect != "Allow" or "*" not in s.resources:
            continue
        assert len(s.actions) == 1 and s.actions[0] in STAR_RESOURCE_OK, (
            f'{s.where}: resource "*" for {s.actions}'
        )
        key = STAR_RESOURCE_OK[s.actions[0]]
        assert any(c.get("variable") == key and c.get("values") for c in s.conditions), (
            f'{s.where}: resource "*" needs a {key} condition'
        )


def test_no_partial_wildcard_resources(stack):
    """ARN wildcards only for the objects of a bucket ARN or log streams of a group."""
    for s in statements(stack):
        if s.effect != "Allow":
            continue
        for r in s.resources:
            text = str(r)
            if text == "*" or "*" not in text:
                continue
            assert re.fullmatch(
                r"\$\{(var|aws_\w+\.\w+|aws_\w+\.\w+\[0\])\.?[\w.]*\}(/.*\*|:\*)", text
            ), f"{s.where}: wildcard resource {text!r}"


@pytest.mark.parametrize("service", sorted(ROLE_SCOPE))
def test_role_statements_are_scoped(role_statements, service):
    allowed = ROLE_SCOPE[service]
    for s in role_statements:
        if s.effect != "Allow" or not any(a.startswith(f"{service}:") for a in s.actions):
            continue
        assert {a.split(":")[0] for a in s.actions} == {service}, (
            f"{s.where}: mixes services {s.actions}"
        )
        for r in s.resources:
            if r == "*":
                continue  # checked by test_star_resource_only_for_put_metric_data_with_a_namespace
            assert any(re.search(p, str(r)) for p in allowed), (
                f"{s.where}: {service} actions on {r!r}; allowed: {allowed}"
            )


def test_s3_access_is_the_bucket_and_its_objects(role_statements):
    s3 = {
        str(r) for s in role_statements for r in s.resources if any("s3:" in a for a in s.actions)
    }
    assert {"var.bucket_arn", "${var.bucket_arn}/*"} <= s3, s3


def test_ssm_access_is_the_one_password_parameter(role_statements):
    ssm = [s for s in role_statements if any(a.startswith("ssm:") for a in s.actions)]
    assert ssm, "modules/iam: the role cannot read the DB password parameter"
    for s in ssm:
        assert s.resources == [Expr("var.db_password_parameter_arn")], s.where
        assert set(s.actions) <= {"ssm:GetParameter", "ssm:GetParameters"}, s.where


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_environment_scopes_the_role_to_its_own_resources(stack, env):
    root = stack.env(env)
    expect = {
        "bucket_arn": "module.storage.bucket_arn",
        "db_password_parameter_arn": "module.database.password_parameter_arn",
        "log_group_arn": "module.monitoring.log_group_arn",
    }
    for arg, ref in expect.items():
        assert root.effective("iam", arg) == Expr(ref), f"{root.module_calls['iam'].where}: {arg}"
    assert root.effective("compute", "instance_profile_name") == Expr(
        "module.iam.instance_profile_name"
    )


@pytest.mark.parametrize(
    "type_",
    ["aws_iam_access_key", "aws_iam_user", "aws_iam_user_policy", "aws_iam_user_login_profile"],
)
def test_no_static_credentials(stack, type_):
    found = [r.where for r in stack.resources(type=type_)]
    assert not found, f"no IAM users or access keys: {found}"


def test_no_broad_managed_policies(stack):
    for att in stack.resources(type="aws_iam_role_policy_attachment"):
        assert not re.search(r"AdministratorAccess|FullAccess|PowerUser", str(att["policy_arn"])), (
            att.where
        )


def test_no_access_keys_in_the_sources(stack):
    pattern = re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b|aws_secret_access_key|aws_access_key_id")
    for root in stack.roots.values():
        for fname, text in root.sources.items():
            assert not pattern.search(text), f"{root.path}/{fname}: AWS key material"
