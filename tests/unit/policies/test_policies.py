"""Every policy of the gate proven by an insecure fixture and its secure twin.

``fixtures/<case>/insecure`` must FAIL the check, ``fixtures/<case>/secure``
must PASS it.  One checkov run covers them all (conftest.fixture_results).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from harness import gate

FIXTURES = Path(__file__).resolve().parent / "fixtures"

# (fixture case, check id): the insecure variant fails the check, the secure twin passes it.
CASES: list[tuple[str, str]] = [
    # --- S3 (custom) ---
    ("s3_public_access_block_missing", "CKV_FS_1"),
    ("s3_public_access_block_partial", "CKV_FS_1"),
    ("s3_acls_enabled", "CKV_FS_2"),
    ("s3_ownership_missing", "CKV_FS_2"),
    ("s3_versioning_suspended", "CKV_FS_3"),
    ("s3_encryption_missing", "CKV_FS_4"),
    ("s3_bucket_policy_missing", "CKV_FS_5"),
    ("s3_tls_not_enforced", "CKV_FS_6"),
    ("s3_tls_not_enforced_json", "CKV_FS_6"),
    # --- S3 (built-in) ---
    ("s3_public_access_block_missing", "CKV2_AWS_6"),
    ("s3_public_access_block_partial", "CKV_AWS_55"),
    ("s3_public_access_block_partial", "CKV_AWS_56"),
    ("s3_acls_enabled", "CKV2_AWS_65"),
    ("s3_versioning_suspended", "CKV_AWS_21"),
    # --- security groups (custom) ---
    ("sg_world_ssh_vpc_rule", "CKV_FS_7"),
    ("sg_world_all_ipv6_vpc_rule", "CKV_FS_7"),
    ("sg_world_all_ipv4_rule", "CKV_FS_7"),
    ("sg_world_port_range_rule", "CKV_FS_7"),
    ("sg_world_inline_ingress", "CKV_FS_7"),
    ("sg_db_port_cidr", "CKV_FS_8"),
    ("sg_db_port_cidr_inline", "CKV_FS_8"),
    ("sg_db_attached_cidr", "CKV_FS_8"),
    # --- security groups (built-in) ---
    ("sg_world_ssh_vpc_rule", "CKV_AWS_24"),
    ("sg_world_all_ipv4_rule", "CKV_AWS_24"),
    ("sg_world_all_ipv4_rule", "CKV_AWS_25"),
    ("sg_world_all_ipv4_rule", "CKV_AWS_277"),
    # --- RDS ---
    ("rds_public", "CKV_FS_9"),
    ("rds_public", "CKV_AWS_17"),
    ("rds_unencrypted", "CKV_FS_10"),
    ("rds_unencrypted", "CKV_AWS_16"),
    ("rds_no_subnet_group", "CKV_FS_11"),
    # --- EC2 ---
    ("ec2_imdsv1", "CKV_FS_12"),
    ("ec2_imdsv1", "CKV_AWS_79"),
    ("ec2_imdsv1_default", "CKV_FS_12"),
    ("ec2_imdsv1_default", "CKV_AWS_79"),
    ("ec2_root_unencrypted", "CKV_FS_13"),
    ("ec2_root_unencrypted", "CKV_AWS_8"),
    ("ec2_root_undeclared", "CKV_FS_13"),
    ("ec2_user_data_inline", "CKV_FS_14"),
    ("ec2_user_data_inline", "CKV_AWS_46"),
    ("ec2_user_data_template", "CKV_FS_14"),
    ("ec2_user_data_template_var", "CKV_FS_14"),
    ("ec2_user_data_template_unresolved", "CKV_FS_14"),
    ("ec2_user_data_template_local", "CKV_FS_14"),
    ("ec2_user_data_base64gzip", "CKV_FS_14"),
    ("ec2_user_data_file", "CKV_FS_14"),
    ("ec2_user_data_secret_var", "CKV_FS_14"),
    # --- IAM ---
    ("iam_star_action_document", "CKV_FS_15"),
    ("iam_star_action_document", "CKV_AWS_1"),
    ("iam_star_action_document", "CKV_AWS_49"),
    ("iam_star_action_json", "CKV_FS_15"),
    ("iam_star_action_json", "CKV_AWS_62"),
    ("iam_star_action_json", "CKV_AWS_63"),
    ("iam_star_action_json", "CKV_AWS_355"),
    ("iam_star_action_json", "CKV2_AWS_40"),
    ("iam_service_wildcard_document", "CKV_FS_15"),
    ("iam_service_wildcard_jsonencode", "CKV_FS_15"),
    ("iam_not_action", "CKV_FS_15"),
    ("iam_s3_resource_star_document", "CKV_FS_16"),
    ("iam_s3_resource_star_document", "CKV_AWS_356"),
    ("iam_s3_all_buckets_arn", "CKV_FS_16"),
    ("iam_ssm_resource_star_jsonencode", "CKV_FS_16"),
    ("iam_ssm_resource_star_jsonencode", "CKV_AWS_355"),
]

# Why the custom checks exist: the pinned checkov's built-ins PASS these insecure fixtures.
# If one starts failing after a checkov upgrade, the built-in caught up: keep the row's
# custom check anyway or drop it knowingly, and move the row to CASES.
BUILTIN_GAPS: list[tuple[str, str]] = [
    ("s3_public_access_block_partial", "CKV2_AWS_6"),  # looks at two of the four switches
    ("s3_encryption_missing", "CKV_AWS_19"),  # no SSE configuration passes
    ("s3_ownership_missing", "CKV2_AWS_65"),  # judges ownership controls that exist only
    ("sg_world_all_ipv6_vpc_rule", "CKV_AWS_277"),  # "-1" from ::/0 goes unseen
    ("sg_db_port_cidr", "CKV_AWS_24"),  # MySQL from a private CIDR: nothing objects
    ("iam_service_wildcard_document", "CKV_AWS_49"),  # "s3:*" is not "*"
    ("iam_s3_all_buckets_arn", "CKV_AWS_356"),  # arn:aws:s3:::*/* is not "*"
    ("sg_world_inline_ingress", "CKV_AWS_24"),  # 8080 open to the world: no built-in objects
    ("ec2_user_data_template", "CKV_AWS_46"),  # a key in a templatefile() is invisible
    ("ec2_user_data_template_var", "CKV_AWS_46"),
    ("ec2_user_data_template_local", "CKV_AWS_46"),
]

CUSTOM_IDS = sorted(
    {c for _, c in CASES if c.startswith("CKV_FS_")}, key=lambda c: int(c.split("_")[-1])
)
CHECKS_DIR = gate.CHECKS_DIR


def _ids(cases: list[tuple[str, str]]) -> list[str]:
    return [f"{case}-{check}" for case, check in cases]


@pytest.mark.parametrize(("case", "check_id"), CASES, ids=_ids(CASES))
def test_insecure_fixture_fails(fixture_results, case, check_id):
    outcome = fixture_results.outcome(case, "insecure", check_id)
    assert outcome == "FAILED", fixture_results.explain(case, "insecure", check_id)


@pytest.mark.parametrize(("case", "check_id"), CASES, ids=_ids(CASES))
def test_secure_twin_passes(fixture_results, case, check_id):
    outcome = fixture_results.outcome(case, "secure", check_id)
    assert outcome == "PASSED", fixture_results.explain(case, "secure", check_id)


@pytest.mark.parametrize(("case", "check_id"), BUILTIN_GAPS, ids=_ids(BUILTIN_GAPS))
def test_builtin_gap_is_still_a_gap(fixture_results, case, check_id):
    outcome = fixture_results.outcome(case, "insecure", check_id)
    assert outcome != "FAILED", fixture_results.explain(case, "insecure", check_id)


def test_scan_of_the_fixtures_is_clean(fixture_results):
    assert fixture_results.parsing_errors == []
    assert fixture_results.load_errors == [], "a custom check did not load"


def test_secure_twins_fail_no_custom_check(fixture_results):
    offenders = {
        f"{case}/secure": sorted(
            c for c in fixture_results.failures(case, "secure") if c.startswith("CKV_FS_")
        )
        for case in {c for c, _ in CASES}
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def _declared_custom_ids() -> set[str]:
    ids: set[str] = set()
    for path in CHECKS_DIR.iterdir():
        if path.suffix in (".py", ".yaml", ".yml", ".json"):
            text = path.read_text(encoding="utf-8")
            ids.update(re.findall(r"""(?:\bid:\s*|id=|ID = )["']?(CKV_FS_\d+)""", text))
    return ids


