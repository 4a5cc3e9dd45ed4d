"""`make up` / `make down`: the whole stack on the emulator, for a person to use.

``up`` starts the emulator (moto with the EC2 data plane: the instance boots and its
user_data deploys the app) and a MariaDB standing in for RDS, applies
``environments/dev`` through :func:`harness.stack.deployment.deploy` (the one way to run a
stack), waits until the instance's app answers, writes ``.stack/up.env`` (URLs, ports,
pids, working copy) and returns, leaving everything running. ``down`` destroys the stack
and stops everything ``up`` started: emulator, instance containers, database.
"""

from __future__ import annotations

import argparse
import shutil
import signal
import sys
import time
from pathlib import Path

from harness.emulator.launcher import MotoServer
from harness.log import configure as configure_logging
from harness.log import logger
from harness.paths import STACK_STATE_DIR
from harness.proc import kill_group
from harness.runid import new_run_id
from harness.stack.deployment import deploy
from harness.stack.stack import Stack
from harness.stack.targets import emulator_target
from harness.sweeper.sweep import Inventory
from harness.toolchain.locate import get_toolchain

STATE_FILE = STACK_STATE_DIR / "up.env"
EMULATOR_STOP_GRACE = 90.0  # the data plane halts every instance on SIGTERM


log = logger("up")


def read_state() -> dict[str, str]:
    if not STATE_FILE.exists():
        return {}
    pairs = (line.split("=", 1) for line in STATE_FILE.read_text().splitlines() if "=" in line)
    return {k.strip(): v.strip() for k, v in pairs}


def write_state(values: dict[str, str]) -> None:
    STACK_STATE_DIR.mkdir(parents=True, exist_ok=True)
    STATE_FILE.write_text("".join(f"{k}={v}\n" for k, v in values.items()))


def up() -> int:
    if read_state().get("RUN_ID"):
        log.info(f"already up (see {STATE_FILE}); run `make down` first")
        return 1
    t0 = time.monotonic()
    get_toolchain()  # fail early with a clear message
    STACK_STATE_DIR.mkdir(parents=True, exist_ok=True)
    moto = MotoServer(instances=True, log_path=STACK_STATE_DIR / "moto.log").start()
    run_id = new_run_id("u")
    state = {"RUN_ID": run_id, "EMULATOR_URL": moto.url, "MOTO_PID": str(moto.pid)}
    workdir = STACK_STATE_DIR / "work"
    state["WORKDIR"] = str(workdir)
    write_state(state)
    try:
        with deploy("emulator", moto=moto, run_id=run_id, detach=True, workdir=workdir) as dep:
            db = dep.db_server
            state.update(DB_PORT=str(db.port), DB_PID=str(db.pid), DB_DIR=str(db.workdir))
            state.update(DB_CA_FILE=str(db.ca.cert_path))  # TLS only, as RDS
            write_state(state)
            out = dep.outputs
            state.update(
                APP_URL=dep.app_url,
                INSTANCE_ID=out["instance_id"],
                BUCKET=out["bucket_name"],
                DB_NAME=out["db_name"],
                DB_USER=out["db_username"],
                DB_PASSWORD_PARAMETER=out["db_password_parameter"],
            )
            write_state(state)
    except BaseException:
        log.info("up failed; tearing down what was made")
        down()
        raise
    print(f"app_url={state['APP_URL']}")
    print(f"emulator_url={moto.url}")
    print(f"instance={state['INSTANCE_ID']} (its app was deployed by its own user_data)")
    print(f"state file: {STATE_FILE} (took {time.monotonic() - t0:.0f}s; `make down` to stop)")
    return 0


def down() -> int:
    state = read_state()
    if not state:
        log.info("nothing is up")
        return 0
    rc = 0
    workdir = Path(state.get("WORKDIR", ""))
    if state.get("EMULATOR_URL") and (workdir / "environments").exists():
        stack = Stack(
            emulator_target(state["EMULATOR_URL"], session_name=f"terraform-{state['RUN_ID']}"),
            "dev",
            run_id=state["RUN_ID"],
            workdir=workdir,
        )
        stack.applied = stack.apply_finished = True
        try:
            stack.destroy()
            left = Inventory(endpoint_url=state["EMULATOR_URL"]).by_run_id(state["RUN_ID"])
            log.info(f"destroyed run {state['RUN_ID']}; left behind: {len(left)}")
        except KeyboardInterrupt:  # the CLI got one SIGINT and wrote its state (harness.proc)
            log.info("destroy interrupted; stopping the emulator, and everything in it, anyway")
            rc = 130
        except Exception as exc:  # noqa: BLE001 - report and keep stopping the rest
            log.info(f"destroy failed: {exc}")
            rc = 1
    # what up started must not outlive down, however often it is interrupted: the rest is
    # bounded (DB 30 s, emulator and its instances EMULATOR_STOP_GRACE) and shielded
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        kill_group(state.get("DB_PID"), grace=30)
        if state.get("DB_DIR"):
            shutil.rmtree(state["DB_DIR"], ignore_errors=True)
        kill_group(state.get("MOTO_PID"), grace=EMULATOR_STOP_GRACE)
        if state.get("MOTO_PID"):
            from harness.instances.sweep import sweep

            sweep(owner_pid=int(state["MOTO_PID"]))  # what a killed data plane left
        STATE_FILE.unlink(missing_ok=True)  # nothing of it runs any more: `make up` may run
    finally:
        signal.signal(signal.SIGINT, previous)
    if rc == 0:
        shutil.rmtree(STACK_STATE_DIR, ignore_errors=True)
    else:
        log.info(
            f"kept for a look: the logs and the working copy with its state, {STACK_STATE_DIR}"
        )
    log.info("down")
    return rc


def main(argv: list[str] | None = None) -> int:
    configure_logging()
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("action", choices=["up", "down", "status"])
    args = parser.parse_args(argv)
    if args.action == "up":
        return up()
    if args.action == "down":
        return down()
    for key, value in read_state().items():
        print(f"{key}={value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
