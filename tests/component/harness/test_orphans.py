"""After an interrupted apply, what carries the run id but never reached the state is
deleted *before* destroy: a route table the state does not know blocks DeleteVpc, and
destroy would retry that until its bound (seen in the interruption test)."""

from __future__ import annotations

import pytest

from harness.runid import new_run_id
from harness.stack.stack import Stack
from harness.stack.targets import aws_target, emulator_target
from harness.toolchain.locate import Toolchain


def test_orphans_of_an_interrupted_apply_go_before_destroy(moto, tmp_path, monkeypatch):
    run_id = new_run_id("o")
    tags = [{"Key": "Project", "Value": "filestore"}, {"Key": "run_id", "Value": run_id}]
    ec2 = moto.client("ec2")
    vpc = ec2.create_vpc(
        CidrBlock="10.7.0.0/16", TagSpecifications=[{"ResourceType": "vpc", "Tags": tags}]
    )["Vpc"]["VpcId"]
    orphan = ec2.create_route_table(
        VpcId=vpc, TagSpecifications=[{"ResourceType": "route-table", "Tags": tags}]
    )["RouteTable"]["RouteTableId"]
    stack = Stack(
        target=emulator_target(moto.url),
        run_id=run_id,
        source=tmp_path,
        workdir=tmp_path / "work",
        toolchain=Toolchain(binary=tmp_path / "tofu", kind="tofu"),
    )
    # the state knows the VPC only (the route table's id never reached it)
    monkeypatch.setattr(Stack, "state_resources", lambda self: [{"values": {"id": vpc}}])
    stack.applied = True  # and the apply never finished
    deleted = stack.sweep_orphans()
    assert [f.ident for f in deleted] == [orphan]
    assert [f.ident for f in stack.inventory().by_run_id(run_id)] == [vpc]
    ec2.delete_vpc(VpcId=vpc)  # what destroy does next, no longer blocked


def test_a_finished_apply_has_no_orphan_sweep(tmp_path, monkeypatch):
    stack = Stack(
        target=aws_target(),
        source=tmp_path,
        workdir=tmp_path / "work",
        toolchain=Toolchain(binary=tmp_path / "tofu", kind="tofu"),
    )
    stack.applied = stack.apply_finished = True
    monkeypatch.setattr(
        Stack, "sweep_orphans", lambda self: pytest.fail("not after a finished apply")
    )
    monkeypatch.setattr(Stack, "tf", lambda self, *a, **k: None)
    monkeypatch.setattr(Stack, "sweep_leftovers", lambda self: [])
    stack.destroy()
    assert stack.destroyed