def test_every_custom_check_is_proven_by_a_fixture():
    declared = _declared_custom_ids()
    assert declared, f"no CKV_FS_* checks found in {CHECKS_DIR}"
    assert declared == set(CUSTOM_IDS)


def test_every_enforced_builtin_is_proven_by_a_fixture():
    baseline = gate.load_baseline()
    proven = {c for _, c in CASES}
    assert sorted(set(baseline.enforced_ids) - proven) == []
    assert sorted(proven & set(baseline.skip_ids)) == [], "a check proven by a fixture is skipped"


def test_every_fixture_directory_is_used():
    on_disk = {p.name for p in FIXTURES.iterdir() if p.is_dir()}
    used = {c for c, _ in CASES} | {c for c, _ in BUILTIN_GAPS}
    assert sorted(on_disk - used) == []
    for case in used:
        assert (FIXTURES / case / "insecure").is_dir() and (FIXTURES / case / "secure").is_dir(), (
            case
        )


KEY_ID = re.compile(r"(?<![A-Z0-9])(?:AKIA|ASIA)[0-9A-Z]{16}(?![A-Z0-9])")
SECRET_KEY = re.compile(r"(?<![A-Za-z0-9/+=])[A-Za-z0-9/+=]{40}(?![A-Za-z0-9/+=])")
FAKE_KEY_IDS = {"AKIAIOSFODNN7EXAMPLE", "AKIA0000FIXTURE00000"}
FAKE_SECRETS = {"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}


def test_fixture_secrets_are_obviously_fake():
    for path in sorted(FIXTURES.rglob("*")):
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        rel = path.relative_to(FIXTURES)
        assert set(KEY_ID.findall(text)) <= FAKE_KEY_IDS, rel
        secrets = {
            s for s in SECRET_KEY.findall(text) if re.search(r"[0-9]", s) and re.search(r"[a-z]", s)
        }
        assert secrets <= FAKE_SECRETS, rel
        if "PRIVATE KEY-----" in text:
            assert "FAKE-KEY-FOR-POLICY-TESTS-ONLY" in text, rel


def test_fixture_run_time_is_reported(fixture_results, record_property):
    record_property("checkov_fixture_scan_seconds", round(fixture_results.duration, 1))
    assert fixture_results.duration > 0
