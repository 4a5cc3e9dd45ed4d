"""Run one lifecycle from the command line (apply, optionally hold, destroy).

    python -m harness.lifecycle --endpoint http://127.0.0.1:5000 [--run-id ID] [--hold 30]

Used by the interruption test (it kills this process during apply and checks that
teardown left nothing) and handy for debugging a stack by hand (``--keep``).
"""

from __future__ import annotations

import argparse
import sys
import time

from harness.stack import Stack
from harness.sweeper import new_run_id


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--environment", default="dev")
    parser.add_argument("--target", default="emulator", choices=["emulator", "aws"])
    parser.add_argument("--endpoint", default="")
    parser.add_argument("--run-id", default="")
    parser.add_argument("--hold", type=float, default=0.0, help="seconds to keep the stack up")
    parser.add_argument("--keep", action="store_true", help="do not destroy (debugging)")
    args = parser.parse_args(argv)
    stack = Stack(
        args.environment,
        args.target,
        endpoint_url=args.endpoint,
        run_id=args.run_id or new_run_id(),
    )
    with stack.lifecycle(keep=args.keep):
        print(
            f"[lifecycle] {stack.run_id}: applied; outputs: {sorted(stack.outputs())}", flush=True
        )
        time.sleep(args.hold)
    print(
        f"[lifecycle] {stack.run_id}: timings "
        + ", ".join(f"{k}={v:.1f}s" for k, v in stack.timer.timings.items()),
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
