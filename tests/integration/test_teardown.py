"""Last of the main stack's modules: a second plan wants nothing, drift outside the CLI is
reported against its controls (make drift), destroy leaves nothing.

After the design, app, instance, browser and replacement tests (see conftest). The drift
test changes resources out of band only after the empty-plan check, and restores them.
"""

from __future__ import annotations

import json

import pytest

from harness.compliance import drift
from harness.stack.drift import unexplained_drift

pytestmark = pytest.mark.integration


def test_second_plan_is_empty(deployment):
    # the emulator's exemptions, each with its reason: harness/stack/drift.py (none on AWS)
    drift = unexplained_drift(deployment.stack.plan_json(), deployment.target)
    assert not drift, f"a plan after apply wants changes: {json.dumps(drift, indent=1)}"
    if deployment.target == "aws":
        code, text = deployment.stack.plan_exitcode()
        assert code == 0, f"plan -detailed-exitcode after apply is not empty:\n{text[-4000:]}"


@pytest.mark.emulator_only  # it opens the database's group to the world for a moment
def test_drift_is_reported_against_its_controls(deployment, tmp_path):
    """The check `make drift` runs (harness.compliance.drift.check), on the deployed stack:
    nothing, then the DB group opened to the world and versioning suspended through the
    API (as the account's admin, not the deployer), then nothing again once restored."""
    out = deployment.outputs
    clean = drift.check(deployment.stack, out=tmp_path / "clean")
    assert clean.exitcode == 0, drift.render(clean)
    ec2, s3 = deployment.client("ec2"), deployment.client("s3")
    port = int(out["db_port"])
    world = [{"IpProtocol": "tcp", "FromPort": port, "ToPort": port,
              "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]  # fmt: skip
    group, bucket = out["db_security_group_id"], out["bucket_name"]
    ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=world)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})
    try:
        report = drift.check(deployment.stack, out=tmp_path / "drifted")
    finally:
        ec2.revoke_security_group_ingress(GroupId=group, IpPermissions=world)
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    shown = drift.render(report)
    assert report.exitcode == 2, shown
    assert not report.unmapped, shown
    opened = [d for d in report.drifted if d.address.endswith("aws_security_group.db")]
    assert [(d.attribute, d.before, d.after) for d in opened] == [
        ("ingress", [], [f"tcp {port}-{port} 0.0.0.0/0"])
    ], shown
    assert opened[0].controls == ["FS-NET-01", "FS-NET-02"], shown
    suspended = [d for d in report.drifted if d.type == "aws_s3_bucket_versioning"]
    assert [(d.attribute, d.before, d.after, d.controls) for d in suspended] == [
        ("versioning_configuration[0].status", "Enabled", "Suspended", ["FS-S3-03"])
    ], shown
    assert suspended[0].address == "module.stack.module.storage.aws_s3_bucket_versioning.this"
    assert report.controls == ["FS-NET-01", "FS-NET-02", "FS-S3-03"], shown
    restored = drift.check(deployment.stack, out=tmp_path / "restored")
    assert restored.exitcode == 0, drift.render(restored)


def test_destroy_leaves_nothing_tagged(deployment):
    deployment.stack.destroy()
    # destroy alone must remove everything: the leftover sweep is for interrupted runs
    assert not deployment.stack.swept, "destroy missed: " + ", ".join(
        map(str, deployment.stack.swept)
    )
    left = deployment.inventory.by_run_id(deployment.run_id)
    assert not left, "left after destroy:\n" + "\n".join(map(str, left))
    if deployment.target == "emulator":
        from harness.instances.sweep import wait_removed

        left = wait_removed(deployment.run_id)  # the data plane removes them within seconds
        assert not left, f"instances (containers, disks) left after destroy: {left}"
