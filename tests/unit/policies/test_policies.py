"""Every rule of the gate proven by an insecure fixture and its secure twin.

``fixtures/<case>/insecure`` must FAIL each check of its row, ``fixtures/<case>/secure``
must PASS them.  One checkov run covers them all (conftest.findings).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from harness import gate

FIXTURES = Path(__file__).resolve().parent / "fixtures"

# fixture case -> the checks its insecure variant fails (and its secure twin passes)
FAILS: dict[str, set[str]] = {
    # S3
    "s3_public_access_block_missing": {"CKV_FS_1", "CKV2_AWS_6"},
    "s3_public_access_block_partial": {"CKV_FS_1", "CKV_AWS_55", "CKV_AWS_56"},
    "s3_acls_enabled": {"CKV_FS_2", "CKV2_AWS_65"},
    "s3_ownership_missing": {"CKV_FS_2"},
    "s3_versioning_suspended": {"CKV_FS_3", "CKV_AWS_21"},
    "s3_encryption_missing": {"CKV_FS_4"},
    "s3_bucket_policy_missing": {"CKV_FS_5"},
    "s3_tls_not_enforced": {"CKV_FS_6"},
    "s3_tls_not_enforced_json": {"CKV_FS_6"},
    "s3_policy_allows_everyone": {"CKV_FS_17"},
    "s3_policy_allows_everyone_json": {"CKV_FS_17"},
    # security groups
    "sg_world_ssh_vpc_rule": {"CKV_FS_7", "CKV_AWS_24"},
    "sg_world_all_ipv6_vpc_rule": {"CKV_FS_7"},
    "sg_world_all_ipv4_rule": {"CKV_FS_7", "CKV_AWS_24", "CKV_AWS_25", "CKV_AWS_277"},
    "sg_world_port_range_rule": {"CKV_FS_7"},
    "sg_world_inline_ingress": {"CKV_FS_7"},
    "sg_db_port_cidr": {"CKV_FS_8"},
    "sg_db_port_cidr_inline": {"CKV_FS_8"},
    "sg_db_attached_cidr": {"CKV_FS_8"},
    # RDS
    "rds_public": {"CKV_AWS_17"},
    "rds_unencrypted": {"CKV_AWS_16"},
    "rds_no_subnet_group": {"CKV_FS_11"},
    # EC2
    "ec2_imdsv1": {"CKV_AWS_79"},
    "ec2_imdsv1_default": {"CKV_AWS_79", "CKV_FS_18"},
    "ec2_metadata_hop_limit": {"CKV_FS_18"},
    "ec2_root_unencrypted": {"CKV_FS_13", "CKV_AWS_8"},
    "ec2_root_undeclared": {"CKV_FS_13", "CKV_AWS_8"},
    "ec2_user_data_inline": {"CKV_AWS_46", "CKV_SECRET_2"},
    "ec2_user_data_file": {"CKV_SECRET_2"},
    "ec2_user_data_template": {"CKV_SECRET_2"},
    "ec2_user_data_template_var": {"CKV_SECRET_2"},
    "ec2_user_data_template_unresolved": {"CKV_SECRET_13"},
    "ec2_user_data_template_local": {"CKV_SECRET_6"},
    "ec2_user_data_base64gzip": {"CKV_SECRET_6"},
    "ec2_user_data_secret_var": {"CKV_FS_14"},
    "ec2_user_data_secret_local": {"CKV_FS_14"},
    # passwords a person chose (too little entropy for the secrets framework)
    "ec2_user_data_template_password": {"CKV_FS_14"},
    "ec2_user_data_inline_password": {"CKV_FS_14"},
    "ec2_user_data_module_argument": {"CKV_FS_14"},
    "rds_master_password_literal": {"CKV_FS_19"},
    "rds_master_password_default": {"CKV_FS_19"},
    # IAM
    "iam_star_action_document": {"CKV_FS_15", "CKV_AWS_1", "CKV_AWS_49", "CKV_AWS_356"},
    "iam_star_action_json": {"CKV_FS_15", "CKV_AWS_62", "CKV_AWS_63", "CKV_AWS_355", "CKV2_AWS_40"},
    "iam_service_wildcard_document": {"CKV_FS_15"},
    "iam_service_wildcard_jsonencode": {"CKV_FS_15"},
    "iam_not_action": {"CKV_FS_15"},
    "iam_s3_resource_star_document": {"CKV_FS_16", "CKV_AWS_356"},
    "iam_s3_all_buckets_arn": {"CKV_FS_16"},
    "iam_ssm_resource_star_jsonencode": {"CKV_FS_16", "CKV_AWS_355"},
}

# Fail closed: the "insecure" variant of these holds a value the scan cannot resolve (a
# variable without a default, a template nowhere to be found).  The check must give no
# verdict (checkov drops an UNKNOWN; the gate then counts the resource NOT_EVALUATED),
# never PASSED; the secure twin, with the value written down, PASSES.
UNRESOLVED: dict[str, set[tuple[str, str]]] = {
    "sg_world_cidr_unresolved": {("CKV_FS_7", "aws_vpc_security_group_ingress_rule.this")},
    "sg_db_port_unresolved": {("CKV_FS_8", "aws_vpc_security_group_ingress_rule.this")},
    "iam_actions_unresolved_document": {
        ("CKV_FS_15", "aws_iam_policy_document.this"),
        ("CKV_FS_16", "aws_iam_policy_document.this"),
    },
    "iam_actions_unresolved_jsonencode": {
        ("CKV_FS_15", "aws_iam_role_policy.this"),
        ("CKV_FS_16", "aws_iam_role_policy.this"),
    },
    "iam_resources_unresolved_document": {("CKV_FS_16", "aws_iam_policy_document.this")},
    "rds_master_password_unresolved": {("CKV_FS_19", "aws_db_instance.this")},
    "ec2_user_data_template_missing": {("CKV_FS_14", "aws_instance.this")},
    "s3_public_access_block_unresolved": {("CKV_FS_1", "aws_s3_bucket.data")},
    "ec2_metadata_unresolved": {
        ("CKV_FS_18", "aws_instance.this"),
        ("CKV_FS_13", "aws_instance.this"),
    },
}

# Why our checks exist: the pinned checkov's built-ins PASS these insecure fixtures.  If
# one starts failing after an upgrade, the built-in caught up: consider dropping ours.
GAPS: dict[str, str | tuple[str, ...]] = {
    "s3_public_access_block_partial": "CKV2_AWS_6",  # looks at two of the four switches
    "s3_encryption_missing": "CKV_AWS_19",  # no SSE configuration passes
    "s3_ownership_missing": "CKV2_AWS_65",  # judges ownership controls that exist only
    "s3_policy_allows_everyone": "CKV_AWS_283",  # knows principals of type "AWS" only
    "s3_policy_allows_everyone_json": "CKV_AWS_70",  # gives up on a jsonencode() with refs
    "sg_world_all_ipv6_vpc_rule": "CKV_AWS_277",  # "-1" from ::/0 goes unseen
    "sg_db_port_cidr": "CKV_AWS_24",  # MySQL from a private CIDR: nothing objects
    "sg_world_inline_ingress": "CKV_AWS_24",  # 8080 open to the world: no built-in objects
    "iam_service_wildcard_document": "CKV_AWS_49",  # "s3:*" is not "*"
    "iam_s3_all_buckets_arn": "CKV_AWS_356",  # arn:aws:s3:::*/* is not "*"
    "ec2_metadata_hop_limit": "CKV_AWS_341",  # launch templates only, no aws_instance
    "ec2_user_data_template": "CKV_AWS_46",  # a key in a templatefile() is invisible to it
    "ec2_user_data_secret_var": "CKV_SECRET_*",  # a password that is written nowhere
    "ec2_user_data_secret_local": "CKV_SECRET_*",
    "ec2_user_data_template_password": "CKV_SECRET_*",  # Summer2024!: too little entropy
    "ec2_user_data_inline_password": ("CKV_SECRET_*", "CKV_AWS_46"),
    "rds_master_password_literal": "CKV_SECRET_*",  # no built-in reads the argument
    "rds_master_password_default": "CKV_SECRET_*",
}


@pytest.mark.parametrize("case", FAILS)
def test_insecure_fixture_fails(findings, case):
    verdicts = findings.verdicts(case, "insecure", FAILS[case])
    assert verdicts == dict.fromkeys(sorted(FAILS[case]), "FAILED"), findings.explain(
        case, "insecure"
    )


@pytest.mark.parametrize("case", FAILS)
def test_secure_twin_passes(findings, case):
    verdicts = findings.verdicts(case, "secure", FAILS[case])
    assert verdicts == dict.fromkeys(sorted(FAILS[case]), "PASSED"), findings.explain(
        case, "secure"
    )


@pytest.mark.parametrize("case", UNRESOLVED)
def test_unresolved_value_is_never_passed(findings, case):
    for variant, expected in (("insecure", "NOT EVALUATED"), ("secure", "PASSED")):
        verdicts = {(c, r): findings.verdict_on(case, variant, c, r) for c, r in UNRESOLVED[case]}
        assert verdicts == dict.fromkeys(UNRESOLVED[case], expected), findings.explain(
            case, variant
        )


@pytest.mark.parametrize("case", GAPS)
def test_builtin_gap_is_still_a_gap(findings, case):
    patterns = GAPS[case] if isinstance(GAPS[case], tuple) else (GAPS[case],)
    assert not findings.failing(case, "insecure", *patterns), findings.explain(case, "insecure")


def test_secure_twins_fail_none_of_ours(findings):
    cases = [*FAILS, *UNRESOLVED]
    offenders = {c: findings.failing(c, "secure", "CKV_FS_*", "CKV_SECRET_*") for c in cases}
    assert {case: ids for case, ids in offenders.items() if ids} == {}


def test_unresolved_fixtures_fail_nothing_of_ours(findings):
    """Their insecure variant is insecure only by what the scan cannot know."""
    offenders = {c: findings.failing(c, "insecure", "CKV_FS_*") for c in UNRESOLVED}
    assert {case: ids for case, ids in offenders.items() if ids} == {}


def test_scan_of_the_fixtures_is_clean(findings):
    assert findings.problems == [], "a parsing error, or a check that did not load or crashed"


def test_every_custom_check_is_proven_by_a_fixture():
    declared = {
        match
        for path in gate.POLICIES_DIR.glob("checks/*.*")
        for match in re.findall(r"""(?:\bid: |"|')(CKV_FS_\d+)\b""", path.read_text("utf-8"))
    }
    assert declared == {c for checks in FAILS.values() for c in checks if c.startswith("CKV_FS_")}


