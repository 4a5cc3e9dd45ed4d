"""reports/evidence: one verdict per control per layer with its findings, the run's
facts (commit, tools, plan SHA-256, run id, the reports), a SHA-256 manifest of every
file, and a page that a person reads -- opened here in real headless Chromium."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest
from compliance_helpers import TODAY, record, scan

from harness import compliance
from harness.compliance.catalogue import LAYERS, VERDICTS

CHROMIUM = os.environ.get("FILESTORE_CHROMIUM", "/usr/bin/chromium")
PUBLIC_DB = "module.stack.module.database.aws_db_instance.this"

JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" tests="2">
<testcase classname="tests.integration.test_lifecycle" name="test_database_matches_design">
<failure message="PubliclyAccessible is True"/></testcase>
<testcase classname="tests.integration.test_lifecycle" name="test_bucket_matches_design"/>
</testsuite></testsuites>
"""


@pytest.fixture(scope="module")
def evidence(tmp_path_factory) -> Path:
    """Evidence of a run whose database is public (static FAIL, runtime FAIL), with a plan."""
    base = tmp_path_factory.mktemp("evidence")
    reports = base / "gate"
    reports.mkdir()
    for name in ("results_sarif.sarif", "results_junitxml.xml", "results_json.json"):
        (reports / name).write_text("{}" if name.endswith(("json", "sarif")) else "<x/>")
    plan = base / "plan.json"
    plan.write_text('{"format_version": "1.2"}')
    failed = [record("CKV_AWS_17", PUBLIC_DB, "modules/database/main.tf", 59)]
    static = scan(failed=failed, skipped=[record("CKV_AWS_88", "aws_instance.this")])
    static.report_dir = str(reports)
    static.reports[0]["summary"] = {"checkov_version": "3.3.30"}
    planned = scan(passed=[record("CKV_AWS_17", "aws_db_instance.this", "plan.json", 1)])
    planned.kind, planned.plan, planned.title = "plan", str(plan), "plan scan"
    junit = base / "integration-emulator.xml"
    junit.write_text(JUNIT)
    out = base / "evidence"
    result = compliance.run([static, planned], out, None, [junit], today=TODAY)
    assert any("FAILED CKV_AWS_17" in p for p in result.problems)
    return out


def _doc(evidence: Path) -> dict:
    return json.loads((evidence / "evidence.json").read_text(encoding="utf-8"))


def test_one_verdict_per_control_per_layer(evidence):
    doc = _doc(evidence)
    assert doc["verdict"] == "FAILED"
    assert len(doc["controls"]) == doc["summary"]["controls"] >= 35
    for control in doc["controls"]:
        assert set(control["layers"]) == set(LAYERS)
        assert all(control["layers"][layer]["verdict"] in VERDICTS for layer in LAYERS)
    db = next(c for c in doc["controls"] if c["id"] == "FS-RDS-01")
    static = db["layers"]["static"]
    assert static["verdict"] == "FAIL"
    assert {(f["check"], f["resource"], f["where"]) for f in static["findings"]} == {
        ("CKV_AWS_17", PUBLIC_DB, "modules/database/main.tf:59")
    }
    assert db["layers"]["plan"]["verdict"] == "PASS"
    assert db["owners"]["drift"] == ["aws_db_instance.publicly_accessible"]  # make drift's
    assert db["layers"]["runtime"]["verdict"] == "FAIL"
    bucket = next(c for c in doc["controls"] if c["id"] == "FS-S3-01")
    assert bucket["layers"]["runtime"]["verdict"] == "PASS"
    assert bucket["frameworks"] == {"fsbp": ["S3.2", "S3.3", "S3.8"], "cis_aws_v3": ["2.1.4"]}
    skipped = next(c for c in doc["controls"] if c["id"] == "FS-EC2-03")
    assert skipped["layers"]["static"]["verdict"] == "EXCEPTION"


def test_the_run_is_identified(evidence):
    run = _doc(evidence)["run"]
    assert len(run["commit"]["sha"]) == 40 and isinstance(run["commit"]["dirty"], bool)
    assert run["tools"]["checkov"] == "3.3.30" and run["tools"]["python"]
    assert run["run_id"] and dt.datetime.fromisoformat(run["started"])
    (plan,) = run["plans"]
    assert plan["sha256"] == hashlib.sha256(Path(plan["path"]).read_bytes()).hexdigest()
    copies = {Path(r["source"]).name for r in run["reports"]}
    assert {"results_sarif.sarif", "results_junitxml.xml", "integration-emulator.xml"} <= copies
    assert all((evidence / r["copy"]).is_file() for r in run["reports"])


def test_the_manifest_covers_every_file(evidence):
    lines = (evidence / "MANIFEST.sha256").read_text(encoding="utf-8").splitlines()
    listed = dict(reversed(line.split("  ", 1)) for line in lines)
    on_disk = {
        str(p.relative_to(evidence))
        for p in evidence.rglob("*")
        if p.is_file() and p.name != "MANIFEST.sha256"
    }
    assert set(listed) == on_disk and {"evidence.json", "evidence.html"} <= on_disk
    for name, digest in listed.items():
        assert hashlib.sha256((evidence / name).read_bytes()).hexdigest() == digest, name


def test_the_page_shows_the_failing_control_first_in_chromium(evidence):
    """Real headless Chromium (Debian's, driven by playwright) on the local page."""
    if not (Path(CHROMIUM).is_file() or shutil.which(CHROMIUM)):
        pytest.fail(f"Chromium not found at {CHROMIUM}: make setup", pytrace=False)
    from playwright.sync_api import sync_playwright

    args = ["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run"]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=args)
        try:
            page = browser.new_page()
            page.goto((evidence / "evidence.html").as_uri())
            assert page.inner_text("#verdict") == "FAILED"
            first = page.locator("#controls tbody tr").first
            assert first.get_attribute("data-control") == "FS-RDS-01"
            cell = first.locator('td[data-layer="static"]')
            assert cell.is_visible() and "FAIL" in cell.get_attribute("class").split()
            assert cell.inner_text().startswith("FAIL")
            assert "FAILED CKV_AWS_17" in page.inner_text("#problems")
            doc = _doc(evidence)
            assert page.locator("#controls tbody tr").count() == len(doc["controls"])
            assert page.locator("#fsbp tbody tr").count() == len(doc["fsbp_scope"])
            assert page.locator("#register tbody tr").count() == len(doc["exceptions"])
        finally:
            browser.close()


def test_a_probe_the_integration_run_did_not_report_is_not_evaluated_and_fails(evidence):
    doc = _doc(evidence)
    net = next(c for c in doc["controls"] if c["id"] == "FS-NET-01")
    assert net["layers"]["runtime"]["verdict"] == "NOT_EVALUATED"
    probe = "tests/integration/test_lifecycle.py::test_security_groups_match_design"
    assert f"FS-NET-01 runtime: NOT_EVALUATED {probe}: not run in the JUnit" in doc["problems"]


def test_a_probe_whose_module_did_not_run_is_not_applicable(evidence):
    """Emulator-only test modules are deselected on AWS: their probes are not part of it."""
    doc = _doc(evidence)
    sec = next(c for c in doc["controls"] if c["id"] == "FS-SEC-02")
    (finding,) = sec["layers"]["runtime"]["findings"]
    assert (sec["layers"]["runtime"]["verdict"], finding["note"]) == (
        "NOT_APPLICABLE",
        "its test module was not part of this run",
    )
