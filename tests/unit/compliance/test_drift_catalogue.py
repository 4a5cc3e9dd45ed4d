"""The catalogue's drift mapping (controls/drift.yaml) kept in step with the stack.

* every selector (and every `ignore` entry) names a resource type the stack declares,
  and a name glob matches one of its resources of that type;
* every control whose checks judge a resource type of the stack has drift selectors, or
  says why none (`exempt`);
* a malformed mapping (controls/drift.yaml) is refused when the catalogue is read.
"""

from __future__ import annotations

import re

import pytest
import yaml

from harness import compliance, gate
from harness.compliance import catalogue
from harness.compliance.drift import Selector

RESOURCE = re.compile(r'^resource\s+"([a-z0-9_]+)"\s+"([A-Za-z0-9_-]+)"', re.M)


def stack_resources() -> dict[str, set[str]]:
    """``{type: names}`` the modules declare (not their tests or examples)."""
    found: dict[str, set[str]] = {}
    for path in (gate.REPO_ROOT / "modules").glob("*/*.tf"):
        for rtype, name in RESOURCE.findall(path.read_text(encoding="utf-8")):
            found.setdefault(rtype, set()).add(name)
    return found


@pytest.fixture(scope="module")
def cat() -> catalogue.Catalogue:
    return catalogue.load()


def _selectors(cat: catalogue.Catalogue) -> list[tuple[str, str]]:
    pairs = [(c.id, s) for c in cat.controls for s in c.drift]
    return pairs + [("ignore", s) for s in cat.drift_ignore]


def test_the_stack_is_read():
    resources = stack_resources()
    assert {"db", "web"} <= resources["aws_security_group"]
    assert "aws_s3_bucket_versioning" in resources and len(resources) > 25


def test_every_selector_names_a_resource_of_the_stack(cat):
    resources = stack_resources()
    wrong = []
    for owner, text in _selectors(cat):
        sel = Selector.parse(text)
        names = resources.get(sel.type, set())
        if not any(sel.matches(sel.type, name, sel.attr or ("*",)) for name in names):
            wrong.append(f"{owner}: {text}")
    assert wrong == [], "selectors naming no resource of the stack"


def test_every_control_with_a_resource_of_the_stack_maps_its_drift(cat):
    try:
        types = compliance.registry_types(gate.checkov_bin())
    except gate.GateError as exc:
        pytest.fail(f"this test needs checkov's registry: {exc}", pytrace=False)
    stack = set(stack_resources())
    missing = []
    for control in cat.controls:
        judged = {t for check in control.static if "*" not in check for t in types.get(check, [])}
        if judged & stack and not (control.drift or control.drift_exempt):
            missing.append(f"{control.id} ({', '.join(sorted(judged & stack))})")
    assert missing == [], "controls with no drift selectors and no exempt reason"


def test_the_issues_cases_are_mapped(cat):
    owners = {
        (c.id, s) for c in cat.controls for s in c.drift if Selector.parse(s).type != "aws_instance"
    }
    db = Selector.parse("aws_security_group[db].ingress")
    assert {c for c, s in owners if Selector.parse(s).matches(db.type, "db", db.attr)} == {
        "FS-NET-01",
        "FS-NET-02",
    }
    path = ("versioning_configuration", "status")
    assert {
        c for c, s in owners if Selector.parse(s).matches("aws_s3_bucket_versioning", "this", path)
    } == {"FS-S3-03"}


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda m: m["controls"].update({"FS-S3-01": ["aws_s3_bucket"]}), "not type[name].attr"),
        (lambda m: m["controls"].update({"FS-S3-01": ["S3.versioning"]}), "not type[name].attr"),
        (lambda m: m["controls"].update({"FS-XX-01": ["aws_s3_bucket.acl"]}), "no control of"),
        (lambda m: m["exempt"].update({"FS-S3-01": "nothing of ours can drift"}), "exclude"),
        (lambda m: m["exempt"].update({"FS-S3-99": "a reason in a sentence"}), "no control of"),
        (
            lambda m: m["controls"].pop("FS-S3-02") and m["exempt"].update({"FS-S3-02": "no"}),
            "reason in a sentence",
        ),  # fmt: skip
        (lambda m: m["ignore"].update({"aws_db_instance.status": ""}), "with the reason"),
    ],
)
def test_a_malformed_drift_mapping_is_refused(tmp_path, edit, message):
    mapping = yaml.safe_load(catalogue.DRIFT.read_text(encoding="utf-8"))
    edit(mapping)
    (tmp_path / "drift.yaml").write_text(yaml.safe_dump(mapping), encoding="utf-8")
    with pytest.raises(catalogue.CatalogueError, match=re.escape(message)):
        catalogue.load(drift=tmp_path / "drift.yaml")
