"""The real checkov through the gate over whole trees: the real stack passes with every
control evaluated, an insecure stack and its plan fail, a plan's rendered user_data is
read. Each takes checkov tens of seconds, so they run with the component tier (``make
test`` and CI run them; `make unit` stays under a minute)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from harness import compliance, gate

UNIT_POLICIES = gate.REPO_ROOT / "tests" / "unit" / "policies"
FIXTURES = UNIT_POLICIES.relative_to(gate.REPO_ROOT) / "fixtures"
PLANS = UNIT_POLICIES / "plans"


def _sarif(out: Path) -> dict:
    return json.loads((out / "results_sarif.sarif").read_text())


def test_gate_cli_fails_an_insecure_stack_and_scans_a_plan(checkov, tmp_path):
    root = str(FIXTURES / "rds_public" / "insecure")
    plan = PLANS / "rds_public.plan.json"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "harness.gate",
            "--quiet",
            "--dirs",
            root,
            "--plan",
            str(plan),
            "--out",
            str(tmp_path),
        ],
        cwd=gate.REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert all(f"  - {c}: " in proc.stdout for c in gate.skips()), "the skips, with their reasons"
    assert "FAILED CKV_AWS_17 aws_db_instance.this" in proc.stdout
    failed = {
        (rep["check_type"], r["check_id"])
        for rep in json.loads((tmp_path / "results_json.json").read_text())
        for r in rep["results"]["failed_checks"]
    }
    assert {("terraform", "CKV_AWS_17"), ("terraform_plan", "CKV_AWS_17")} <= failed
    assert {"CKV_AWS_17"} <= {
        r["ruleId"] for run in _sarif(tmp_path)["runs"] for r in run["results"]
    }


def test_real_stack_passes_the_gate(checkov, tmp_path):
    """What `make gate` runs: modules/ (with the files of app/) and every environment;
    then the control catalogue: every control evaluated, every skip registered."""
    scans = gate.run_gate(gate.default_roots(), out=tmp_path)
    assert [line for scan in scans if not scan.ok for line in scan.summary()] == []
    types = compliance.registry_types(checkov)
    result = compliance.run(compliance.scan_results(scans), tmp_path / "evidence", types)
    assert result.problems == []
    verdicts = {layers["static"].verdict for layers in result.controls.values()}
    assert verdicts <= {"PASS", "EXCEPTION"}, "a control failed or was not evaluated"


def test_the_plan_scan_reads_the_rendered_user_data(checkov, tmp_path):
    """CKV_FS_14 on a plan decodes user_data_base64 (base64 + gzip) and finds a password a
    person chose; the plan layer of the evidence fails FS-SEC-01 for it."""
    plans = [str(PLANS / f"user_data_{name}.plan.json") for name in ("password", "clean")]
    scans = gate.run_gate([], plans, out=tmp_path)
    verdicts = {Path(scan.plan).name: {r["check_id"] for r in scan.failed} for scan in scans}
    assert "CKV_FS_14" in verdicts["user_data_password.plan.json"]
    assert "CKV_FS_14" not in verdicts["user_data_clean.plan.json"]
    assert any(r["check_id"] == "CKV_FS_14" for s in scans for r in s.passed)
    result = compliance.run(compliance.scan_results(scans), tmp_path / "evidence", None)
    plan_layer = result.controls["FS-SEC-01"]["plan"]
    assert plan_layer.verdict == "FAIL"
    assert {f.where.split(":")[0] for f in plan_layer.findings if f.verdict == "FAIL"} == {
        "tests/unit/policies/plans/user_data_password.plan.json"
    }
