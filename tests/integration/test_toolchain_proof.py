"""Proof that the offline toolchain works: init (twice: the lock file is verified), plan,
apply, output and destroy of a small configuration against the emulator, driven by the
same ``Stack`` as every lifecycle; afterwards the emulator holds none of it."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.runid import new_run_id
from harness.stack.stack import Stack
from harness.stack.targets import emulator_target

pytestmark = [pytest.mark.integration, pytest.mark.emulator_only]

PROOF = Path(__file__).parent / "proof"
PLANNED = {
    "aws_vpc",
    "aws_subnet",
    "aws_security_group",
    "aws_s3_bucket",
    "aws_db_subnet_group",
    "aws_db_instance",
}


def test_init_apply_output_destroy_on_emulator(toolchain, moto, tmp_path):
    stack = Stack(
        target=emulator_target(moto.url),
        source=PROOF,
        run_id=new_run_id("p"),
        workdir=tmp_path,
        toolchain=toolchain,
    ).prepare()
    stack.init()
    assert (stack.tfdir / ".terraform.lock.hcl").exists(), "init wrote no lock file"
    stack.init()  # a second init verifies the provider against the lock file
    plan = stack.plan_json()
    assert {r["type"] for r in plan["resource_changes"]} >= PLANNED
    ec2, s3, rds = (moto.client(s) for s in ("ec2", "s3", "rds"))
    try:
        stack.apply()
        out = stack.outputs()
        assert ec2.describe_vpcs(VpcIds=[out["vpc_id"]])["Vpcs"]
        assert out["bucket"] in {b["Name"] for b in s3.list_buckets()["Buckets"]}
        assert rds.describe_db_instances(DBInstanceIdentifier=out["db_identifier"])["DBInstances"]
    finally:
        stack.destroy()
    assert stack.destroyed and not stack.swept, f"destroy left {stack.swept}"
    assert not stack.inventory().by_run_id(stack.run_id)
    assert out["bucket"] not in {b["Name"] for b in s3.list_buckets()["Buckets"]}
