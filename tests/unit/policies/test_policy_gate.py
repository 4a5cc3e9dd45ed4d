"""harness.gate: the configuration and baseline, the verdict and the CLI (with a stand-in
checkov); the real checkov over whole trees is in tests/component/policies."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from harness import gate

HERE = Path(__file__).resolve().parent
FIXTURES = HERE.relative_to(gate.REPO_ROOT) / "fixtures"
PLANS = HERE / "plans"

# ---------------------------------------------------------------- configuration and baseline


def test_checkov_config_carries_the_gate_settings():
    config = yaml.safe_load(gate.CONFIG.read_text(encoding="utf-8"))
    assert config["external-checks-dir"] == ["policies/checks"]
    assert config["framework"] == ["terraform", "secrets"]
    assert config["skip-download"] is True and config["download-external-modules"] is False
    assert set(config["output"]) == {"cli", "junitxml", "sarif", "json"}
    assert not {"soft-fail", "soft-fail-on"} & set(config)


def test_every_skip_has_a_reason():
    baseline = gate.load_baseline()
    for root in (None, *gate.default_roots()):
        assert all(len(baseline["skip"][c].split()) >= 8 for c in gate.skips(root)), root


def test_the_user_data_template_is_scanned_for_secrets():
    (modules,) = gate.plan_scans(["modules"], [], Path("out"))
    assert str(gate.REPO_ROOT / "app" / "deploy" / "user_data.sh.tftpl") in modules.args


def test_dev_alone_skips_multi_az_deletion_protection_monitoring_and_flow_logs():
    """prod must still fail if it ever becomes single-AZ, unprotected, unmonitored or
    without flow logs."""
    dev_only = {"CKV_AWS_157", "CKV_AWS_293", "CKV_AWS_126", "CKV2_AWS_11"}
    assert set(gate.skips("environments/dev")) - set(gate.skips()) == dev_only
    assert gate.skips("environments/prod") == gate.skips()


REASON = "a decision of this stack, written down in one full sentence here"


@pytest.mark.parametrize(
    ("skipped", "baseline", "message"),
    [
        (["CKV_AWS_18"], {"skip": []}, "CKV_AWS_18 is skipped without a reason"),
        ([], {"skip": [{"id": "CKV_AWS_18", "reason": REASON}]}, "skipped nowhere"),
        (["CKV_FS_3"], {"skip": [{"id": "CKV_FS_3", "reason": REASON}]}, "is ours"),
        (["CKV_AWS_*"], {"skip": [{"id": "CKV_AWS_*", "reason": REASON}]}, "not a check id"),
        (
            ["CKV_AWS_18"],
            {"skip": [{"id": "CKV_AWS_18", "reason": "costs"}]},
            "reason in a sentence",
        ),
        (
            ["CKV_AWS_18"],
            {"enforced": [{"id": "CKV_AWS_18"}], "skip": [{"id": "CKV_AWS_18", "reason": REASON}]},
            "both enforced and skipped",
        ),
    ],
)
def test_baseline_refuses(tmp_path, monkeypatch, skipped, baseline, message):
    monkeypatch.setattr(gate, "REPO_ROOT", tmp_path)
    monkeypatch.setattr(gate, "CONFIG", tmp_path / ".checkov.yaml")
    gate.CONFIG.write_text(yaml.safe_dump({"skip-check": skipped}))
    (tmp_path / "baseline.yaml").write_text(yaml.safe_dump(baseline))
    with pytest.raises(gate.GateError, match=message.replace("*", r"\*")):
        gate.load_baseline(tmp_path / "baseline.yaml")


# ---------------------------------------------------------------- the checkov binary


def test_missing_checkov_says_run_make_setup(monkeypatch, tmp_path):
    monkeypatch.delenv("CHECKOV_BIN", raising=False)
    monkeypatch.setattr(gate, "REPO_ROOT", tmp_path)
    with pytest.raises(gate.GateError, match="make setup"):
        gate.checkov_bin()


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
    assert proc.returncode == 2 and "CHECKOV_BIN" in proc.stderr


# ---------------------------------------------------------------- the verdict (a fake checkov)

FAKE_CHECKOV = r"""#!{python}
# A stand-in for checkov: writes the four reports the gate reads, from $FAKE_RESULT.
import json, os, sys
args = sys.argv[1:]
out = args[args.index("--output-file-path") + 1]
os.makedirs(out, exist_ok=True)
mode = os.environ.get("FAKE_RESULT", "pass")
record = {{"check_id": "CKV_AWS_17", "resource": "aws_db_instance.this",
          "repo_file_path": "/x/main.tf", "file_line_range": [1, 9]}}
