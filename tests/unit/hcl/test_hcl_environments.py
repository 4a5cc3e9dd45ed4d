"""The environments: dev within the free tier, prod safer than dev, common tags through
the provider's default_tags and every module's ``tags``, and the inputs and outputs of
docs/CONTRACTS.md."""

from __future__ import annotations

import json
import re

import hclmodel
import pytest
from hclmodel import ENVIRONMENTS, MODULES, Expr, call_arguments, object_items

FREE_INSTANCE_TYPES = {"t2.micro", "t3.micro", "t4g.micro"}
FREE_DB_CLASSES = {"db.t2.micro", "db.t3.micro", "db.t4g.micro"}
FREE_DB_STORAGE_GB = 20
FREE_EBS_GB = 30
COMMON_TAGS = {"Project", "Environment", "run_id", "ManagedBy"}

# Resource types of the modules and whether they take tags. A type used by a module but
# missing from both sets fails test_every_resource_type_is_classified.
TAGGABLE = {
    "aws_cloudwatch_log_group",
    "aws_cloudwatch_metric_alarm",
    "aws_db_instance",
    "aws_db_parameter_group",
    "aws_db_subnet_group",
    "aws_default_security_group",
    "aws_eip",
    "aws_flow_log",
    "aws_iam_instance_profile",
    "aws_iam_policy",
    "aws_iam_role",
    "aws_instance",
    "aws_internet_gateway",
    "aws_key_pair",
    "aws_kms_key",
    "aws_nat_gateway",
    "aws_network_acl",
    "aws_route_table",
    "aws_s3_bucket",
    "aws_s3_object",
    "aws_security_group",
    "aws_sns_topic",
    "aws_ssm_parameter",
    "aws_subnet",
    "aws_vpc",
    "aws_vpc_endpoint",
    "aws_vpc_security_group_egress_rule",
    "aws_vpc_security_group_ingress_rule",
}
NOT_TAGGABLE = {
    "aws_iam_role_policy",
    "aws_iam_role_policy_attachment",
    "aws_route",
    "aws_route_table_association",
    "aws_s3_bucket_lifecycle_configuration",
    "aws_s3_bucket_ownership_controls",
    "aws_s3_bucket_policy",
    "aws_s3_bucket_public_access_block",
    "aws_s3_bucket_server_side_encryption_configuration",
    "aws_s3_bucket_versioning",
    "aws_security_group_rule",
    "random_id",
    "random_password",
    "random_string",
}
# taggable, but a Name tag makes no sense (one per object of the app)
NO_NAME_TAG = {"aws_s3_object"}


# ---------------------------------------------------------------------- free tier


def _dev_values(dev, variable: str, call: str, argument: str) -> dict[str, object]:
    """Where a dev setting comes from: the variable's default, the tfvars example, and the
    value the module call finally gets."""
    values: dict[str, object] = {"module argument": dev.effective(call, argument)}
    if variable in dev.variables:
        values["variable default"] = dev.variables[variable].get("default")
    if variable in (dev.tfvars_example or {}):
        values["terraform.tfvars.example"] = dev.tfvars_example[variable]
    return values


def _gib_at_most(limit: int):
    return lambda v: isinstance(v, int) and v <= limit


FREE_TIER = [
    # (dev variable, module call, module argument, is it free?)
    ("instance_type", "compute", "instance_type", FREE_INSTANCE_TYPES.__contains__),
    ("db_instance_class", "database", "instance_class", FREE_DB_CLASSES.__contains__),
    ("db_allocated_storage", "database", "allocated_storage", _gib_at_most(FREE_DB_STORAGE_GB)),
    (
        "db_max_allocated_storage",
        "database",
        "max_allocated_storage",
        lambda v: v in (0, None) or _gib_at_most(FREE_DB_STORAGE_GB)(v),
    ),
    ("db_multi_az", "database", "multi_az", lambda v: v is False),
    ("root_volume_size", "compute", "root_volume_size", _gib_at_most(FREE_EBS_GB)),
]


