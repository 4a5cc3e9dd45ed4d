"""Kill a run during apply: teardown must still leave nothing tagged with its run id, and
no instance container, mount or disk."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest

from harness.instances.sweep import of_run
from harness.paths import REPO_ROOT
from harness.runid import new_run_id
from harness.sweeper.sweep import Inventory

pytestmark = [pytest.mark.integration, pytest.mark.emulator_only]


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_interrupt_during_apply_leaves_nothing(moto, sig):
    run_id = new_run_id("k")
    inventory = Inventory(endpoint_url=moto.url)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "harness.stack.deploy_cli",
            "--endpoint",
            moto.url,
            "--run-id",
            run_id,
        ],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        # wait until apply has created something (the VPC comes first), then interrupt
        deadline = time.monotonic() + 600
        while not any(f.kind == "ec2:vpc" for f in inventory.by_run_id(run_id)):
            assert proc.poll() is None, (
                f"the run ended before it was interrupted:\n{proc.stdout.read()}"
            )
            assert time.monotonic() < deadline, "apply never created the VPC"
            time.sleep(0.5)
        proc.send_signal(sig)
        out, _ = proc.communicate(timeout=900)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode != 0, f"an interrupted run must not report success:\n{out[-3000:]}"
    assert "destroy done" in out, f"teardown did not run:\n{out[-3000:]}"
    left = inventory.by_run_id(run_id)
    assert not left, "left after an interrupted run:\n" + "\n".join(map(str, left))
    assert not of_run(run_id)
