"""Layout and conventions of every module and environment (terraform-aws-modules style):
the same files everywhere, described and typed variables, described outputs, pinned
versions, a ``tags`` input, single resources named ``this``."""

from __future__ import annotations

import re

import hclmodel
import pytest
from hclmodel import ENVIRONMENTS, MODULES, REPO_ROOT, Expr

CONTRACT_MODULES = ["network", "security", "storage", "database", "iam", "compute", "monitoring"]
MODULE_FILES = ["main.tf", "variables.tf", "outputs.tf", "versions.tf", "README.md"]
ENVIRONMENT_FILES = [
    "versions.tf",
    "providers.tf",
    "main.tf",
    "variables.tf",
    "outputs.tf",
    "terraform.tfvars.example",
]
ROOTS = [f"modules/{m}" for m in MODULES] + [f"environments/{e}" for e in ENVIRONMENTS]

# A resource type that appears once, unconditionally, in a module is named `this`
# (terraform-aws-modules), unless its name says which of a family it is.
NAMED_BY_ROLE = {
    # the public default route, the counterpart of the private route tables that have none
    ("network", "aws_route", "public_internet"),
}


def test_every_contract_module_and_environment_exists():
    assert set(CONTRACT_MODULES) <= set(MODULES), (
        f"modules missing: {sorted(set(CONTRACT_MODULES) - set(MODULES))}"
    )
    assert {"dev", "prod"} <= set(ENVIRONMENTS)


@pytest.mark.parametrize("module", MODULES)
@pytest.mark.parametrize("fname", MODULE_FILES)
def test_module_has_standard_file(module, fname):
    assert (REPO_ROOT / "modules" / module / fname).is_file(), f"modules/{module}/{fname} missing"


@pytest.mark.parametrize("env", ENVIRONMENTS)
@pytest.mark.parametrize("fname", ENVIRONMENT_FILES)
def test_environment_has_standard_file(env, fname):
    path = REPO_ROOT / "environments" / env / fname
    assert path.is_file(), f"environments/{env}/{fname} missing"


def test_every_file_parses(stack):
    parsed = {f"{r.path}/{f}" for r in stack.roots.values() for f in r.files}
    expected = {str(p.relative_to(REPO_ROOT)) for p in hclmodel.tf_files() if p.suffix == ".tf"}
    assert parsed == expected
    for root in stack.roots.values():
        for fname, body in root.files.items():
            assert body, f"{root.path}/{fname} is empty"


@pytest.mark.parametrize("root", ROOTS)
def test_every_variable_has_description_and_type(stack, root):
    bad = [
        f"{v.where}: {', '.join(k for k in ('description', 'type') if not v.get(k))}"
        for v in stack.roots[root].variables.values()
        if not (
            isinstance(v.get("description"), str) and v["description"].strip() and v.get("type")
        )
    ]
    assert not bad, "variables without description/type:\n" + "\n".join(bad)


@pytest.mark.parametrize("root", ROOTS)
def test_every_output_has_description(stack, root):
    bad = [
        o.where
        for o in stack.roots[root].outputs.values()
        if not (isinstance(o.get("description"), str) and o["description"].strip())
    ]
    assert not bad, f"outputs without description: {bad}"


@pytest.mark.parametrize("root", ROOTS)
def test_required_version_has_a_lower_bound(stack, root):
    version = stack.roots[root].terraform.get("required_version")
    assert isinstance(version, str), f"{root}/versions.tf: terraform.required_version missing"
    assert re.search(r"(>=|~>)\s*1\.\d+", version), (
        f"{root}/versions.tf: required_version {version!r} needs a lower bound such as '>= 1.5.0'"
    )