results = {{"passed_checks": [record] if mode in ("pass", "parse", "crash") else [],
           "failed_checks": [record] if mode == "fail" else [], "skipped_checks": [],
           "parsing_errors": ["/x/broken.tf"] if mode == "parse" else []}}
json.dump({{"check_type": "terraform", "results": results}}, open(out + "/results_json.json", "w"))
open(out + "/results_cli.txt", "w").write("fake checkov report\n")
open(out + "/results_sarif.sarif", "w").write('{{"version": "2.1.0", "runs": [{{"results": []}}]}}')
open(out + "/results_junitxml.xml", "w").write(
    '<testsuites><testsuite name="terraform scan" tests="1" failures="0"/></testsuites>')
if mode == "crash":
    print("[ERROR]  Failed to run check CKV_FS_6 on /main.tf:aws_s3_bucket_policy.this", file=sys.stderr)
sys.exit(1 if mode == "fail" else 0)
"""


@pytest.mark.parametrize(
    ("mode", "rc", "message"),
    [
        ("pass", 0, "gate: PASSED"),
        ("fail", 1, "FAILED CKV_AWS_17 aws_db_instance.this at x/main.tf:1"),
        ("parse", 1, "PARSING ERROR /x/broken.tf"),
        ("crash", 1, "CHECK NOT LOADED OR CRASHED: Failed to run check CKV_FS_6"),
        ("empty", 1, "NOTHING WAS CHECKED"),
    ],
)
def test_gate_verdict_and_merged_reports(tmp_path, capsys, monkeypatch, mode, rc, message):
    fake = tmp_path / "checkov"
    fake.write_text(FAKE_CHECKOV.format(python=sys.executable))
    fake.chmod(0o755)
    monkeypatch.setenv("CHECKOV_BIN", str(fake))
    monkeypatch.setenv("FAKE_RESULT", mode)
    roots = [str(FIXTURES / "rds_public" / v) for v in ("secure", "insecure")]
    code = gate.main(["--dirs", *roots, "--out", str(tmp_path)])
    printed = capsys.readouterr().out
    assert (code, message in printed) == (rc, True), printed
    assert printed.rstrip().endswith("gate: PASSED" if rc == 0 else "gate: FAILED")
    # the two roots' reports merged: one SARIF run, one JUnit suite, one JSON report each
    junit = ET.parse(tmp_path / "results_junitxml.xml").getroot()
    assert (len(junit.findall("testsuite")), junit.get("tests")) == (2, "2")
    assert len(json.loads((tmp_path / "results_json.json").read_text())) == 2
    assert len(json.loads((tmp_path / "results_sarif.sarif").read_text())["runs"]) == 2


# ---------------------------------------------------------------- packaging


def test_gate_module_needs_only_the_stdlib_and_pyyaml():
    """The main venv imports harness.gate (and harness.compliance); checkov and its pins
    stay in .venv-checkov."""
    tree = ast.parse(Path(gate.__file__).read_text(encoding="utf-8"))
    imported = {
        (node.module or "").split(".")[0]
        if isinstance(node, ast.ImportFrom)
        else alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for alias in node.names
    }
    assert imported - set(sys.stdlib_module_names) == {"yaml", "harness"}


def test_checkov_is_pinned_for_its_own_venv():
    lines = (gate.POLICIES_DIR / "requirements.txt").read_text(encoding="utf-8").splitlines()
    assert [ln.strip() for ln in lines if ln.strip() and not ln.lstrip().startswith("#")] == [
        "checkov==3.3.30"
    ]
