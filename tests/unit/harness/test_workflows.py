"""The GitHub Actions workflows are valid (actionlint, built with the offline toolchain)."""

from __future__ import annotations

import subprocess

import pytest
import yaml

from harness.paths import REPO_ROOT
from harness.toolchain.locate import actionlint_binary

WORKFLOWS = sorted((REPO_ROOT / ".github" / "workflows").glob("*.yml"))


def test_both_workflows_exist():
    assert {p.name for p in WORKFLOWS} >= {"ci.yml", "nightly.yml", "drift.yml"}


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_actionlint_passes(workflow):
    proc = subprocess.run(
        [str(actionlint_binary()), "-no-color", str(workflow)],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_nightly_always_destroys_then_sweeps_with_oidc():
    doc = yaml.safe_load((REPO_ROOT / ".github/workflows/nightly.yml").read_text())
    assert doc["permissions"]["id-token"] == "write"
    steps = doc["jobs"]["aws"]["steps"]
    sweep = next(s for s in steps if "sweep" in s.get("run", ""))
    assert sweep.get("if") == "always()"
    assert any("configure-aws-credentials" in s.get("uses", "") for s in steps)
    assert not any("aws-access-key-id" in str(s.get("with", {})) for s in steps), "no static keys"
    assert any(s.get("with", {}).get("sarif_file") for s in steps)


def test_ci_runs_unit_component_gate_and_emulator_integration():
    doc = yaml.safe_load((REPO_ROOT / ".github/workflows/ci.yml").read_text())
    runs = " ".join(s.get("run", "") for job in doc["jobs"].values() for s in job["steps"])
    for command in ("make unit", "make component", "make gate", "make integration TARGET=emulator"):
        assert command in runs


def test_drift_runs_make_drift_on_aws_on_a_schedule_with_oidc():
    doc = yaml.safe_load((REPO_ROOT / ".github/workflows/drift.yml").read_text())
    triggers = doc[True]  # PyYAML reads the key `on` as the boolean True
    assert triggers["schedule"][0]["cron"] and "workflow_dispatch" in triggers
    assert doc["permissions"]["id-token"] == "write"
    job = doc["jobs"]["drift"]
    assert set(job["strategy"]["matrix"]["environment"]) == {"dev", "prod"}
    steps = job["steps"]
    assert any("configure-aws-credentials" in s.get("uses", "") for s in steps)
    assert not any("aws-access-key-id" in str(s.get("with", {})) for s in steps), "no static keys"
    drift = next(s for s in steps if "make drift" in s.get("run", ""))
    assert "TARGET=aws" in drift["run"] and "ENV=${{ matrix.environment }}" in drift["run"]
    assert any("TF_BACKEND_CONFIG=" in s.get("run", "") for s in steps), "the remote state"
    upload = next(s for s in steps if "upload-artifact" in s.get("uses", ""))
    assert upload["if"] == "always()" and "reports/drift" in upload["with"]["path"]
