"""harness.gate: the baseline, the checkov binary, the CLI, and the real stack."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from harness import gate

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures"
PLANS = HERE / "plans"
REPORTS = ("results_cli.txt", "results_junitxml.xml", "results_sarif.sarif", "results_json.json")


def _require_checkov() -> None:
    try:
        gate.checkov_bin()
        return
    except gate.GateError as exc:
        message = str(exc)
    pytest.fail(f"the gate tests need checkov: {message}", pytrace=False)


# ---------------------------------------------------------------- baseline


def test_baseline_skips_each_have_a_reason():
    baseline = gate.load_baseline()
    assert baseline.skips, "an empty baseline is suspicious: check the file is read"
    for skip in baseline.skips:
        assert len(skip.reason.split()) >= 8, f"{skip.id}: say why it is skipped"
        assert not skip.id.startswith("CKV_FS_")


def test_baseline_parser_matches_pyyaml():
    import yaml

    text = gate.BASELINE_FILE.read_text(encoding="utf-8")
    ours = gate.parse_baseline_yaml(text)
    reference = yaml.safe_load(text)
    reference["version"] = str(reference["version"])
    assert ours == reference


GOOD = """
version: 1
enforced:
  - id: CKV_AWS_79
    what: IMDSv2
skip:
  - id: CKV_AWS_18
    reason: >-
      needs a log bucket,
      a deliberate scope decision
  - id: "CKV2_AWS_62"
    reason: 'nothing consumes the events of the bucket'
