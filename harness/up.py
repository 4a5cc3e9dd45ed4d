"""`make up` / `make down`: the whole stack and the app on the emulator, for a person.

``up`` starts a moto server and a MariaDB (detached), applies ``environments/dev``,
starts the app with gunicorn, writes ``.stack/up.env`` (URLs, ports, pids, working
copy) and returns, leaving everything running. ``down`` destroys the stack and stops
everything that ``up`` started.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import sys
import time
from pathlib import Path

from harness.app_runner import AppServer, app_environment, stand_in_database
from harness.emulator import MotoServer
from harness.paths import STACK_STATE_DIR
from harness.stack import Stack, StackError
from harness.sweeper import Inventory, new_run_id
from harness.toolchain import get_toolchain

STATE_FILE = STACK_STATE_DIR / "up.env"


def read_state() -> dict[str, str]:
    if not STATE_FILE.exists():
        return {}
    pairs = (line.split("=", 1) for line in STATE_FILE.read_text().splitlines() if "=" in line)
    return {k.strip(): v.strip() for k, v in pairs}


def write_state(values: dict[str, str]) -> None:
    STACK_STATE_DIR.mkdir(parents=True, exist_ok=True)
    STATE_FILE.write_text("".join(f"{k}={v}\n" for k, v in values.items()))


def _kill(pid: str | None) -> None:
    if not pid:
        return
    with contextlib.suppress(ProcessLookupError, ValueError, PermissionError):
        os.killpg(int(pid), signal.SIGTERM)
        for _ in range(50):
            os.killpg(int(pid), 0)
            time.sleep(0.1)
        os.killpg(int(pid), signal.SIGKILL)


def up() -> int:
    if read_state().get("RUN_ID"):
        print(f"already up (see {STATE_FILE}); run `make down` first")
        return 1
    t0 = time.monotonic()
    get_toolchain()  # fail early with a clear message
    moto = MotoServer(log_path=STACK_STATE_DIR / "moto.log")
    STACK_STATE_DIR.mkdir(parents=True, exist_ok=True)
    moto.start()
    run_id = new_run_id("u")
    workdir = STACK_STATE_DIR / "work"
    shutil.rmtree(workdir, ignore_errors=True)
    stack = Stack("dev", "emulator", endpoint_url=moto.url, run_id=run_id, workdir=workdir)
    state = {"RUN_ID": run_id, "EMULATOR_URL": moto.url, "MOTO_PID": str(moto._proc.pid)}
    write_state(state)
    try:
        stack.prepare()
        stack.init()
        stack.apply()
        outputs = stack.outputs()
        db = stand_in_database(outputs, moto)
        db.workdir = STACK_STATE_DIR / "mariadb"
        shutil.rmtree(db.workdir, ignore_errors=True)
        db.workdir.mkdir(parents=True)
        db.start()
        state.update({"DB_PORT": str(db.port), "DB_PID": str(db._proc.pid)})
        write_state(state)
        app = AppServer(
            app_environment(outputs, moto=moto, db_host=db.host, db_port=db.port),
            port=int(os.environ.get("APP_PORT", "0") or 0),
            log_path=STACK_STATE_DIR / "app.log",
        )
        app.init_db()
        app.start()
    except (StackError, RuntimeError, KeyboardInterrupt):
        print("up failed; tearing down what was made")
        down()
        raise
    state.update(
        {
            "APP_URL": app.url,
            "APP_PID": str(app.pid),
            "WORKDIR": str(stack.tfdir),
            "BUCKET": outputs["bucket_name"],
            "DB_NAME": outputs["db_name"],
            "DB_USER": outputs["db_username"],
            "DB_PASSWORD_PARAMETER": outputs["db_password_parameter"],
        }
    )
    write_state(state)
    print(f"app_url={app.url}")
    print(f"emulator_url={moto.url}")
    print(f"state file: {STATE_FILE} (took {time.monotonic() - t0:.0f}s; `make down` to stop)")
    return 0


def down() -> int:
    state = read_state()
    if not state:
        print("nothing is up")
        return 0
    _kill(state.get("APP_PID"))
    rc = 0
    workdir = Path(state["WORKDIR"]).parent.parent if state.get("WORKDIR") else None
    if state.get("EMULATOR_URL") and workdir and workdir.exists():
        stack = Stack(
            "dev",
            "emulator",
            endpoint_url=state["EMULATOR_URL"],
            run_id=state["RUN_ID"],
            workdir=workdir,
        )
        stack.applied = True
        try:
            stack.destroy()
            left = Inventory(endpoint_url=state["EMULATOR_URL"]).by_run_id(state["RUN_ID"])
            print(f"destroyed run {state['RUN_ID']}; left behind: {len(left)}")
        except Exception as exc:  # noqa: BLE001 - report and keep stopping the rest
            print(f"destroy failed: {exc}")
            rc = 1
    _kill(state.get("DB_PID"))
    _kill(state.get("MOTO_PID"))
    if rc == 0:
        shutil.rmtree(STACK_STATE_DIR, ignore_errors=True)
    print("down")
    return rc


def main(argv: list[str] | None = None) -> int:
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
