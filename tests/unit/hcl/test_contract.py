"""docs/CONTRACTS.md: the environments' inputs and outputs, the common tags, and a
database password that no input or output carries.

Their values (the name_prefix, the password parameter's path, app_url) are checked by
modules/stack's ``tofu test``, which also plans both environments.
"""

from __future__ import annotations

import json
import re

import pytest
from hcl_summary import ENVIRONMENTS, ROOTS, contract_inputs, contract_outputs

COMMON_TAGS = (
    "Project = var.project",
    "Environment = local.environment",
    "run_id = var.run_id",
    'ManagedBy = "terraform"',
)
# what carries the password itself (as opposed to its parameter's name or ARN)
PASSWORD = re.compile(r"random_password\.\w+\.result|aws_ssm_parameter\.\w+\.value|\.password\b")


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_outputs_are_the_contracts(hcl, env):
    assert set(hcl[f"environments/{env}"].outputs) == contract_outputs()


def test_the_stack_gives_every_contract_output(stack):
    assert contract_outputs() - {"region"} <= set(stack.outputs)


def _default(cell: str, env: str):
    """A default cell of the table ("none", "`null`", "dev `20`, prod `90`") as a value."""
    if cell == "none":
        return cell
    return json.loads((re.search(rf"{env} `([^`]*)`", cell) or re.fullmatch(r"`(.*)`", cell))[1])


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_inputs_are_the_contracts(hcl, env):
    have = {
        n: [v["type"].strip("${}"), v.get("default", "none")]
        for n, v in hcl[f"environments/{env}"].variables.items()
    }
    want = {n: [t, _default(d, env)] for n, (t, d, _) in contract_inputs().items()}
    assert have == want


@pytest.mark.parametrize("name", ["project", "run_id"])
def test_name_rules_are_the_contracts(stack, name):
    pattern = re.search(r"`(\^.*\$)`", contract_inputs()[name][2]).group(1)
    assert f'regex("{pattern}", var.{name})' in stack.variables[name]["validation"][0]["condition"]


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_default_tags_carry_the_common_tags(hcl, env):
    tags = hcl[f"environments/{env}"].providers["aws"]["default_tags"][0]["tags"]
    assert tags.startswith("${merge(var.tags, {") and all(t in tags for t in COMMON_TAGS)


@pytest.mark.parametrize("root", ROOTS)
def test_no_output_carries_the_password(hcl, root):
    assert {
        n: o["value"]
        for n, o in hcl[root].outputs.items()
        if PASSWORD.search(hcl[root].expand(str(o["value"])))
    } == {}


@pytest.mark.parametrize("root", ROOTS)
def test_no_input_takes_a_password(hcl, root):
    """Nobody types the password: only its parameter's name or ARN is passed around."""
    names = [n for n in hcl[root].variables if re.search("password|secret", n)]
    assert [n for n in names if not re.search(r"_parameter_(name|arn|kms_key_id)$", n)] == []
