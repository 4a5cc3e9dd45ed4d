"""Exit code 2 is success only for ``plan -detailed-exitcode`` ("changes present"); from
any other command (apply, destroy, output, a plain plan) it is an error."""

from __future__ import annotations

import pytest

from harness.stack.stack import Stack, StackError
from harness.stack.targets import aws_target
from harness.toolchain.locate import Toolchain

# A stand-in CLI that exits 2 for every command, as Terraform/OpenTofu do on a usage
# error or, for `plan -detailed-exitcode`, when there are changes.
EXIT_2 = """#!/bin/bash
echo "ran: $*"
exit 2
"""


@pytest.fixture
def stack(tmp_path):
    cli = tmp_path / "fake-tofu"
    cli.write_text(EXIT_2)
    cli.chmod(0o755)
    root = tmp_path / "root"
    root.mkdir()
    (root / "main.tf").write_text("# nothing\n")
    return Stack(
        target=aws_target(),
        source=root,
        workdir=tmp_path / "work",
        toolchain=Toolchain(binary=cli, kind="tofu"),
        retries=0,
    ).prepare()


@pytest.mark.parametrize(
    "args",
    [
        ("apply", "-input=false", "-auto-approve"),
        ("destroy", "-input=false", "-auto-approve"),
        ("plan", "-input=false"),
        ("output", "-json"),
        ("init", "-input=false"),
    ],
)
def test_exit_2_is_an_error(stack, args):
    with pytest.raises(StackError, match=r"exit 2"):
        stack.tf(*args)


def test_exit_2_of_plan_detailed_exitcode_means_changes(stack):
    code, out = stack.plan_exitcode()
    assert code == 2
    assert "-detailed-exitcode" in out


def test_apply_exiting_2_fails_the_stage(stack):
    with pytest.raises(StackError):
        stack.apply()
    assert not stack.apply_finished
