"""Prowler over the deployed main stack: its FSBP checks of S3, RDS, EC2, IAM and VPC (the
real scanner, from .venv-prowler), as a read-only audit role on the emulator (the CI's
credentials on AWS). Every Prowler check the catalogue maps passes on the stack's
resources; a bucket made here without versioning, public access block or TLS policy
fails the controls it breaks; what is not the stack's is never attributed to it.
One scan (a minute or so), after test_role (see conftest's MAIN_STACK); it writes
reports/prowler-<target>.json, which `make evidence` reads into the runtime layer.
"""

from __future__ import annotations

import contextlib

import pytest

from harness.compliance import catalogue, prowler
from harness.compliance.assess import runtime_layer
from harness.paths import REPO_ROOT
from harness.stack.stack import _state_ids

pytestmark = [pytest.mark.integration]

AUDIT_POLICY = REPO_ROOT / "iam" / "audit-policy.json"
BROKEN_FAILS = {
    "FS-S3-03": "s3_bucket_object_versioning",
    "FS-S3-05": "s3_bucket_secure_transport_policy",
}
# AWS blocks public access on every new bucket since 2023: only the emulator's stays open
BROKEN_FAILS_EMULATOR = {"FS-S3-01": "s3_bucket_level_public_access_block"}


def _stack_ids(deployment) -> set[str]:
    """The ids and ARNs of the state's resources (not its data sources: the caller's
    account id is no resource of the stack), and the instance's volumes (EC2 makes them)."""
    managed = [r for r in deployment.stack.state_resources() if r.get("mode") == "managed"]
    ids = _state_ids(managed)
    reservations = deployment.client("ec2").describe_instances(
        InstanceIds=[deployment.outputs["instance_id"]]
    )["Reservations"]
    for instance in (i for r in reservations for i in r["Instances"]):
        ids |= {m["Ebs"]["VolumeId"] for m in instance.get("BlockDeviceMappings", [])}
    return ids


@pytest.fixture(scope="module")
def scanned(deployment, target):
    """One Prowler scan with a broken bucket beside the stack: (the stack's report, the
    broken bucket's report, the bucket's name)."""
    s3 = deployment.client("s3")
    broken = f"{deployment.outputs['name_prefix']}-prowler-broken"
    s3.create_bucket(Bucket=broken)
    if target == "emulator":
        from harness.emulator.iam.identities import deployer_credentials

        endpoint = deployment.moto.url
        credentials = deployer_credentials(endpoint, "prowler-audit", AUDIT_POLICY)
    else:
        endpoint = credentials = None
    try:
        run = prowler.scan(
            REPO_ROOT / "reports" / "prowler" / target,
            endpoint=endpoint,
            credentials=credentials,
        )
        found = prowler.read_findings(run.path)
        report = prowler.attribute(found, _stack_ids(deployment), run)
        prowler.write_report(REPO_ROOT / "reports" / f"prowler-{target}.json", report)
        yield report, prowler.attribute(found, {broken}, run), broken
    finally:
        with contextlib.suppress(Exception):
            s3.delete_bucket(Bucket=broken)


@pytest.fixture(scope="module")
def cat():
    return catalogue.load()


def test_every_mapped_prowler_check_passes_on_the_stack(scanned, cat, deployment):
    report = scanned[0]
    verdicts = {c.id: runtime_layer(c, None, [report]) for c in cat.controls if c.prowler}
    assert len(verdicts) >= 15
    bad = {
        cid: [(f.check, f.resource, f.verdict, f.note) for f in v.findings if f.verdict != "PASS"]
        for cid, v in verdicts.items()
        if v.verdict != "PASS"
    }
    assert bad == {}
    judged = {f["resource"] for f in report.findings}
    assert f"arn:aws:s3:::{deployment.outputs['bucket_name']}" in judged


def test_a_broken_bucket_fails_the_controls_it_breaks(scanned, cat, target):
    _, broken_report, broken = scanned
    expected = {**BROKEN_FAILS, **(BROKEN_FAILS_EMULATOR if target == "emulator" else {})}
    controls = {c.id: c for c in cat.controls}
    for cid, check in expected.items():
        layer = runtime_layer(controls[cid], None, [broken_report])
        failed = [(f.check, f.resource) for f in layer.findings if f.verdict == "FAIL"]
        assert layer.verdict == "FAIL", (cid, layer)
        assert (check, f"arn:aws:s3:::{broken}") in failed, (cid, failed)


def test_what_is_not_the_stacks_is_not_attributed(scanned):
    report, _, broken = scanned
    resources = {f["resource"] for f in report.findings}
    assert f"arn:aws:s3:::{broken}" not in resources
    # the account's own findings (password policy, the emulator's admin, default VPC ...)
    assert report.not_attributed.get("FAIL", 0) > 0
    assert not any(r.endswith((":account", ":password-policy", ":root")) for r in resources)
