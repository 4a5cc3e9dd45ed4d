"""Prowler's findings read, attributed to a stack and mapped onto the catalogue's controls,
from a recorded scan (prowler-findings.ocsf.json: eight findings of Prowler 5.46.0 over
the emulator holding a bucket and a security group made by hand, its bulky fields cut);
and the guard that holds Prowler to the loopback."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from compliance_helpers import TODAY, scan

from harness import compliance
from harness.compliance import catalogue, prowler
from harness.compliance.assess import runtime_layer

RECORDED = Path(__file__).with_name("prowler-findings.ocsf.json")
BUCKET = "arn:aws:s3:::prowler-probe-bucket"
OPEN_SG = "arn:aws:ec2:us-east-1:123456789012:security-group/sg-bf8f6ed354c47afe5"
RUN = prowler.ScanRun(RECORDED, ["prowler", "aws"], 30.7, "5.46.0", "emulator")


@pytest.fixture(scope="module")
def found() -> list[prowler.Finding]:
    return prowler.read_findings(RECORDED)


@pytest.fixture(scope="module")
def controls() -> dict[str, catalogue.Control]:
    return {c.id: c for c in catalogue.load().controls}


def test_findings_are_read_with_their_arn_status_and_fsbp_ids(found):
    assert len(found) == 8
    versioning = next(f for f in found if f.check == "s3_bucket_object_versioning")
    assert (versioning.status, versioning.resource, versioning.fsbp) == ("FAIL", BUCKET, ("S3.14",))
    assert versioning.region == "us-east-1" and "versioning disabled" in versioning.detail


def test_only_the_stacks_resources_are_attributed(found):
    # a stack of the bucket (by name) and the open group (by the id that ends its ARN)
    report = prowler.attribute(found, {"prowler-probe-bucket", "sg-bf8f6ed354c47afe5"}, RUN)
    assert {f["resource"] for f in report.findings} == {BUCKET, OPEN_SG}
    # the emulator's admin, the account's password policy, the default group: not ours
    assert report.not_attributed == {"FAIL": 2, "PASS": 1}
    assert prowler.attribute(found, set(), RUN).findings == []


def test_a_failed_check_fails_its_control_with_the_resource(found, controls):
    report = prowler.attribute(found, {"prowler-probe-bucket", "sg-bf8f6ed354c47afe5"}, RUN)
    expect = {
        "FS-S3-03": ("s3_bucket_object_versioning", BUCKET),
        "FS-S3-05": ("s3_bucket_secure_transport_policy", BUCKET),
        "FS-S3-01": ("s3_bucket_level_public_access_block", BUCKET),
        "FS-NET-01": ("ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_22", OPEN_SG),
    }
    for cid, (check, arn) in expect.items():
        layer = runtime_layer(controls[cid], None, [report])
        assert layer.verdict == "FAIL", cid
        assert (check, arn, "FAIL") in {(f.check, f.resource, f.verdict) for f in layer.findings}
    layer = runtime_layer(controls["FS-S3-06"], None, [report])
    assert layer.verdict == "PASS" and layer.findings[0].resource == BUCKET


def test_a_mapped_check_that_judged_nothing_of_the_stack_is_not_evaluated(found, controls):
    report = prowler.attribute(found, {"prowler-probe-bucket"}, RUN)
    layer = runtime_layer(controls["FS-RDS-01"], None, [report])
    assert layer.verdict == "NOT_EVALUATED"
    assert layer.findings[0].check == "rds_instance_no_public_access"


def test_probes_and_prowler_together_and_apart(found, controls):
    report = prowler.attribute(found, {"prowler-probe-bucket"}, RUN)
    s3_03 = controls["FS-S3-03"]
    probe = s3_03.runtime[0]
    both = runtime_layer(s3_03, {probe: "passed"}, [report])
    assert both.verdict == "FAIL"
    assert {f.scan for f in both.findings} == {"integration", "prowler 5.46.0 (emulator)"}
    alone = runtime_layer(s3_03, {probe: "passed"}, None)
    assert alone.verdict == "PASS" and "no Prowler scan" in alone.note
    neither = runtime_layer(s3_03, None, None)
    assert neither.verdict == "NOT_APPLICABLE" and "JUnit" in neither.note


@pytest.mark.parametrize(
    ("status", "verdict"), [("MUTED", "EXCEPTION"), ("MANUAL", "NOT_EVALUATED")]
)
def test_muted_and_manual_findings(found, controls, status, verdict):
    muted = [replace(f, status=status) for f in found]
    report = prowler.attribute(muted, {"prowler-probe-bucket"}, RUN)
    assert runtime_layer(controls["FS-S3-03"], None, [report]).verdict == verdict


def test_the_evidence_carries_prowler_findings(tmp_path, found):
    report = prowler.attribute(found, {"prowler-probe-bucket"}, RUN)
    path = prowler.write_report(tmp_path / "prowler-emulator.json", report)
    out = tmp_path / "evidence"
    result = compliance.run([scan()], out, None, [], today=TODAY, prowler_paths=[path])
    assert f"FS-S3-03 runtime: FAILED s3_bucket_object_versioning {BUCKET} at us-east-1" in (
        result.problems
    )
    doc = json.loads((out / "evidence.json").read_text())
    assert doc["run"]["tools"]["prowler"] == "5.46.0"
    assert doc["run"]["prowler"][0]["target"] == "emulator"
    s3_03 = next(c for c in doc["controls"] if c["id"] == "FS-S3-03")
    assert s3_03["owners"]["prowler"] == ["s3_bucket_object_versioning"]
    assert s3_03["layers"]["runtime"]["verdict"] == "FAIL"
    assert any(p.name.endswith("prowler-emulator.json") for p in (out / "reports").iterdir())


def test_the_scan_runs_our_fsbp_checks_and_the_mapped_ones_and_no_other_service():
    checks = prowler.fsbp_checks()
    assert {c.split("_", 1)[0] for c in checks} == set(prowler.SERVICES)
    assert checks["s3_bucket_level_public_access_block"] == ["S3.8"]
    scanned = prowler.scan_checks()
    assert set(checks) < set(scanned) and "s3_bucket_default_encryption" in scanned
    assert {p for c in catalogue.load().controls for p in c.prowler} <= set(scanned)
    cmd = prowler.command(Path("/tmp/out"), scanned, "us-east-1")
    assert cmd[:3] == [str(prowler.VENV / "bin" / "python"), str(prowler.GUARD), "aws"]
    assert "--service" not in cmd and "--compliance" not in cmd
    assert cmd[cmd.index("--region") + 1] == "us-east-1" and "--scan-unused-services" in cmd
    assert cmd[cmd.index("--output-formats") + 1] == "json-ocsf"


def test_the_emulators_environment_points_everything_at_the_loopback():
    env = prowler.emulator_env("http://127.0.0.1:4566")
    assert env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:4566"
    assert env["AWS_ENDPOINT_URL_S3_CONTROL"] == "http://localhost:4566"
    assert env["PROWLER_GUARD"] == "on" and env["AWS_EC2_METADATA_DISABLED"] == "true"
    assert not {k for k in env if k.endswith("_PROXY") or k == "AWS_PROFILE"}


GUARDED = """
import socket, sys
sys.path.insert(0, sys.argv[1])
import prowler_guard
prowler_guard.install()
out = []
for host in ("example.com", "10.255.255.53", "123456789012.localhost", "127.0.0.1"):
    try:
        out.append(socket.getaddrinfo(host, 80, socket.AF_INET)[0][4][0])
    except OSError:
        out.append("refused")
sock = socket.socket()
try:
    sock.connect(("192.0.2.1", 443))
    out.append("connected")
except OSError as exc:
    out.append(str(exc)[:13])
print(out)
"""


def test_the_guard_refuses_every_address_but_the_loopback():
    proc = subprocess.run(
        [sys.executable, "-c", GUARDED, str(prowler.GUARD.parent)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.stdout.strip() == str(
        ["refused", "refused", "127.0.0.1", "127.0.0.1", "prowler_guard"]
    ), proc.stderr
    assert "prowler_guard: refused 3 connection(s): 10.255.255.53, 192.0.2.1, example.com" in (
        proc.stderr
    )


def test_prowlers_own_version_check_never_leaves_the_machine():
    """``prowler --version`` asks GitHub for the latest release: the guard refuses it."""
    proc = subprocess.run(
        [str(prowler.VENV / "bin" / "python"), str(prowler.GUARD), "--version"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.stdout.strip() == f"Prowler {prowler.version()}"
    assert "prowler_guard: refused 1 connection(s): api.github.com" in proc.stderr
