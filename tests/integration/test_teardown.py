"""Last of the main stack's modules: a second plan wants nothing, destroy leaves nothing.

After the design, app, instance, browser and replacement tests (see conftest).
"""

from __future__ import annotations

import json

import pytest

from harness.stack.drift import unexplained_drift

pytestmark = pytest.mark.integration


def test_second_plan_is_empty(deployment):
    # the emulator's exemptions, each with its reason: harness/stack/drift.py (none on AWS)
    drift = unexplained_drift(deployment.stack.plan_json(), deployment.target)
    assert not drift, f"a plan after apply wants changes: {json.dumps(drift, indent=1)}"
    if deployment.target == "aws":
        code, text = deployment.stack.plan_exitcode()
        assert code == 0, f"plan -detailed-exitcode after apply is not empty:\n{text[-4000:]}"


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