def test_every_enforced_builtin_is_proven_by_a_fixture():
    enforced = set(gate.load_baseline()["enforced"])
    assert enforced - {c for checks in FAILS.values() for c in checks} == set()


def test_every_fixture_directory_is_used():
    on_disk = {p.name for p in FIXTURES.iterdir() if p.is_dir()}
    assert on_disk == set(FAILS) | set(UNRESOLVED) and not set(FAILS) & set(UNRESOLVED)
    cases = [*FAILS, *UNRESOLVED]
    assert all((FIXTURES / case / v).is_dir() for case in cases for v in ("insecure", "secure"))


KEY_ID = re.compile(r"(?<![A-Z0-9])(?:AKIA|ASIA)[0-9A-Z]{16}(?![A-Z0-9])")
SECRET_KEY = re.compile(r"(?<![A-Za-z0-9/+=])[A-Za-z0-9/+=]{40}(?![A-Za-z0-9/+=])")


def test_fixture_secrets_are_obviously_fake():
    """AWS's documented example keys, or visibly fake ones: nothing that could be real."""
    for path in sorted(p for p in FIXTURES.rglob("*") if p.is_file()):
        text = path.read_text(encoding="utf-8")
        assert set(KEY_ID.findall(text)) <= {"AKIAIOSFODNN7EXAMPLE", "AKIA0000FIXTURE00000"}, path
        keys = {
            s for s in SECRET_KEY.findall(text) if re.search(r"\d", s) and re.search("[a-z]", s)
        }
        assert keys <= {"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}, path
        assert "PRIVATE KEY-----" not in text or "FAKE-KEY-FOR-POLICY-TESTS-ONLY" in text, path
