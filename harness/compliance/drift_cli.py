"""make drift: the drift check (harness/compliance/drift.py) on a deployed environment.

    python -m harness.compliance.drift_cli --target emulator       # the stack `make up` left
    python -m harness.compliance.drift_cli --target aws --env prod # a deployed environment

emulator: the working copy and the emulator of ``make up`` (``.stack/up.env``), as
``make down`` finds them. aws: environments/<env> copied and initialised with its remote
state (``TF_BACKEND_CONFIG``: the file or key=value list of ``init -backend-config``;
without it there is no state to compare, and the check refuses to run); its inputs from
``TF_VAR_*`` (``operator_cidr`` has no default; ``run_id`` is the deployment's, default
``manual``, the variable's own default). Exit status: 0 no drift, 2 drift, 1 no verdict.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

from harness.compliance.drift import REPORT_DIR, DriftError, check
from harness.log import configure as configure_logging
from harness.proc import StageTimeout
from harness.stack.stack import StackError


class NoDeployment(RuntimeError):
    pass


def emulator_stack():
    """The Stack of the running `make up`, attached to (never prepared or initialised again)."""
    from harness.stack.stack import Stack
    from harness.stack.targets import emulator_target
    from harness.stack.up import STATE_FILE, read_state

    state = read_state()
    workdir = Path(state.get("WORKDIR", ""))
    if not state.get("EMULATOR_URL") or not (workdir / "environments").is_dir():
        raise NoDeployment(f"no stack is up on the emulator ({STATE_FILE}): run `make up` first")
    return Stack(
        emulator_target(state["EMULATOR_URL"], session_name=f"drift-{state['RUN_ID']}"),
        "dev",
        run_id=state["RUN_ID"],
        workdir=workdir,
    )


def aws_stack(environment: str):
    """environments/<environment> in a fresh working copy, initialised on its remote state."""
    from harness.stack.stack import Stack
    from harness.stack.targets import aws_target

    if not os.environ.get("TF_BACKEND_CONFIG"):
        raise NoDeployment(
            "TARGET=aws needs the deployed environment's state: set TF_BACKEND_CONFIG to its "
            "backend configuration (see environments/*/backend.hcl.example)"
        )
    stack = Stack(aws_target(), environment, run_id=os.environ.get("TF_VAR_run_id", "manual"))  # noqa: SIM112
    stack.prepare()
    stack.init()
    return stack


def main(argv: list[str] | None = None) -> int:
    configure_logging()
    parser = argparse.ArgumentParser(
        prog="python -m harness.compliance.drift_cli", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--target", choices=("emulator", "aws"), default="emulator")
    parser.add_argument("--env", default="dev", help="environment (aws; the emulator's is dev)")
    parser.add_argument("--out", type=Path, default=REPORT_DIR)
    args = parser.parse_args(argv)
    t0 = time.monotonic()
    stack = None
    try:
        stack = emulator_stack() if args.target == "emulator" else aws_stack(args.env)
        report = check(stack, out=args.out)
    except (NoDeployment, DriftError, StackError, StageTimeout) as exc:
        print(f"drift: no verdict: {exc}", file=sys.stderr)
        return 1
    finally:
        if stack is not None and args.target == "aws":
            shutil.rmtree(stack.workdir, ignore_errors=True)  # a copy; the state is remote
    print(f"drift: exit {report.exitcode} in {time.monotonic() - t0:.1f}s")
    return report.exitcode


if __name__ == "__main__":
    sys.exit(main())