@pytest.mark.parametrize("root", ROOTS)
def test_providers_used_are_declared_with_source_and_version(stack, root):
    r = stack.roots[root]
    declared = r.required_providers
    used = {b.type.split("_", 1)[0] for b in r.resources + r.data}
    used |= {p.type for p in r.providers}
    missing = sorted(used - set(declared))
    assert not missing, f"{root}/versions.tf: required_providers lacks {missing}"
    for name, spec in declared.items():
        assert isinstance(spec, dict), f"{root}/versions.tf: provider {name} must be an object"
        assert spec.get("source") == f"hashicorp/{name}", f"{root}: provider {name} source"
        version = spec.get("version")
        assert isinstance(version, str) and re.search(r"(>=|~>)\s*\d", version), (
            f"{root}/versions.tf: provider {name} version {version!r} is not constrained"
        )


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_environment_pins_providers_pessimistically(stack, env):
    for name, spec in stack.env(env).required_providers.items():
        assert re.fullmatch(r"~>\s*\d+\.\d+(\.\d+)?", spec.get("version", "")), (
            f"environments/{env}/versions.tf: provider {name} must be pinned with '~>', "
            f"found {spec.get('version')!r}"
        )


@pytest.mark.parametrize("module", MODULES)
def test_module_takes_a_tags_map(stack, module):
    var = stack.module(module).variables.get("tags")
    assert var is not None, f"modules/{module}/variables.tf: no `tags` variable"
    assert var["type"] == Expr("map(string)"), f"{var.where}: type must be map(string)"
    assert var.get("default") == {}, f"{var.where}: default must be {{}}"


@pytest.mark.parametrize("module", MODULES)
def test_single_resources_are_named_this(stack, module):
    resources = stack.module(module).resources
    by_type: dict[str, list] = {}
    for r in resources:
        by_type.setdefault(r.type, []).append(r)
    bad = [
        r.where
        for rs in by_type.values()
        if len(rs) == 1
        for r in rs
        if not r.repeated and r.name != "this" and (module, r.type, r.name) not in NAMED_BY_ROLE
    ]
    assert not bad, f"single resources of their type should be named `this`: {bad}"


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_environment_uses_modules_by_relative_path(stack, env):
    calls = stack.env(env).module_calls
    assert calls, f"environments/{env} calls no module"
    for call in calls.values():
        assert re.fullmatch(r"\.\./\.\./modules/[a-z0-9_-]+", call["source"]), (
            f"{call.where}: source must be ../../modules/<name>, found {call['source']!r}"
        )
        assert call["source"].rsplit("/", 1)[1] in MODULES, f"{call.where}: unknown module"
    assert {c["source"].rsplit("/", 1)[1] for c in calls.values()} >= set(CONTRACT_MODULES), (
        f"environments/{env} does not use every module"
    )


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_environment_declares_no_resources_of_its_own(stack, env):
    """Environments compose modules; resources belong in modules (where they are tested)."""
    assert [r.where for r in stack.env(env).resources] == []


# the argument that names a resource, where it is not `name`
NAME_ARGUMENT = {
    "aws_cloudwatch_metric_alarm": "alarm_name",
    "aws_db_instance": "identifier",
    "aws_s3_bucket": "bucket",
}
# named by their caller (the SSM path of docs/CONTRACTS.md) or only within their parent
NAME_FROM_ELSEWHERE = {"aws_ssm_parameter", "aws_iam_role_policy"}


@pytest.mark.parametrize("module", MODULES)
def test_resource_names_start_with_the_name_prefix(stack, module):
    """Parallel stacks never collide, and the sweeper recognises leftovers by name."""
    root = stack.module(module)
    bad = []
    for res in root.resources:
        arg = NAME_ARGUMENT.get(res.type, "name")
        if arg not in res or res.type in NAME_FROM_ELSEWHERE:
            continue
        if "var.name_prefix" not in root.expand(res[arg]):
            bad.append(f"{res.where}: {arg} = {res[arg]!r}")
    assert not bad, "resource names without var.name_prefix:\n" + "\n".join(bad)


@pytest.mark.parametrize("root", ROOTS)
def test_validations_reference_only_their_variable(stack, root):
    """Cross-variable validations need Terraform >= 1.9 / OpenTofu >= 1.8, while the stack
    promises Terraform >= 1.5 / OpenTofu >= 1.6."""
    bad = []
    for var in stack.roots[root].variables.values():
        for validation in var.blocks("validation"):
            refs = set(
                re.findall(r"\b(?:var|local|module|data)\.\w+", str(validation["condition"]))
            )
            if refs - {f"var.{var.name}"}:
                bad.append(f"{var.where}: {sorted(refs)}")
            if f"var.{var.name}" not in refs:
                bad.append(f"{var.where}: a validation that does not test the variable")
    assert not bad, "\n".join(bad)