"""


def test_baseline_parser_reads_the_subset():
    baseline = gate.parse_baseline(GOOD)
    assert baseline.enforced_ids == ["CKV_AWS_79"]
    assert baseline.skip_ids == ["CKV_AWS_18", "CKV2_AWS_62"]
    assert baseline.skips[0].reason == "needs a log bucket, a deliberate scope decision"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("skip:\n  - id: CKV_AWS_18\n", "needs a reason"),
        ("skip:\n  - id: CKV_FS_3\n    reason: the check is annoying us today\n", "our own checks"),
        ("skip:\n  - id: not-an-id\n    reason: whatever reason is given here\n", "invalid id"),
        (
            "enforced:\n  - id: CKV_AWS_18\nskip:\n  - id: CKV_AWS_18\n    reason: contradiction in one file\n",
            "both enforced and skipped",
        ),
        (
            "skip:\n  - id: CKV_AWS_18\n    reason: one reason given here\n  - id: CKV_AWS_18\n    reason: and another reason\n",
            "duplicate",
        ),
        ("skip:\n  id: CKV_AWS_18\n", "expected '- '"),
        ("  skip: x\n", "unexpected indentation"),
    ],
)
def test_baseline_parser_rejects(text, message):
    with pytest.raises(gate.GateError, match=message):
        gate.parse_baseline(text)


def test_checkov_command_carries_the_gate_settings():
    baseline = gate.parse_baseline(GOOD)
    cmd = gate.checkov_command(
        dirs=["modules"], baseline=baseline, out_dir="out", binary=Path("/x/checkov")
    )
    joined = " ".join(cmd)
    assert "--skip-download" in cmd
    assert "--framework terraform " in joined
    assert "--download-external-modules false" in joined
    assert f"--external-checks-dir {gate.CHECKS_DIR}" in joined
    assert "--skip-check CKV_AWS_18,CKV2_AWS_62" in joined
    for output in ("cli", "junitxml", "sarif", "json"):
        assert f"-o {output}" in joined
    assert "--soft-fail" not in joined


# ---------------------------------------------------------------- the checkov binary


def test_missing_checkov_says_run_make_setup(monkeypatch, tmp_path):
    monkeypatch.delenv("CHECKOV_BIN", raising=False)
    monkeypatch.setattr(gate, "REPO_ROOT", tmp_path)
    with pytest.raises(gate.GateError, match="make setup"):
        gate.checkov_bin()


def test_checkov_bin_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("CHECKOV_BIN", str(tmp_path / "nope"))
    with pytest.raises(gate.GateError, match="CHECKOV_BIN"):
        gate.checkov_bin()
    fake = tmp_path / "checkov"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    monkeypatch.setenv("CHECKOV_BIN", str(fake))
    assert gate.checkov_bin() == fake


def test_gate_cli_without_checkov_exits_2(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "CHECKOV_BIN": str(tmp_path / "missing")}
    proc = subprocess.run(
        [sys.executable, "-m", "harness.gate", "--out", str(tmp_path / "out")],
        cwd=gate.REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "CHECKOV_BIN" in proc.stderr


# ---------------------------------------------------------------- the CLI end to end


def _assert_reports(out: Path) -> dict:
    for name in REPORTS:
        assert (out / name).is_file(), f"{name} missing in {out}"
    sarif = json.loads((out / "results_sarif.sarif").read_text())
    assert sarif["runs"], "SARIF without runs"
    ET.parse(out / "results_junitxml.xml")
    return sarif


def test_gate_cli_fails_an_insecure_stack_and_scans_a_plan(tmp_path):
    _require_checkov()
    out = tmp_path / "gate"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "harness.gate",
            "--dirs",
            str(FIXTURES / "rds_public" / "insecure"),
            "--plan",
            str(PLANS / "rds_public.plan.json"),
            "--out",
            str(out),
        ],
        cwd=gate.REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    # the skipped built-ins are listed with their reasons
    for skip in gate.load_baseline().skips:
        assert f"  - {skip.id}: " in proc.stdout
    # static scan: the public RDS instance, by our check and the built-in
    assert "FAILED CKV_FS_9 aws_db_instance.this" in proc.stdout
    assert "FAILED CKV_AWS_17 aws_db_instance.this" in proc.stdout
    sarif = _assert_reports(out)
    rule_ids = {r["ruleId"] for run in sarif["runs"] for r in run.get("results", [])}
    assert {"CKV_FS_9", "CKV_AWS_17"} <= rule_ids
    junit = (out / "results_junitxml.xml").read_text()
    assert "CKV_FS_9" in junit
    # plan scan: the same finding from the planned values, merged into the same reports
    assert "plan scan of" in proc.stdout
    reports = json.loads((out / "results_json.json").read_text())
    plan_failed = {
        r["check_id"]
        for rep in reports
        if rep["check_type"] == "terraform_plan"
        for r in rep["results"]["failed_checks"]
    }
    assert {"CKV_FS_9", "CKV_AWS_17"} <= plan_failed
    assert len(sarif["runs"]) == 2, "one SARIF run per scan"
    assert proc.stdout.rstrip().endswith("gate: FAILED")


FAKE_CHECKOV = r"""#!{python}
# A stand-in for checkov: writes the four reports the gate asks for, from $FAKE_RESULT.
import json, os, sys
args = sys.argv[1:]
out = args[args.index("--output-file-path") + 1]
os.makedirs(out, exist_ok=True)
mode = os.environ.get("FAKE_RESULT", "pass")
record = {{"check_id": "CKV_FS_9", "check_name": "RDS database is not publicly accessible",
          "resource": "aws_db_instance.this", "file_path": "/main.tf", "repo_file_path": "/x/main.tf",
          "file_line_range": [1, 9], "details": []}}
results = {{"passed_checks": [record] if mode != "fail" else [], "failed_checks": [record] if mode == "fail" else [],
           "skipped_checks": [], "parsing_errors": ["/x/broken.tf"] if mode == "parse" else []}}
if mode == "empty":
    results["passed_checks"] = []
json.dump({{"check_type": "terraform", "results": results, "summary": {{"checkov_version": "fake"}}}},
          open(os.path.join(out, "results_json.json"), "w"))
open(os.path.join(out, "results_cli.txt"), "w").write("fake checkov report\n")
open(os.path.join(out, "results_sarif.sarif"), "w").write(json.dumps({{"version": "2.1.0", "runs": [{{"results": []}}]}}))
open(os.path.join(out, "results_junitxml.xml"), "w").write(
    '<?xml version="1.0" ?><testsuites><testsuite name="terraform scan" tests="1" failures="0"/></testsuites>')
