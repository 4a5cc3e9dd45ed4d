"""Terraform as the deployer: dev and prod apply, plan and destroy with exactly
iam/deployer-policy.json (the nightly CI role's policy), and a permission taken out of it
fails the apply with AccessDenied naming the action, here rather than at night on AWS.

The emulator's API only (no instance boots): what the deployer may do is decided there.
"""

from __future__ import annotations

import json

import pytest

from harness.emulator.clients import Credentials, client
from harness.emulator.iam.identities import DEPLOYER_POLICY, DEPLOYER_ROLE_PREFIX
from harness.emulator.launcher import MotoServer
from harness.net import free_port
from harness.runid import new_run_id
from harness.stack.deployment import emulator_inputs
from harness.stack.stack import Stack, StackError
from harness.stack.targets import emulator_target

pytestmark = [pytest.mark.integration, pytest.mark.emulator_only]

PROTECTION = "db_deletion_protection     = true"  # environments/prod/main.tf
# prod destroys on purpose as its comment says: deletion protection off, apply, destroy;
# what is left by design is the final snapshot
LEFT_BY_DESIGN = ("aws_db_snapshot", "rds:snapshot", "snapshot")


@pytest.fixture(scope="module")
def control_plane():
    with MotoServer() as server:
        yield server


def _stack(moto, environment, tmp_path, toolchain, policy=None) -> Stack:
    run_id = new_run_id("d")
    return Stack(
        emulator_target(moto.url, session_name=f"terraform-{run_id}", deployer_policy=policy),
        environment,
        run_id=run_id,
        tf_vars=emulator_inputs(free_port()),
        workdir=tmp_path,
        toolchain=toolchain,
    ).prepare()


def _caller(moto, stack: Stack) -> str:
    keys = stack.env()  # Terraform's: the deployer's session
    deployer = Credentials(
        keys["AWS_ACCESS_KEY_ID"], keys["AWS_SECRET_ACCESS_KEY"], keys["AWS_SESSION_TOKEN"]
    )
    sts = client("sts", moto.url, credentials=deployer)
    return sts.get_caller_identity()["Arn"]


@pytest.mark.parametrize("environment", ["dev", "prod"])
def test_the_deployer_applies_plans_and_destroys(environment, control_plane, toolchain, tmp_path):
    stack = _stack(control_plane, environment, tmp_path, toolchain)
    assert f":assumed-role/{DEPLOYER_ROLE_PREFIX}-" in _caller(control_plane, stack)
    stack.init()
    try:
        stack.apply()
        code, text = stack.plan_exitcode()  # every read of a refresh, as the deployer
        assert code in (0, 2), text
        if environment == "prod":
            main = stack.tfdir / "main.tf"
            assert PROTECTION in main.read_text()
            main.write_text(main.read_text().replace(PROTECTION, PROTECTION[:-4] + "false"))
            stack.apply()
    finally:
        stack.destroy()
    assert stack.destroyed
    left = [str(item) for item in stack.swept if not any(k in str(item) for k in LEFT_BY_DESIGN)]
    assert not left, f"destroy left {left}"


def test_a_permission_taken_out_fails_the_apply_naming_it(control_plane, toolchain, tmp_path):
    document = json.loads(DEPLOYER_POLICY.read_text())
    taken = "ec2:CreateVpc"
    for statement in document["Statement"]:
        actions = statement["Action"] if isinstance(statement["Action"], list) else []
        if taken in actions:
            actions.remove(taken)
    assert taken not in json.dumps(document), f"{taken} is not in the deployer policy"
    reduced = tmp_path / "reduced-policy.json"
    reduced.write_text(json.dumps(document))
    stack = _stack(control_plane, "dev", tmp_path / "stack", toolchain, policy=reduced)
    stack.init()
    try:
        with pytest.raises(StackError) as failed:
            stack.apply()
    finally:
        stack.destroy()
    message = str(failed.value)
    assert "AccessDenied" in message and f"not authorized to perform: {taken}" in message