@pytest.mark.parametrize(
    "variable, call, argument, allowed", FREE_TIER, ids=[f"{c}.{a}" for _, c, a, _ in FREE_TIER]
)
def test_dev_stays_in_the_free_tier(dev, variable, call, argument, allowed):
    values = _dev_values(dev, variable, call, argument)
    bad = {where: v for where, v in values.items() if not allowed(v)}
    assert not bad, (
        f"environments/dev: {call}.{argument} leaves the free tier: {bad} "
        f"(see {dev.module_calls[call].where})"
    )


# --------------------------------------------------------------- prod is safer


SAFETY = [
    # (module call, argument, is it safe?)
    ("database", "deletion_protection", lambda v: v is True),
    ("database", "multi_az", lambda v: v is True),
    ("database", "skip_final_snapshot", lambda v: v is False),
    ("database", "backup_retention_period", lambda v: isinstance(v, int) and v >= 7),
    ("storage", "force_destroy", lambda v: v is False),
]


@pytest.mark.parametrize("call, argument, safe", SAFETY, ids=[f"{c}.{a}" for c, a, _ in SAFETY])
def test_prod_is_safe(prod, call, argument, safe):
    value = prod.effective(call, argument)
    assert safe(value), f"{prod.module_calls[call].where}: {argument} resolves to {value!r} in prod"


def test_prod_is_at_least_as_safe_as_dev(dev, prod):
    for call, argument, safe in SAFETY:
        if safe(dev.effective(call, argument)):
            assert safe(prod.effective(call, argument)), f"prod weaker than dev: {call}.{argument}"


def test_dev_is_easy_to_tear_down(dev):
    """The suite destroys dev stacks: nothing may block that."""
    assert dev.effective("database", "deletion_protection") is False
    assert dev.effective("database", "skip_final_snapshot") is True
    assert dev.effective("storage", "force_destroy") is True


# ----------------------------------------------------------------------- tagging


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_default_tags_carry_the_common_tags(stack, env):
    root = stack.env(env)
    aws = [p for p in root.providers if p.type == "aws"]
    assert aws, f'environments/{env}: no provider "aws" block'
    for provider in aws:
        blocks = provider.blocks("default_tags")
        assert len(blocks) == 1, f"{provider.where}: no default_tags block"
        tags = root.resolve(blocks[0]["tags"])
        if isinstance(tags, dict):
            fixed = {k: str(v) for k, v in tags.items()}
        else:
            args = call_arguments(str(tags), "merge")
            assert args[-1].startswith("{"), (
                f"{provider.where}: the common tags must be merged last (so they win): {args}"
            )
            fixed = object_items(args[-1])
        missing = COMMON_TAGS - set(fixed)
        assert not missing, f"{provider.where}: default_tags lacks {sorted(missing)}"
        assert fixed["Project"] == "var.project", provider.where
        assert fixed["run_id"] == "var.run_id", provider.where
        assert fixed["ManagedBy"].strip('"') == "terraform", provider.where
        environment = root.resolve(Expr(fixed["Environment"]))
        assert environment == env, f"{provider.where}: Environment tag is {environment!r}"


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_name_prefix_is_project_environment_run_id(stack, env):
    root = stack.env(env)
    assert root.locals.get("name_prefix") == "${var.project}-${local.environment}-${var.run_id}"
    for call in root.module_calls.values():
        if "name_prefix" in root.module_root(call.name).variables:
            assert call.get("name_prefix") == Expr("local.name_prefix"), call.where


def test_every_resource_type_is_classified(stack):
    used = {r.type for m in MODULES for r in stack.module(m).resources}
    unknown = sorted(used - TAGGABLE - NOT_TAGGABLE)
    assert not unknown, f"add these types to TAGGABLE or NOT_TAGGABLE in {__file__}: {unknown}"


