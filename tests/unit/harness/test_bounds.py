"""Every stage is bounded: a hanging CLI is stopped (SIGINT, grace, then SIGKILL), the
error names what it was waiting on, the state is kept and teardown still sweeps."""

from __future__ import annotations

import time

import pytest

from harness.proc import StageTimeout, pending_resources, run_bounded
from harness.stack import stack as stackmod
from harness.stack.stack import Stack, stage_bounds
from harness.stack.targets import aws_target
from harness.toolchain.locate import Toolchain

# A stand-in CLI: `init` succeeds; `apply`/`destroy` start a resource and hang. With
# IGNORE_INT it ignores SIGINT (only SIGKILL ends it), else it stops on SIGINT as the
# real CLI does after writing its state.
FAKE_CLI = """#!/bin/bash
case "$1" in
  init) echo "initialized"; exit 0 ;;
  apply) echo "module.db.aws_db_instance.this: Creating..." ;;
  destroy) echo "module.web.aws_instance.this: Destroying... [id=i-1]" ;;
esac
echo '{"version": 4}' > terraform.tfstate
if [ -n "$IGNORE_INT" ]; then trap '' INT; else trap 'echo "Interrupt received"; exit 1' INT; fi
while true; do sleep 0.1; done
"""


@pytest.fixture
def fake_stack(tmp_path, monkeypatch):
    cli = tmp_path / "fake-tofu"
    cli.write_text(FAKE_CLI)
    cli.chmod(0o755)
    root = tmp_path / "root"
    root.mkdir()
    (root / "main.tf").write_text("# nothing\n")
    monkeypatch.setattr(stackmod, "KEPT_STATE_DIR", tmp_path / "kept")
    swept: list[str] = []
    monkeypatch.setattr(Stack, "sweep_leftovers", lambda self: swept.append(self.run_id) or [])
    monkeypatch.setattr(Stack, "sweep_orphans", lambda self: swept.append("orphans") or [])
    stack = Stack(
        target=aws_target(),
        source=root,
        workdir=tmp_path / "work",
        toolchain=Toolchain(binary=cli, kind="tofu"),
        bounds={"apply": 1.0, "destroy": 1.0},
        grace=2.0,
    )
    stack.swept_calls = swept
    return stack.prepare()


def test_a_hanging_apply_stops_at_its_bound_and_names_the_resource(fake_stack):
    fake_stack.init()
    t0 = time.monotonic()
    with pytest.raises(StageTimeout, match=r"bound of 1s; still waiting on: module\.db\.aws_db_"):
        fake_stack.apply()
    assert time.monotonic() - t0 < 5, "the CLI got SIGINT and stopped within its grace"


def test_a_cli_that_ignores_sigint_is_killed_after_the_grace(fake_stack, monkeypatch):
    monkeypatch.setenv("IGNORE_INT", "1")
    t0 = time.monotonic()
    with pytest.raises(StageTimeout):
        fake_stack.apply()
    assert 2.5 < time.monotonic() - t0 < 8, "bound (1 s) + grace (2 s), then SIGKILL"


def test_a_destroy_past_its_bound_keeps_the_state_and_still_sweeps(fake_stack, tmp_path):
    fake_stack.applied = fake_stack.apply_finished = True
    with pytest.raises(StageTimeout, match="module.web.aws_instance.this"):
        fake_stack.destroy()
    assert (tmp_path / "kept" / fake_stack.run_id / "terraform.tfstate").exists()
    assert fake_stack.swept_calls == [fake_stack.run_id], "teardown goes on to the sweep"
    assert not fake_stack.destroyed


def test_lifecycle_teardown_runs_after_a_hanging_apply(fake_stack):
    with pytest.raises(StageTimeout), fake_stack.lifecycle():
        pytest.fail("apply cannot have succeeded")
    # the apply never finished: its orphans go first, then destroy, then the sweep
    assert fake_stack.swept_calls == ["orphans", fake_stack.run_id]


def test_bounds_come_from_the_environment_and_bad_ones_are_refused(monkeypatch):
    monkeypatch.setenv("FILESTORE_STAGE_BOUNDS", "apply=90,destroy=30.5")
    assert stage_bounds()["apply"] == 90 and stage_bounds()["destroy"] == 30.5
    for bad in ("apply=soon", "deploy=10", "apply"):
        monkeypatch.setenv("FILESTORE_STAGE_BOUNDS", bad)
        with pytest.raises(ValueError, match="FILESTORE_STAGE_BOUNDS"):
            stage_bounds()


def test_run_bounded_returns_normally_within_the_bound():
    proc = run_bounded(["bash", "-c", "echo ok"], timeout=5)
    assert proc.returncode == 0 and proc.stdout == "ok\n"


@pytest.mark.parametrize(
    ("log", "pending"),
    [
        ("a.b: Creating...\na.b: Creation complete after 1s [id=x]\n", []),
        ("a.b: Creating...\na.b: Still creating... [10s elapsed]\n", ["a.b"]),
        ('m.x["k"]: Destroying... [id=1]\nm.x["k"]: Destruction complete after 1s\n', []),
        (
            "r.i: Destroying... [id=1]\nr.i: Destruction complete after 1s\nr.i: Creating...\n",
            ["r.i"],
        ),
        ("r.a: Modifying... [id=1]\nr.b: Reading...\nr.b: Read complete after 0s\n", ["r.a"]),
    ],
)
def test_pending_resources_reads_the_cli_log(log, pending):
    assert pending_resources(log) == pending


# A CLI that takes a while to write its state after SIGINT, and counts the SIGINTs it gets.
SLOW_TO_STOP = """
trap 'echo int >> "$1"; sleep 2; echo state-written >> "$1"; exit 1' INT
echo started >> "$1"
while true; do sleep 0.1; done
"""
INTERRUPTED_TWICE = """
import sys
from harness.proc import run_bounded
try:
    run_bounded(["bash", "-c", sys.argv[1], "cli", sys.argv[2]], timeout=60, grace=30)
except KeyboardInterrupt:
    print("interrupted")
    sys.exit(130)
"""


def test_a_second_interrupt_is_not_passed_on_and_the_cli_finishes_writing_state(tmp_path):
    """Ctrl-C twice (an impatient user): the CLI gets one SIGINT, we wait for it to write
    its state (a second SIGINT would make Terraform exit at once, losing it), then exit."""
    import signal
    import subprocess
    import sys

    from harness.paths import REPO_ROOT

    log = tmp_path / "cli.log"
    parent = subprocess.Popen(
        [sys.executable, "-c", INTERRUPTED_TWICE, SLOW_TO_STOP, str(log)],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 20
    while not (log.exists() and "started" in log.read_text()):
        assert time.monotonic() < deadline and parent.poll() is None, parent.stdout.read()
        time.sleep(0.05)
    parent.send_signal(signal.SIGINT)
    time.sleep(0.5)
    parent.send_signal(signal.SIGINT)
    out, _ = parent.communicate(timeout=30)
    assert parent.returncode == 130, out
    assert log.read_text().split() == ["started", "int", "state-written"], "one SIGINT only"
    assert "a second interrupt is not passed on" in out and "interrupted" in out
    ps = subprocess.run(["pgrep", "-f", str(log)], capture_output=True, text=True)
    assert not ps.stdout.strip(), "the CLI was left running"
