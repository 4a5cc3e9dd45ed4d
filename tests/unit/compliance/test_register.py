"""The exceptions register refuses an unregistered skip, an expired one and a stale one,
naming it; a resource left without a verdict is NOT_EVALUATED and fails, unless the
register accepts it.  Synthetic checkov reports (no checkov), then the gate itself:
a stand-in checkov for the register, real checkov for an unresolved value."""

from __future__ import annotations

import sys

import pytest
import yaml
from compliance_helpers import FIXTURES, TODAY, record, register, scan

from harness import gate
from harness.compliance import catalogue
from harness.compliance.assess import assess

INLINE = record("CKV_AWS_88", "module.stack.module.compute.aws_instance.this")


def test_the_registered_skips_of_the_stack_pass(tmp_path):
    result = assess(register(tmp_path), [scan(skipped=[INLINE])], today=TODAY)
    assert result.problems == []
    assert {"EX-EC2-PUBLIC-IP", "EX-S3-ACCESS-LOGS"} <= result.exceptions_used
    static = result.controls["FS-EC2-03"]["static"]
    assert static.verdict == "EXCEPTION" and static.findings[0].where.endswith("main.tf:40")


def test_an_unregistered_inline_skip_fails_naming_it(tmp_path):
    cat = register(tmp_path, **{"EX-EC2-PUBLIC-IP": {"where": "modules/other/main.tf"}})
    problems = assess(cat, [scan(skipped=[INLINE])], today=TODAY).problems
    assert problems == [
        "UNREGISTERED SKIP: CKV_AWS_88 skipped in modules/compute/main.tf has no entry in "
        "controls/exceptions.yaml"
    ]


def test_an_unregistered_config_skip_fails_naming_it(tmp_path):
    cat = register(tmp_path, drop={"EX-LOG-RETENTION-YEAR"})
    problems = assess(cat, [scan(skipped=[INLINE])], today=TODAY).problems
    assert problems == [
        "UNREGISTERED SKIP: CKV_AWS_338 skipped in .checkov.yaml has no entry in "
        "controls/exceptions.yaml"
    ]


def test_an_expired_skip_fails_naming_it(tmp_path):
    cat = register(tmp_path, **{"EX-EC2-PUBLIC-IP": {"expires": "2026-12-05"}})
    problems = assess(cat, [scan(skipped=[INLINE])], today=TODAY).problems
    assert problems == [
        "EXPIRED EXCEPTION EX-EC2-PUBLIC-IP (skip of CKV_AWS_88 in modules/compute/main.tf; "
        "owner platform-lead, expires 2026-12-05)"
    ]


def test_an_expired_framework_exception_fails(tmp_path):
    cat = register(tmp_path, **{"EX-S3-MFA-DELETE": {"expires": "2026-01-31"}})
    problems = assess(cat, [scan(skipped=[INLINE])], today=TODAY).problems
    assert [p for p in problems if "EX-S3-MFA-DELETE" in p and p.startswith("EXPIRED")]


def test_a_skip_that_no_longer_exists_is_stale(tmp_path):
    """A register entry for an inline skip that went away from a scanned root."""
    modules = scan(root="modules")
    problems = assess(register(tmp_path), [modules], today=TODAY).problems
    assert any(p.startswith("STALE EXCEPTION EX-EC2-PUBLIC-IP") for p in problems), problems


def test_a_register_without_owner_or_expiry_is_refused(tmp_path):
    with pytest.raises(catalogue.CatalogueError, match="EX-EC2-PUBLIC-IP needs an owner"):
        register(tmp_path, **{"EX-EC2-PUBLIC-IP": {"owner": ""}})
    with pytest.raises(catalogue.CatalogueError, match="expires must be a date"):
        register(tmp_path, **{"EX-EC2-PUBLIC-IP": {"expires": "someday"}})


# ------------------------------------------------------------- NOT_EVALUATED

RULE = "module.stack.module.security.aws_vpc_security_group_ingress_rule.http"
TYPES = {"CKV_FS_7": ["aws_vpc_security_group_ingress_rule"], "CKV_AWS_24": [RULE.split(".")[-2]]}


def test_a_resource_left_without_a_verdict_is_not_evaluated_and_fails(tmp_path):
    judged = [record("CKV_AWS_24", RULE, "modules/security/main.tf", 30)]
    result = assess(register(tmp_path), [scan(passed=judged)], types=TYPES, today=TODAY)
    static = result.controls["FS-NET-01"]["static"]
    assert static.verdict == "NOT_EVALUATED"
    assert [p for p in result.problems if "NOT_EVALUATED" in p] == [
        f"FS-NET-01 static: NOT_EVALUATED CKV_FS_7 on {RULE} in environments/prod (a value the "
        "check could not resolve; register it as kind: unresolved if only a plan can know)"
    ]


def test_in_an_informative_root_a_missing_verdict_does_not_fail(tmp_path):
    judged = [record("CKV_AWS_24", RULE, "modules/security/main.tf", 30)]
    modules = scan(passed=[*judged, INLINE], root="modules", configs={})
    result = assess(register(tmp_path), [modules], types=TYPES, today=TODAY)
    assert result.controls["FS-NET-01"]["static"].verdict == "PASS"


def test_a_registered_unresolved_value_is_an_exception_until_it_expires(tmp_path):
    ssh = RULE.replace(".http", ".web_ssh")
    scans = [scan(passed=[record("CKV_AWS_24", ssh, "modules/security/main.tf", 40)])]
    result = assess(register(tmp_path), scans, types=TYPES, today=TODAY)
    assert result.controls["FS-NET-01"]["static"].verdict == "EXCEPTION"
    assert result.problems == [] and "EX-SSH-OPERATOR-CIDR" in result.exceptions_used
    expired = register(tmp_path, **{"EX-SSH-OPERATOR-CIDR": {"expires": "2026-12-01"}})
    problems = assess(expired, scans, types=TYPES, today=TODAY).problems
    assert [p for p in problems if p.startswith("EXPIRED EXCEPTION EX-SSH-OPERATOR-CIDR")]


