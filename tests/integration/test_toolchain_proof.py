"""Proof that the offline toolchain works: tftest drives init, apply, output, destroy of a
small configuration against the emulator, and the emulator holds none of it afterwards."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from harness.stack import OVERRIDE_FILE, emulator_override
from harness.sweeper import new_run_id

pytestmark = [pytest.mark.integration, pytest.mark.emulator_only]

PROOF = Path(__file__).parent / "proof"


def test_init_apply_output_destroy_on_emulator(toolchain, moto, tmp_path):
    run_id = new_run_id("p")
    workdir = tmp_path / "proof"
    shutil.copytree(PROOF, workdir)
    (workdir / OVERRIDE_FILE).write_text(emulator_override(moto.url, workdir / "terraform.tfstate"))
    tf = toolchain.tftest(workdir, env={"TF_VAR_run_id": run_id})
    tf.init()  # not tf.setup(): its finaliser deletes the state; we keep it until destroy
    assert (workdir / ".terraform.lock.hcl").exists(), "init wrote no lock file"
    tf.init()  # a second init verifies the provider against the lock file
    plan = tf.plan(output=True)
    planned = (
        {r["type"] for r in plan.resource_changes.values()}
        if hasattr(plan, "resource_changes")
        else set()
    )
    try:
        tf.apply()
        out = tf.output()
        ec2, s3, rds = (moto.client(s) for s in ("ec2", "s3", "rds"))
        assert ec2.describe_vpcs(VpcIds=[out["vpc_id"]])["Vpcs"]
        assert {b["Name"] for b in s3.list_buckets()["Buckets"]} >= {out["bucket"]}
        assert rds.describe_db_instances(DBInstanceIdentifier=out["db_identifier"])["DBInstances"]
    finally:
        tf.destroy()
    assert (
        planned
        >= {
            "aws_vpc",
            "aws_subnet",
            "aws_security_group",
            "aws_s3_bucket",
            "aws_db_subnet_group",
            "aws_db_instance",
        }
        or not planned
    )
    vpcs = ec2.describe_vpcs(Filters=[{"Name": "tag:run_id", "Values": [run_id]}])["Vpcs"]
    assert not vpcs
    assert not ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [out["vpc_id"]]}])[
        "Subnets"
    ]
    assert not [
        g
        for g in ec2.describe_security_groups()["SecurityGroups"]
        if g["GroupName"] == f"proof-{run_id}-db"
    ]
    assert out["bucket"] not in {b["Name"] for b in s3.list_buckets()["Buckets"]}
    assert not [
        d
        for d in rds.describe_db_instances()["DBInstances"]
        if d["DBInstanceIdentifier"] == out["db_identifier"]
    ]
    assert not [
        g
        for g in rds.describe_db_subnet_groups()["DBSubnetGroups"]
        if g["DBSubnetGroupName"] == f"proof-{run_id}"
    ]