@pytest.mark.parametrize("module", MODULES)
def test_taggable_resources_merge_var_tags(stack, module):
    root = stack.module(module)
    problems = []
    for res in root.resources:
        if res.type not in TAGGABLE:
            assert "tags" not in res or res.type not in NOT_TAGGABLE, res.where
            continue
        if "tags" not in res:
            problems.append(f"{res.where}: no tags")
            continue
        text = root.expand(res["tags"])
        if "var.tags" not in text:
            problems.append(f"{res.where}: tags = {res['tags']} does not use var.tags")
        elif res.type not in NO_NAME_TAG and not re.search(r"\bName\s*=", text):
            problems.append(f"{res.where}: tags = {res['tags']} has no Name")
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------------- contract


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_outputs_are_exactly_the_contract(stack, env):
    have = set(stack.env(env).outputs)
    want = set(hclmodel.contract_outputs())
    assert have == want, (
        f"environments/{env}/outputs.tf differs from docs/CONTRACTS.md: "
        f"missing {sorted(want - have)}, not in the contract {sorted(have - want)}"
    )


def _contract_default(cell: str, env: str) -> tuple[bool, object]:
    """(has a default?, value) from a CONTRACTS.md cell: "none", "`null`", "dev `20`"."""
    if cell == "none":
        return False, None
    m = re.fullmatch(r"(?:(\w+) )?`(.*)`", cell)
    assert m, f"docs/CONTRACTS.md: cannot read default {cell!r}"
    if m.group(1) and m.group(1) != env:
        return True, Ellipsis  # documented for another environment only
    try:
        return True, json.loads(m.group(2))
    except json.JSONDecodeError:  # dev `t3.micro`: an unquoted string
        return True, m.group(2)


@pytest.mark.parametrize("env", ENVIRONMENTS)
@pytest.mark.parametrize("name", sorted(hclmodel.contract_inputs()))
def test_inputs_follow_the_contract(stack, env, name):
    row = hclmodel.contract_inputs()[name]
    var = stack.env(env).variables.get(name)
    assert var is not None, f"environments/{env}/variables.tf: no variable {name!r}"
    assert var["type"] == Expr(row["type"]), f"{var.where}: type {var['type']} != {row['type']}"
    has_default, value = _contract_default(row["default"], env)
    assert ("default" in var) == has_default, f"{var.where}: default presence"
    if value is not Ellipsis and has_default:
        assert var["default"] == value, f"{var.where}: default {var['default']!r} != {value!r}"


def _regex_of(var) -> re.Pattern:
    conditions = [str(v["condition"]) for v in var.blocks("validation")]
    for cond in conditions:
        m = re.search(r'regex\("((?:[^"\\]|\\.)*)",\s*var\.' + var.name + r"\)", cond)
        if m:
            return re.compile(m.group(1).encode().decode("unicode_escape"))
    raise AssertionError(f"{var.where}: no regex() validation")


@pytest.mark.parametrize("env", ENVIRONMENTS)
@pytest.mark.parametrize(
    "name, good, bad",
    [
        ("run_id", ["manual", "ci-1234", "0abc"], ["Manual", "run_1", "-x", "a" * 21, ""]),
        ("project", ["filestore", "fs-2"], ["Filestore", "f", "1fs", "file_store", "a" * 22]),
    ],
)
def test_name_validations(stack, env, name, good, bad):
    var = stack.env(env).variables[name]
    pattern = _regex_of(var)
    contract = re.search(r"`(\^.*\$)`", hclmodel.contract_inputs()[name]["notes"])
    assert contract and pattern.pattern == contract.group(1), (
        f"{var.where}: validation regex {pattern.pattern!r} differs from docs/CONTRACTS.md"
    )
    assert [v for v in good if not pattern.search(v)] == [], var.where
    assert [v for v in bad if pattern.search(v)] == [], var.where