def test_a_check_no_control_owns_fails(tmp_path):
    stray = record("CKV_AWS_999", "module.x.aws_instance.this")
    problems = assess(register(tmp_path), [scan(passed=[stray])], today=TODAY).problems
    assert problems == ["UNMAPPED CHECK CKV_AWS_999: no control in controls/catalogue.yaml owns it"]


# ------------------------------------------------------------- through the gate

FAKE = r"""#!{python}
import json, os, sys
args = sys.argv[1:]
out = args[args.index("--output-file-path") + 1]
os.makedirs(out, exist_ok=True)
rec = {{"check_id": "CKV_AWS_88", "resource": "aws_instance.this", "check_class": "x",
       "file_abs_path": "{path}", "file_line_range": [3, 9]}}
results = {{"passed_checks": [dict(rec, check_id="CKV_AWS_79")], "failed_checks": [],
           "skipped_checks": [rec], "parsing_errors": []}}
json.dump({{"check_type": "terraform", "results": results}}, open(out + "/results_json.json", "w"))
open(out + "/results_cli.txt", "w").write("fake\n")
open(out + "/results_sarif.sarif", "w").write('{{"version": "2.1.0", "runs": [{{"results": []}}]}}')
open(out + "/results_junitxml.xml", "w").write('<testsuites><testsuite tests="1"/></testsuites>')
"""


@pytest.mark.parametrize(
    ("expires", "message"),
    [
        (None, "UNREGISTERED SKIP: CKV_AWS_88 skipped in {where} has no entry"),
        ("2020-01-01", "EXPIRED EXCEPTION EX-FIXTURE-SKIP (skip of CKV_AWS_88 in {where}"),
    ],
)
def test_the_gate_refuses_an_unregistered_or_expired_skip(
    tmp_path, capsys, monkeypatch, expires, message
):
    root = FIXTURES / "ec2_imdsv1" / "secure"
    where = str((root / "main.tf").relative_to(gate.REPO_ROOT))
    fake = tmp_path / "checkov"
    fake.write_text(FAKE.format(python=sys.executable, path=root / "main.tf"))
    fake.chmod(0o755)
    monkeypatch.setenv("CHECKOV_BIN", str(fake))
    data = yaml.safe_load(catalogue.REGISTER.read_text(encoding="utf-8"))
    if expires:
        data["exceptions"].append(
            {
                "id": "EX-FIXTURE-SKIP",
                "kind": "skip",
                "check": "CKV_AWS_88",
                "where": where,
                "owner": "security-lead",
                "reason": "a test of the register: this skip expired long ago",
                "expires": expires,
            }
        )
    monkeypatch.setattr(catalogue, "REGISTER", tmp_path / "exceptions.yaml")
    catalogue.REGISTER.write_text(yaml.safe_dump(data), encoding="utf-8")
    code = gate.main(["--quiet", "--dirs", str(root), "--out", str(tmp_path / "gate")])
    printed = capsys.readouterr().out
    assert code == 1 and message.format(where=where) in printed, printed
    assert printed.rstrip().endswith("gate: FAILED")


def test_the_gate_fails_closed_on_a_value_it_cannot_resolve(tmp_path, capsys):
    """Real checkov: CKV_FS_7 says UNKNOWN on an SSH rule whose CIDR is a variable."""
    try:
        gate.checkov_bin()
    except gate.GateError as exc:
        pytest.fail(f"needs checkov: {exc}", pytrace=False)
    verdicts = {}
    for variant in ("insecure", "secure"):
        root = FIXTURES / "sg_world_cidr_unresolved" / variant
        out = tmp_path / variant
        gate.main(["--quiet", "--dirs", str(root), "--out", str(out)])
        printed = capsys.readouterr().out
        verdicts[variant] = "NOT_EVALUATED CKV_FS_7 on aws_vpc_security_group_ingress_rule.this"
        verdicts[variant] = verdicts[variant] in printed
    assert verdicts == {"insecure": True, "secure": False}


def test_an_inline_skip_seen_in_a_plan_is_matched_to_its_hcl_file(tmp_path):
    """With plan enrichment checkov honours the HCL's inline skip; the record's file is
    the plan, its file_path the HCL relative to the plan's root."""
    rec = record("CKV_AWS_130", "module.stack.module.network.aws_subnet.public", "x.json", 58)
    rec["file_abs_path"] = str(tmp_path / "plan-dev.json")
    rec["file_path"] = "../../modules/network/main.tf"
    planned = scan(skipped=[rec], root="environments/dev")
    planned.kind = "plan"
    result = assess(register(tmp_path), [planned], today=TODAY)
    assert result.problems == [] and "EX-NET-PUBLIC-SUBNET" in result.exceptions_used


def test_an_expired_unresolved_entry_is_named_once(tmp_path):
    ssh = RULE.replace(".http", ".web_ssh")
    scans = [
        scan(passed=[record("CKV_AWS_24", ssh, "modules/security/main.tf", 40)], root=root)
        for root in ("environments/dev", "environments/prod")
    ]
    expired = register(tmp_path, **{"EX-SSH-OPERATOR-CIDR": {"expires": "2026-12-01"}})
    problems = assess(expired, scans, types=TYPES, today=TODAY).problems
    assert len([p for p in problems if "EX-SSH-OPERATOR-CIDR" in p]) == 1
