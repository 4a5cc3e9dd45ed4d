"""Two stacks applied at once against ONE emulator: both boot their instance, both apps
answer, both destroy clean.

This is what `EMULATOR_URL` (several pytest workers, or `make up` and the suite) does. It
used to lose an RDS instance: moto gave every DB instance the same DbiResourceId, the
provider's id for it (harness.emulator.corrections, ``_unique_dbi_resource_id``).
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from harness.emulator.launcher import MotoServer
from harness.instances.sweep import of_run
from harness.runid import new_run_id
from harness.stack.deployment import Deployment, deploy

pytestmark = [pytest.mark.integration, pytest.mark.emulator_only]

STACKS = 2


def test_two_stacks_apply_and_destroy_at_once_on_one_emulator(moto):
    run_ids = [new_run_id("s") for _ in range(STACKS)]
    both_up = threading.Barrier(STACKS, timeout=1200)
    seen: dict[str, dict] = {}

    def lifecycle(run_id: str) -> Deployment:
        try:
            with deploy("emulator", moto=moto, run_id=run_id) as dep:
                both_up.wait()  # neither destroys before both are applied
                health = requests.get(f"{dep.app_url}/healthz", timeout=30)
                rds = dep.client("rds").describe_db_instances()["DBInstances"]
                t0 = time.monotonic()  # attaching to an emulator holding two stacks is quick
                MotoServer(url=moto.url).start()
                seen[run_id] = {
                    "outputs": dict(dep.outputs),
                    "health": health.status_code,
                    "dbi": {d["DBInstanceIdentifier"]: d["DbiResourceId"] for d in rds},
                    "attach": time.monotonic() - t0,
                }
                both_up.wait()  # nor before both have looked
        except BaseException:
            both_up.abort()  # the other stack stops waiting and tears down too
            raise
        return dep

    t0 = time.monotonic()
    with ThreadPoolExecutor(STACKS) as pool:
        deps = list(pool.map(lifecycle, run_ids))
    wall = time.monotonic() - t0
    print(
        f"two stacks on one emulator: {wall:.0f}s wall; "
        + "; ".join(
            f"{d.run_id}: " + ", ".join(f"{k}={v:.0f}s" for k, v in d.stack.timer.timings.items())
            for d in deps
        )
    )
    assert all(seen[r]["health"] == 200 for r in run_ids), seen
    assert max(seen[r]["attach"] for r in run_ids) < 2.0, seen
    dbi = seen[run_ids[0]]["dbi"]
    assert len(set(dbi.values())) == len(dbi) >= STACKS, dbi
    assert len({seen[r]["outputs"]["instance_id"] for r in run_ids}) == STACKS
    assert len({seen[r]["outputs"]["app_url"] for r in run_ids}) == STACKS
    for dep in deps:
        assert dep.stack.destroyed and dep.stack.swept == [], dep.run_id
        left = dep.inventory.by_run_id(dep.run_id)
        assert not left, f"left by {dep.run_id}:\n" + "\n".join(map(str, left))
        assert not of_run(dep.run_id)
