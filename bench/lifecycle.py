"""Benchmark: the emulator lifecycle per stage; one stack, and two at once on one emulator
and on two.

    .venv/bin/python bench/lifecycle.py [--rounds 1] [--only single|one-emulator|two-emulators]

Each lifecycle is :func:`harness.stack.deployment.deploy` of environments/dev (the instance
boots and its user_data deploys the app), a second plan, destroy and the leftover sweep.
Prints the seconds per stage (median over rounds; for two stacks, each stack's) and the
wall time of each arrangement.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harness.emulator.launcher import MotoServer  # noqa: E402
from harness.runid import new_run_id  # noqa: E402
from harness.stack.deployment import deploy  # noqa: E402

STAGES = ("init", "apply", "app", "plan", "destroy", "sweep")
ARRANGEMENTS = ("single", "one-emulator", "two-emulators")


def one_lifecycle(moto: MotoServer | None) -> dict[str, float]:
    t0 = time.monotonic()
    with deploy("emulator", moto=moto, run_id=new_run_id("b")) as dep:
        dep.stack.plan_exitcode()
    timings = dict(dep.stack.timer.timings)
    timings["total"] = time.monotonic() - t0
    return timings


def arrangement(name: str) -> tuple[list[dict[str, float]], float]:
    t0 = time.monotonic()
    if name == "single":
        rows = [one_lifecycle(None)]
    elif name == "two-emulators":
        with ThreadPoolExecutor(2) as pool:
            rows = list(pool.map(one_lifecycle, [None, None]))
    else:
        with MotoServer(instances=True) as moto, ThreadPoolExecutor(2) as pool:
            rows = list(pool.map(one_lifecycle, [moto, moto]))
    return rows, time.monotonic() - t0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--only", choices=ARRANGEMENTS, action="append")
    args = parser.parse_args()
    chosen = args.only or list(ARRANGEMENTS)
    rows: dict[str, list[dict[str, float]]] = {name: [] for name in chosen}
    walls: dict[str, list[float]] = {name: [] for name in chosen}
    for _ in range(args.rounds):
        for name in chosen:
            found, wall = arrangement(name)
            rows[name].extend(found)
            walls[name].append(wall)

    def med(name: str, key: str) -> float:
        return statistics.median(r.get(key, 0.0) for r in rows[name])

    print(f"\nemulator lifecycle of environments/dev, median of {args.rounds} round(s), seconds")
    print(f"{'stage':<10}" + "".join(f"{name:>16}" for name in chosen))
    for key in (*STAGES, "total"):
        print(f"{key:<10}" + "".join(f"{med(name, key):>16.1f}" for name in chosen))
    print(f"{'wall':<10}" + "".join(f"{statistics.median(walls[n]):>16.1f}" for n in chosen))
    if "single" in chosen:
        one = statistics.median(walls["single"])
        for name in chosen[1:]:
            wall = statistics.median(walls[name])
            print(f"two stacks ({name}): {wall / one:.2f}x one stack's wall time")
    return 0


if __name__ == "__main__":
    sys.exit(main())
