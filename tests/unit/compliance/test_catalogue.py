"""controls/catalogue.yaml kept in step with the checks, both ways.

* every check of ours, every built-in the baseline relies on and every skipped check
  belongs to a control; every check a control names exists in checkov's registry (with
  our checks loaded) or is ours;
* every policy fixture proves a control that lists it, and every fixture a control lists
  exists; every runtime probe is a test that exists;
* every FSBP control of the stack's resource types is in fsbp_scope (the list pinned
  below), enforced by a control, excepted by a register entry, or not applicable.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest
import yaml

from harness import compliance, gate
from harness.compliance import catalogue

POLICY_TESTS = gate.REPO_ROOT / "tests" / "unit" / "policies" / "test_policies.py"

# Prowler's AWS Foundational Security Best Practices mapping (prowler/compliance/aws/
# aws_foundational_security_best_practices_aws.json) for the services of this stack.
FSBP = {
    "S3": [1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 17, 19, 20],
    "RDS": [*range(1, 28), 34, 35, 36, 37, 38, 39],
    "EC2": [
        1,
        2,
        3,
        4,
        6,
        7,
        8,
        9,
        10,
        12,
        13,
        14,
        15,
        16,
        17,
        18,
        19,
        20,
        21,
        22,
        23,
        24,
        25,
        28,
        51,
    ],
    "IAM": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 19, 21, 22, 26],
    "KMS": [1, 2, 3, 4, 5],
    "SSM": [1, 2, 3, 4],
    "SecretsManager": [1, 2, 3, 4],
}


@pytest.fixture(scope="module")
def cat() -> catalogue.Catalogue:
    return catalogue.load()


@pytest.fixture(scope="module")
def registry() -> dict[str, list[str]]:
    try:
        types = compliance.registry_types(gate.checkov_bin())
    except gate.GateError as exc:
        pytest.fail(f"the catalogue tests need checkov: {exc}", pytrace=False)
    assert types, "checkov's registry listed no checks"
    return types


def _policy_tests():
    spec = importlib.util.spec_from_file_location("policy_tests", POLICY_TESTS)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _named(cat: catalogue.Catalogue) -> set[str]:
    return {c for control in cat.controls for c in control.static + control.plan}


def _ours() -> set[str]:
    return {
        match
        for path in gate.POLICIES_DIR.glob("checks/*.*")
        for match in re.findall(r"""(?:\bid: |"|')(CKV_FS_\d+)\b""", path.read_text("utf-8"))
    }


def _config_skips() -> dict[str, list[str]]:
    configs = [gate.CONFIG, *gate.REPO_ROOT.glob("*/.checkov.yaml")]
    configs += gate.REPO_ROOT.glob("*/*/.checkov.yaml")
    return {
        str(path.relative_to(gate.REPO_ROOT)): yaml.safe_load(path.read_text())["skip-check"]
        for path in configs
    }


def test_the_catalogue_covers_controls_and_framework_ids(cat):
    frameworks = cat.frameworks()
    assert len(cat.controls) >= 35
    assert len(frameworks["fsbp"]) >= 30 and len(frameworks["cis_aws_v3"]) >= 10
    assert {"S3.5", "S3.8", "RDS.2", "RDS.3", "EC2.8", "EC2.19", "IAM.1"} <= frameworks["fsbp"]


def test_every_check_of_ours_belongs_to_a_control(cat):
    assert _ours() - _named(cat) == set()


def test_every_enforced_builtin_belongs_to_a_control(cat):
    assert {c for c in gate.load_baseline()["enforced"] if not cat.owners(c)} == set()


def test_every_skip_belongs_to_a_control_and_has_a_register_entry(cat):
    registered = {(e.check, e.where) for e in cat.exceptions if e.kind == "skip"}
    for config, ids in _config_skips().items():
        assert set(ids) - _named(cat) == set(), config
        assert {(i, config) for i in ids} - registered == set(), config
    inline = {
        (m.group(1), str(path.relative_to(gate.REPO_ROOT)))
        for root in ("modules", "environments")
        for path in (gate.REPO_ROOT / root).rglob("*.tf")
        for m in re.finditer(r"#\s*checkov:skip=(CKV2?_\w+)", path.read_text("utf-8"))
    }
    assert inline and inline - registered == set()
    assert {c for c, _ in inline} - _named(cat) == set()


def test_every_check_a_control_names_exists(cat, registry):
    named = {c for c in _named(cat) if "*" not in c}
    assert named - set(registry) == set(), "unknown to checkov (a typo, or a removed check)"
    assert {c for c in named if c.startswith("CKV_FS_")} <= _ours()


def test_every_check_has_one_owner(cat):
    twice = {c: [o.id for o in cat.owners(c)] for c in _named(cat) if len(cat.owners(c)) > 1}
    assert twice == {}


def test_fixtures_prove_the_controls_that_list_them(cat):
    policies = _policy_tests()
    cases = {**policies.FAILS, **{k: {c for c, _ in v} for k, v in policies.UNRESOLVED.items()}}
    listed = {f: control for control in cat.controls for f in control.fixtures}
    assert set(listed) == set(cases), "a fixture no control lists, or a listed fixture missing"
    for case, control in listed.items():
        assert any(control.owns(check) for check in cases[case]), (case, control.id)


def test_runtime_probes_are_tests_that_exist(cat):
    for probe in {p for control in cat.controls for p in control.runtime}:
        path, name = probe.split("::")
        text = (gate.REPO_ROOT / path).read_text(encoding="utf-8")
        assert re.search(rf"^def {re.escape(name)}\(", text, re.M), probe


def test_every_fsbp_control_of_the_stack_is_in_scope(cat):
    pinned = {f"{service}.{n}" for service, numbers in FSBP.items() for n in numbers}
    assert set(cat.fsbp_scope) == pinned
    statuses = {e["status"] for e in cat.fsbp_scope.values()}
    assert statuses == {"enforced", "excepted", "not_applicable"}


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d["controls"][0].update(severity="urgent"), "severity 'urgent'"),
        (lambda d: d["fsbp_scope"].update({"S3.99": {"status": "enforced"}}), "no control maps"),
        (
            lambda d: d["fsbp_scope"].update({"S3.9": {"status": "not_applicable"}}),
            "without a reason",
        ),
        (lambda d: d["controls"][0].update(static=["CKV_AWS_x"]), "not a check id"),
        (lambda d: d["controls"][0]["frameworks"].update(fsbp=["S3.15"]), "does not list"),
    ],
)
def test_a_malformed_catalogue_is_refused(tmp_path, edit, message):
    data = yaml.safe_load(catalogue.CATALOGUE.read_text(encoding="utf-8"))
    edit(data)
    broken = tmp_path / "catalogue.yaml"
    broken.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(catalogue.CatalogueError, match=re.escape(message)):
        catalogue.load(broken)


def test_compliance_needs_only_the_stdlib_and_pyyaml():
    """The gate's venv runs it; checkov's registry is read by a script in checkov's venv."""
    imported = set()
    for path in Path(compliance.__file__).parent.glob("*.py"):
        if path.name == "checkov_registry.py":
            continue
        text = path.read_text(encoding="utf-8")
        imported |= set(re.findall(r"^\s*(?:from|import) (\w+)", text, re.M))
    assert imported - set(__import__("sys").stdlib_module_names) == {"yaml", "harness"}
