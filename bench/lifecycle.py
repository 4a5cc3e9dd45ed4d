"""Benchmark: the emulator lifecycle per stage, and two stacks in parallel against one.

    .venv/bin/python bench/lifecycle.py [--rounds 1]

Prints, for one stack alone and for two stacks at once (as `pytest -n 2` runs them),
the seconds spent in init, apply, outputs/app, plan, destroy, side by side.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harness.emulator import MotoServer  # noqa: E402
from harness.stack import Stack  # noqa: E402
from harness.sweeper import new_run_id  # noqa: E402

STAGES = ("init", "apply", "plan", "destroy")


def one_lifecycle(_: object = None) -> dict[str, float]:
    # one moto per stack, as `pytest -n 2` has one per worker (two stacks applied at once
    # against one moto server lost an RDS instance once: not investigated yet)
    with MotoServer() as moto:
        stack = Stack("dev", "emulator", endpoint_url=moto.url, run_id=new_run_id("b"))
        t0 = time.monotonic()
        with stack.lifecycle():
            stack.outputs()
            stack.plan_exitcode()
        timings = dict(stack.timer.timings)
        timings["total"] = time.monotonic() - t0
    return timings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    single: list[dict[str, float]] = []
    double: list[dict[str, float]] = []
    wall_double: list[float] = []
    for _ in range(args.rounds):
        single.append(one_lifecycle())
        t0 = time.monotonic()
        with ThreadPoolExecutor(2) as pool:
            double.extend(pool.map(one_lifecycle, [1, 2]))
        wall_double.append(time.monotonic() - t0)

    def med(rows, key):
        return statistics.median(r.get(key, 0.0) for r in rows)

    print(f"\nemulator lifecycle, environments/dev, median of {args.rounds} round(s), seconds")
    print(f"{'stage':<10}{'1 stack':>10}{'2 stacks (each)':>18}")
    for key in (*STAGES, "total"):
        print(f"{key:<10}{med(single, key):>10.1f}{med(double, key):>18.1f}")
    wall = statistics.median(wall_double)
    print(f"{'wall':<10}{med(single, 'total'):>10.1f}{wall:>18.1f}")
    print(
        f"two stacks at once took {wall / med(single, 'total'):.2f}x one stack "
        f"(throughput {2 * med(single, 'total') / wall:.2f}x)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
