"""The layout of docs/CONTRACTS.md and DESIGN.md's conventions (terraform-aws-modules):
the same files in every module, a ``tags`` map, single resources named ``this``, names
that start with the name_prefix; each environment one call of modules/stack.

Described and typed variables, described outputs, version constraints, unused
declarations and naming are tflint's (`make lint`, .tflint.hcl); README tables are
terraform-docs' (test_docs.py).
"""

from __future__ import annotations

import re

import pytest
from hcl_summary import ENVIRONMENTS, MODULES, REPO_ROOT, ROOTS

MODULE_FILES = {"main.tf", "variables.tf", "outputs.tf", "versions.tf", "README.md"}
ENVIRONMENT_FILES = MODULE_FILES | {
    "providers.tf",
    "backend.hcl.example",
    "terraform.tfvars.example",
}

# the argument that names a resource, where it is not `name`; None: named by its caller
# (the SSM path of docs/CONTRACTS.md) or only within its parent role
NAME_ARGUMENT = {
    "aws_cloudwatch_metric_alarm": "alarm_name",
    "aws_db_instance": "identifier",
    "aws_s3_bucket": "bucket",
    "aws_ssm_parameter": None,
    "aws_iam_role_policy": None,
}
# one of a family, named by its role rather than `this`
NAMED_BY_ROLE = {"aws_route.public_internet"}


@pytest.mark.parametrize("module", MODULES)
def test_module_files(hcl, module):
    assert hcl[f"modules/{module}"].files >= MODULE_FILES


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_environment_files(hcl, env):
    assert hcl[f"environments/{env}"].files >= ENVIRONMENT_FILES


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_environment_is_one_call_of_the_stack(hcl, env):
    root = hcl[f"environments/{env}"]
    assert (list(root.modules), root.modules["stack"]["source"]) == (
        ["stack"],
        "../../modules/stack",
    )
    assert not root.resources and not root.data


@pytest.mark.parametrize("module", MODULES)
def test_module_takes_a_tags_map(hcl, module):
    tags = hcl[f"modules/{module}"].variables["tags"]
    assert (tags["type"], tags["default"]) == ("${map(string)}", {})


@pytest.mark.parametrize("module", MODULES)
def test_tags_merge_the_callers(hcl, module):
    """Tagged resources and module calls add the caller's tags (a taggable resource
    without tags is tflint's aws_resource_missing_tags)."""
    root = hcl[f"modules/{module}"]
    tagged = {**root.resources, **{f"module.{n}": c for n, c in root.modules.items()}}
    assert [
        a for a, body in tagged.items() if "var.tags" not in str(body.get("tags", "var.tags"))
    ] == []
    assert all("tags" in call for call in root.modules.values())


@pytest.mark.parametrize("module", MODULES)
def test_names_carry_the_name_prefix(hcl, module):
    """Parallel stacks never collide, and the sweeper recognises leftovers by name."""
    root = hcl[f"modules/{module}"]
    names = {
        a: body.get(NAME_ARGUMENT.get(a.split(".")[0], "name"))
        for a, body in root.resources.items()
    }
    assert {a: n for a, n in names.items() if n and "var.name_prefix" not in root.expand(n)} == {}


def test_the_stack_gives_every_module_its_name_prefix(stack):
    prefixes = {n: c.get("name_prefix") for n, c in stack.modules.items()}
    assert prefixes == dict.fromkeys(stack.modules, "${local.name_prefix}")


@pytest.mark.parametrize("module", MODULES)
def test_single_resources_are_named_this(hcl, module):
    resources = hcl[f"modules/{module}"].resources
    types = [a.split(".")[0] for a in resources]
    single = [
        a
        for a, body in resources.items()
        if types.count(a.split(".")[0]) == 1 and "count" not in body and "for_each" not in body
    ]
    assert [a for a in single if not a.endswith(".this") and a not in NAMED_BY_ROLE] == []


@pytest.mark.parametrize("root", ROOTS)
def test_validations_test_only_their_variable(hcl, root):
    """Cross-variable validations need Terraform >= 1.9 / OpenTofu >= 1.8; we promise 1.5 / 1.6."""
    bad = [
        name
        for name, var in hcl[root].variables.items()
        for v in var.get("validation", [])
        if set(re.findall(r"\b(?:var|local|module|data)\.\w+", v["condition"])) != {f"var.{name}"}
    ]
    assert bad == []


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_environment_pins_providers_pessimistically(hcl, env):
    pins = {
        n: p["version"]
        for n, p in hcl[f"environments/{env}"].terraform["required_providers"][0].items()
    }
    assert pins and all(re.fullmatch(r"~> \d+\.\d+", v) for v in pins.values()), pins


@pytest.mark.parametrize("root", ROOTS)
def test_readme_has_prose_above_the_generated_part(root):
    text = (REPO_ROOT / root / "README.md").read_text(encoding="utf-8")
    prose = text.split("<!-- BEGIN_TF_DOCS -->", 1)[0]
    assert prose.startswith("# ") and len(prose.split()) > 20
    if root.startswith("modules/"):
        assert "```hcl" in prose, "a usage example"
