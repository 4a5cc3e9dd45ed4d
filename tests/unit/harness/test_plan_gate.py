"""The plan is scanned by the gate before it is applied, and only that plan is applied:
a refused plan stops the deployment before anything exists."""

from __future__ import annotations

import subprocess

import pytest

from harness.stack import deployment
from harness.stack.deployment import DeploymentError, apply_scanned, scan_plan
from harness.stack.stack import Stack
from harness.stack.targets import aws_target
from harness.toolchain.locate import Toolchain


@pytest.fixture
def stack(tmp_path, monkeypatch):
    monkeypatch.setattr(deployment, "REPO_ROOT", tmp_path)
    monkeypatch.setattr(Stack, "plan_json", lambda self, planfile=None: {"resource_changes": []})
    return Stack(
        target=aws_target(),
        source=tmp_path,
        workdir=tmp_path / "work",
        toolchain=Toolchain(binary=tmp_path / "tofu", kind="tofu"),
    )


def gate_exits(monkeypatch, code: int, calls: list) -> None:
    def run(cmd, **kwargs):
        calls.append(cmd)
        return subprocess.CompletedProcess(cmd, code, "gate: FAILED\nCKV_AWS_17 ...", "")

    monkeypatch.setattr(deployment.subprocess, "run", run)


def test_a_plan_the_gate_refuses_is_never_applied(stack, monkeypatch):
    calls: list = []
    gate_exits(monkeypatch, 1, calls)
    with pytest.raises(DeploymentError, match="the security gate refused the plan"):
        scan_plan(stack)
    (cmd,) = calls
    assert cmd[1:4] == ["-m", "harness.gate", "--quiet"] and "--plan" in cmd
    assert cmd[cmd.index("--dirs") + 1] == "--plan", "a plan scan only, no roots"
    # with the root's own skips and its HCL for the inline ones (plan enrichment)
    assert cmd[cmd.index("--plan-root") + 1] == "environments/dev"


def test_a_plan_the_gate_accepts_is_the_one_applied(stack, monkeypatch):
    gate_exits(monkeypatch, 0, [])
    assert scan_plan(stack) == stack.workdir / "plan.bin"
    applied = []
    monkeypatch.setattr(Stack, "tf", lambda self, *args, **kw: applied.append(args))
    stack.apply(scan_plan(stack))
    assert applied[-1][-1] == str(stack.workdir / "plan.bin")


def test_a_change_to_a_live_stack_applies_the_plan_the_gate_scanned(stack, monkeypatch):
    """tests/integration/test_replace.py's path: the saved plan is scanned, checked by
    the caller, and that very file applied, on both targets."""
    gate_exits(monkeypatch, 0, [])
    ran = []

    def tf(self, *args, **kw):
        ran.append(args)
        return subprocess.CompletedProcess(args, 0, '{"resource_changes": ["x"]}', "")

    monkeypatch.setattr(Stack, "tf", tf)
    seen = []
    plan = apply_scanned(stack, check=seen.append)
    planfile = str(stack.workdir / "plan.bin")
    assert seen == [plan] == [{"resource_changes": ["x"]}]
    assert ran[0] == ("show", "-json", planfile), "the plan checked is the saved one"
    assert ran[-1][0] == "apply" and ran[-1][-1] == planfile, "and it is what is applied"


def test_a_change_the_gate_refuses_or_the_check_rejects_is_not_applied(stack, monkeypatch):
    ran = []
    monkeypatch.setattr(
        Stack,
        "tf",
        lambda self, *args, **kw: (
            ran.append(args) or subprocess.CompletedProcess(args, 0, "{}", "")
        ),
    )
    gate_exits(monkeypatch, 1, [])
    with pytest.raises(DeploymentError):
        apply_scanned(stack)
    gate_exits(monkeypatch, 0, [])

    def reject(plan):
        raise AssertionError("no replacement planned")

    with pytest.raises(AssertionError):
        apply_scanned(stack, check=reject)
    assert not [a for a in ran if a[0] == "apply"]
