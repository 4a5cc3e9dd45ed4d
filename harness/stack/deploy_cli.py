"""Run one deployment from the command line: apply, wait for the app, hold, destroy.

    python -m harness.stack.deploy_cli [--endpoint http://127.0.0.1:5000] [--run-id ID] [--hold 30]

The same :func:`harness.stack.deployment.deploy` as the tests and `make up`. Used by the
interruption tests (they kill this process during apply and check that teardown left
nothing, no container either) and handy for debugging a stack by hand (``--keep``).
Without ``--endpoint`` it starts its own emulator.
"""

from __future__ import annotations

import argparse
import sys
import time

from harness.emulator.launcher import MotoServer
from harness.log import configure as configure_logging
from harness.log import logger
from harness.runid import new_run_id
from harness.stack.deployment import deploy

log = logger("deploy")


def main(argv: list[str] | None = None) -> int:
    configure_logging()
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--environment", default="dev")
    parser.add_argument("--target", default="emulator", choices=["emulator", "aws"])
    parser.add_argument("--endpoint", default="", help="an emulator that is already running")
    parser.add_argument("--run-id", default="")
    parser.add_argument("--hold", type=float, default=0.0, help="seconds to keep the stack up")
    parser.add_argument("--keep", action="store_true", help="do not destroy (debugging)")
    args = parser.parse_args(argv)
    moto = MotoServer(url=args.endpoint).start() if args.endpoint else None
    run_id = args.run_id or new_run_id()
    with deploy(
        args.target, moto=moto, environment=args.environment, run_id=run_id, keep=args.keep
    ) as dep:
        log.info(f"{run_id}: app answers at {dep.app_url}")
        time.sleep(args.hold)
    timings = ", ".join(f"{k}={v:.1f}s" for k, v in dep.stack.timer.timings.items())
    log.info(f"{run_id}: timings {timings}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
