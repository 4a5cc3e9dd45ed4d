"""A change to the app's code replaces the instance, and the new instance serves it.

user_data carries the SHA-256 of every app file (user_data_replace_on_change), so a new
file content means a new user_data, a planned replacement, and a new instance that
deploys the new code unattended. Uploaded files and rows survive (S3, the database).
The change goes through the gate as the first apply did: the saved plan is scanned and
that very plan applied (``apply_scanned``), on both targets.
Fourth of the main stack's modules (see conftest).
"""

from __future__ import annotations

import pytest
import requests

from harness.stack.deployment import apply_scanned

pytestmark = pytest.mark.integration

STYLE = "app/static/style.css"


def test_a_changed_app_file_replaces_the_instance_which_serves_it(deployment):
    stack = deployment.stack
    old_id = deployment.outputs["instance_id"]
    marker = f"/* release {deployment.run_id} */"
    with open(stack.workdir / STYLE, "a") as fh:  # the stack's working copy, not the repo
        fh.write(f"\n{marker}\n")

    def replaces_the_instance(plan: dict) -> None:
        replaced = [
            rc["address"]
            for rc in plan["resource_changes"]
            if rc["type"] == "aws_instance" and rc["change"]["actions"] == ["delete", "create"]
        ]
        assert replaced, "a new app file must replace the instance"

    # as the first apply did: the saved plan is scanned by the gate, then that plan applied
    apply_scanned(stack, check=replaces_the_instance)
    deployment.refresh()  # new outputs; waits until the new instance's app answers
    assert deployment.outputs["instance_id"] != old_id
    css = requests.get(f"{deployment.app_url}/static/style.css", timeout=30)
    assert css.status_code == 200 and marker in css.text
    names = requests.get(f"{deployment.app_url}/api/files", timeout=30).json()
    assert "client-list.csv" in str(names), "uploads made before the replacement are gone"
