"""What each environment passes to modules/stack: dev stays in the free tier and is easy
to tear down, prod keeps the safe settings, and the stack's own defaults are the safe
ones (so that a caller opts out of safety, never in). A setting is read from the
environment's ``module "stack"`` call: a literal or ``var.x`` (its default); absent,
the stack's default.

That the modules apply these settings is their ``tofu test``'s; that prod's database is
Multi-AZ and deletion-protected is also checkov's (CKV_AWS_157, CKV_AWS_293 on prod).
"""

from __future__ import annotations

import re

import hcl2
import pytest
from hcl_summary import OPTIONS, REPO_ROOT

FREE_INSTANCE_TYPES = {"t2.micro", "t3.micro", "t4g.micro"}
FREE_DB_CLASSES = {"db.t2.micro", "db.t3.micro", "db.t4g.micro"}
FREE_DB_GIB = 20


def false(v):
    return v is False


def true(v):
    return v is True


SETTINGS = [
    # (stack variable, the module arguments it sets, dev's rule, prod's rule)
    ("instance_type", ["compute.instance_type"], FREE_INSTANCE_TYPES.__contains__, None),
    ("db_instance_class", ["database.instance_class"], FREE_DB_CLASSES.__contains__, None),
    ("db_allocated_storage", ["database.allocated_storage"], lambda v: v <= FREE_DB_GIB, None),
    ("db_max_allocated_storage", ["database.max_allocated_storage"], lambda v: v == 0, None),
    ("detailed_monitoring", ["compute.monitoring", "monitoring.detailed_monitoring"], false, true),
    ("enable_flow_logs", ["network.enable_flow_logs"], None, true),
    ("db_multi_az", ["database.multi_az"], false, true),
    ("db_deletion_protection", ["database.deletion_protection"], false, true),
    ("db_skip_final_snapshot", ["database.skip_final_snapshot"], true, false),
    ("db_backup_retention_period", ["database.backup_retention_period"], None, lambda v: v >= 7),
    ("db_apply_immediately", ["database.apply_immediately"], None, false),
    ("db_log_exports", ["database.enabled_cloudwatch_logs_exports"], None, bool),
    ("bucket_force_destroy", ["storage.force_destroy"], true, false),
    (
        "noncurrent_version_expiration_days",
        ["storage.noncurrent_version_expiration_days"],
        None,
        lambda v: v >= 30,
    ),
    (
        "log_retention_days",
        ["monitoring.log_retention_days", "database.log_retention_days"],
        None,
        lambda v: v >= 30,
    ),
    # the same in every environment; the emulator target sets them (docs/CONTRACTS.md)
    ("install_cloudwatch_agent", ["release.install_cloudwatch_agent"], None, None),
    ("db_ca_bundle_url", ["release.db_ca_bundle_url"], None, None),
    ("db_port", ["database.port", "security.db_port"], None, None),
]
DEV = [(s, rule) for s, _, rule, _ in SETTINGS if rule]
PROD = [(s, rule) for s, _, _, rule in SETTINGS if rule]


def setting(hcl, env: str, name: str):
    """The value environments/<env> gives the stack's ``name``."""
    root, stack = hcl[f"environments/{env}"], hcl["modules/stack"]
    value = root.modules["stack"].get(name, stack.variables[name].get("default"))
    text = str(value)
    if m := re.fullmatch(r"\$\{var\.(\w+)\}", text):
        return root.variables[m.group(1)]["default"]
    assert "${" not in text, f"environments/{env}: {name} = {text} is neither a literal nor var.x"
    return value


def tfvars_example(env: str) -> dict:
    with open(
        REPO_ROOT / "environments" / env / "terraform.tfvars.example", encoding="utf-8"
    ) as fh:
        return hcl2.load(fh, serialization_options=OPTIONS)


@pytest.mark.parametrize("name, targets", [(s, t) for s, t, _, _ in SETTINGS])
def test_the_stack_passes_the_setting_on(stack, name, targets):
    passed = {t: stack.modules[t.split(".")[0]][t.split(".")[1]] for t in targets}
    assert passed == {t: f"${{var.{name}}}" for t in targets}


@pytest.mark.parametrize("name, rule", DEV, ids=[s for s, _ in DEV])
def test_dev_is_free_and_easy_to_tear_down(hcl, name, rule):
    example = tfvars_example("dev").get(name)
    assert rule(setting(hcl, "dev", name)) and (example is None or rule(example))


@pytest.mark.parametrize("name, rule", PROD, ids=[s for s, _ in PROD])
def test_prod_is_safe(hcl, name, rule):
    assert rule(setting(hcl, "prod", name))


@pytest.mark.parametrize("name, rule", PROD, ids=[s for s, _ in PROD])
def test_the_stacks_defaults_are_safe(stack, name, rule):
    assert rule(stack.variables[name]["default"])


def test_the_examples_open_ssh_to_one_host():
    assert all(
        re.fullmatch(r"\d+\.\d+\.\d+\.\d+/32", tfvars_example(e)["operator_cidr"])
        for e in ("dev", "prod")
    )