if mode == "noload":
    print("ERROR: Cannot load external check 'fs_broken' from policies/checks/fs_broken.py", file=sys.stderr)
sys.exit(1 if mode == "fail" else 0)
"""


@pytest.fixture
def fake_checkov(tmp_path, monkeypatch):
    script = tmp_path / "fake-checkov"
    script.write_text(FAKE_CHECKOV.format(python=sys.executable))
    script.chmod(0o755)
    monkeypatch.setenv("CHECKOV_BIN", str(script))
    return script


@pytest.mark.parametrize(
    ("mode", "rc", "message"),
    [
        ("pass", 0, "gate: PASSED"),
        ("fail", 1, "FAILED CKV_FS_9 aws_db_instance.this at x/main.tf:1"),
        ("parse", 1, "PARSING ERROR /x/broken.tf"),
        ("noload", 1, "CHECK NOT LOADED OR CRASHED: Cannot load external check 'fs_broken'"),
        ("empty", 1, "NOTHING WAS CHECKED"),
    ],
)
def test_gate_verdict_and_merged_reports(
    fake_checkov, tmp_path, capsys, monkeypatch, mode, rc, message
):
    monkeypatch.setenv("FAKE_RESULT", mode)
    out = tmp_path / "gate"
    code = gate.main(
        [
            "--dirs",
            str(FIXTURES / "rds_public" / "secure"),
            str(FIXTURES / "rds_public" / "insecure"),
            "--out",
            str(out),
        ]
    )
    printed = capsys.readouterr().out
    assert code == rc, printed
    assert message in printed
    assert printed.rstrip().endswith("gate: PASSED" if rc == 0 else "gate: FAILED")
    sarif = _assert_reports(out)
    assert len(sarif["runs"]) == 2, "one SARIF run per scanned directory"
    junit = ET.parse(out / "results_junitxml.xml").getroot()
    assert len(junit.findall("testsuite")) == 2 and junit.get("tests") == "2"
    assert len(json.loads((out / "results_json.json").read_text())) == 2
    assert (out / "results_cli.txt").read_text().count("fake checkov report") == 2


# ---------------------------------------------------------------- the real stack


def test_real_stack_passes_the_gate(tmp_path):
    """modules/ + environments/ must pass every enforced check (what `make gate` runs)."""
    _require_checkov()
    missing = [d for d in gate.DEFAULT_DIRS if not any((gate.REPO_ROOT / d).rglob("*.tf"))]
    assert not missing, f"no Terraform in {missing}"
    scans = gate.run_gate(gate.DEFAULT_DIRS, out=tmp_path)
    result = gate.combined(scans)
    assert result.passed, "the gate evaluated nothing"
    assert result.ok, "\n".join(
        line for scan in scans for line in gate.summarize(scan.result, scan.title)
    )


# ---------------------------------------------------------------- packaging


def test_gate_module_is_stdlib_only():
    """The main venv imports harness.gate; checkov's dependencies must stay in .venv-checkov."""
    import ast

    tree = ast.parse(Path(gate.__file__).read_text(encoding="utf-8"))
    imported = {
        (node.module or "").split(".")[0]
        if isinstance(node, ast.ImportFrom)
        else alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for alias in node.names
    }
    assert imported - set(sys.stdlib_module_names) - {"__future__"} == set()


def test_checkov_is_pinned_for_its_own_venv():
    lines = (gate.POLICIES_DIR / "requirements.txt").read_text(encoding="utf-8").splitlines()
    pins = [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
    assert pins == ["checkov==3.3.30"]


def test_a_scan_that_checks_nothing_fails():
    empty = gate.ScanResult(command=[], returncode=0, duration=0.1, out_dir=None)
    assert empty.empty and not empty.ok
    assert any("NOTHING WAS CHECKED" in line for line in gate.summarize(empty, "x"))
