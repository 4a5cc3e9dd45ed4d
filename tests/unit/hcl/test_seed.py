"""The seed's structure (/work/shared/seed, docs/CONTRACTS.md): every component it
describes exists in the module that owns it, the stack wires them as it describes, and
user_data deploys the app with no manual step.

Their settings are owned elsewhere: security rules by checkov (policies/, `make gate`),
values and validations by each module's ``tofu test``, behaviour by tests/integration.
"""

from __future__ import annotations

import re

import pytest
from hcl_summary import MODULES, REPO_ROOT

SEED = [
    # (module, address): what the seed describes
    ("network", "aws_vpc.this"),  # a /16 VPC (size: modules/network tofu test)
    ("network", "aws_internet_gateway.this"),
    ("network", "aws_subnet.public"),  # one public subnet for the web server
    ("network", "aws_subnet.private"),  # two private subnets in two AZs (count: tofu test)
    ("network", "aws_route_table.public"),
    ("network", "aws_route.public_internet"),
    ("network", "aws_route_table.private"),
    ("compute", "aws_instance.this"),  # the web server
    ("compute", "data.aws_ami.ubuntu"),  # Ubuntu (24.04 from Canonical: tofu test)
    ("release", "aws_s3_object.app"),  # the app, installed by user_data
    ("storage", "aws_s3_bucket.this"),
    ("storage", "aws_s3_bucket_ownership_controls.this"),
    ("storage", "aws_s3_bucket_server_side_encryption_configuration.this"),
    ("storage", "aws_s3_bucket_versioning.this"),
    ("storage", "aws_s3_bucket_public_access_block.this"),
    ("database", "aws_db_instance.this"),
    ("database", "aws_db_subnet_group.this"),
    ("database", "random_password.this"),  # the password, generated ...
    ("database", "aws_ssm_parameter.this"),  # ... and kept in a secure store
    ("iam", "aws_iam_role.this"),
    ("iam", "aws_iam_instance_profile.this"),
    ("iam", "aws_iam_role_policy.this"),
    ("security", "aws_security_group.web"),
    ("security", "aws_security_group.db"),
    ("monitoring", "aws_cloudwatch_log_group.this"),
    ("monitoring", "aws_cloudwatch_metric_alarm.cpu"),
    ("monitoring", "aws_cloudwatch_metric_alarm.status_check"),
]

# Each rule of the seed's security groups is one resource: these and no others.
SECURITY_RULES = {
    "aws_vpc_security_group_ingress_rule": {
        "web_http_ipv4",
        "web_http_ipv6",
        "web_ssh",
        "db_from_web",
    },
    "aws_vpc_security_group_egress_rule": {"web_https", "web_http", "web_to_db"},  # db: none
}

# Not in this design: IAM users and keys (the instance role only), a way out of the
# private subnets, ACL grants (ACLs are disabled).
ABSENT = [
    "aws_iam_user",
    "aws_iam_access_key",
    "aws_iam_user_policy",
    "aws_iam_user_login_profile",
    "aws_nat_gateway",
    "aws_egress_only_internet_gateway",
    "aws_s3_bucket_acl",
    "aws_security_group_rule",
]

WIRING = [
    # (module call in modules/stack, argument, what it must be)
    ("database", "subnet_ids", "module.network.private_subnet_ids"),
    ("database", "security_group_ids", ["module.security.db_security_group_id"]),
    ("compute", "subnet_id", "module.network.public_subnet_id"),
    ("compute", "security_group_ids", ["module.security.web_security_group_id"]),
    ("compute", "instance_profile_name", "module.iam.instance_profile_name"),
    ("compute", "user_data_base64", "module.release.user_data_base64"),
    ("security", "vpc_id", "module.network.vpc_id"),
    ("security", "operator_cidr", "var.operator_cidr"),
    ("iam", "bucket_arn", "module.storage.bucket_arn"),
    ("iam", "artifact_bucket_arn", "module.artifacts.bucket_arn"),
    ("iam", "db_password_parameter_arn", "module.database.password_parameter_arn"),
    ("iam", "log_group_arn", "module.monitoring.log_group_arn"),
    ("release", "bucket_name", "module.storage.bucket_name"),
    ("release", "artifact_bucket_name", "module.artifacts.bucket_name"),
    ("release", "db_address", "module.database.address"),
    ("release", "db_password_parameter_name", "module.database.password_parameter_name"),
    ("release", "log_group_name", "module.monitoring.log_group_name"),
    ("monitoring", "instance_id", "module.compute.instance_id"),
]

APP_STEPS = {
    "fails fast": r"^set -euo pipefail$",
    "creates the schema": r"flask\"? --app app init-db",
    "runs the app under gunicorn": r"gunicorn .*'app:create_app\(\)'",
    "as a systemd service": r"systemctl enable [\w.-]+\.service",
    "started at boot": r"systemctl (re)?start [\w.-]+\.service",
}


def _ref(value):
    return [_ref(v) for v in value] if isinstance(value, list) else f"${{{value}}}"


@pytest.mark.parametrize("module, address", SEED, ids=[a for _, a in SEED])
def test_seed_component_exists(hcl, module, address):
    root = hcl[f"modules/{module}"]
    assert address.removeprefix("data.") in (
        root.data if address.startswith("data.") else root.resources
    )


def test_the_stack_calls_every_module(stack):
    sources = {call["source"] for call in stack.modules.values()}
    assert sources == {f"../{m}" for m in MODULES if m != "stack"}


@pytest.mark.parametrize("call, argument, expected", WIRING, ids=[f"{c}.{a}" for c, a, _ in WIRING])
def test_the_stack_wires_the_components(stack, call, argument, expected):
    assert stack.modules[call][argument] == _ref(expected)


@pytest.mark.parametrize("type_", sorted(SECURITY_RULES))
def test_security_rules_are_the_seeds(hcl, type_):
    """Rules are resources of their own: no inline ones in the groups."""
    rules = {
        a.split(".")[1] for a in hcl["modules/security"].resources if a.startswith(f"{type_}.")
    }
    assert rules == SECURITY_RULES[type_]
    groups = [
        b
        for a, b in hcl["modules/security"].resources.items()
        if a.startswith("aws_security_group.")
    ]
    assert not [g for g in groups if "ingress" in g or "egress" in g]


def test_no_route_out_of_the_private_subnets(hcl):
    network = hcl["modules/network"]
    assert [a for a in network.resources if a.startswith("aws_route.")] == [
        "aws_route.public_internet"
    ]
    assert "route" not in network.resources["aws_route_table.private"]


@pytest.mark.parametrize("type_", ABSENT)
def test_absent_from_the_design(hcl, type_):
    assert not [
        f"{r.path}: {a}" for r in hcl.values() for a in r.resources if a.startswith(f"{type_}.")
    ]


@pytest.mark.parametrize("step", APP_STEPS)
def test_user_data_installs_and_starts_the_app(step):
    template = (REPO_ROOT / "app" / "deploy" / "user_data.sh.tftpl").read_text(encoding="utf-8")
    assert re.search(APP_STEPS[step], template, re.M), f"user_data.sh.tftpl: no step: {step}"
