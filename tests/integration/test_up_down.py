"""`make up` leaves a usable stack running, its app served by the booted instance, and
returns; `make down` removes it all: stack, emulator, containers, mounts, processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
import requests

from harness.emulator.launcher import MotoServer
from harness.instances.sweep import list_instances, of_run
from harness.paths import REPO_ROOT
from harness.sweeper.sweep import Inventory

pytestmark = [pytest.mark.integration, pytest.mark.emulator_only]

# names that once made `make down` loop forever (moto's ListObjectVersions encoding); a
# newline in a multipart filename is sent as "%0A" by requests, and stored as sent
NAMES = ["a\nb.txt", "100% done.pdf", "a+b c.txt", "naïve façade.txt"]


def _run(action: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "harness.stack.up", action],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )


def _state(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)


def test_up_then_down(tmp_path):
    env = {**os.environ, "FILESTORE_STACK_DIR": str(tmp_path / "stack")}
    env.pop("EMULATOR_URL", None)
    up = _run("up", env)
    state = _state(tmp_path / "stack" / "up.env") if (tmp_path / "stack").exists() else {}
    try:
        assert up.returncode == 0, up.stdout[-5000:] + up.stderr[-5000:]
        lines = dict(line.split("=", 1) for line in up.stdout.splitlines() if "=" in line)
        app_url = lines["app_url"]
        assert state["APP_URL"] == app_url
        instance = next(i for i in list_instances() if i.id == state["INSTANCE_ID"])
        assert instance.running(), "the app must be the booted instance's"
        # up returned, and the app it left behind answers and stores files
        assert requests.get(f"{app_url}/healthz", timeout=10).json()["status"] == "ok"
        for name in NAMES:
            made = requests.post(
                f"{app_url}/api/files", files={"file": (name, name.encode())}, timeout=30
            )
            assert made.status_code == 201, made.text[:300]
            stored = made.json()["filename"]
            got = requests.get(f"{app_url}/api/files/{quote(stored)}", timeout=30)
            assert got.content == name.encode()
        assert _run("up", env).returncode == 1, "a second `up` must refuse, not start another"
        # the suite can attach to the emulator `make up` left, stack and all (EMULATOR_URL)
        t0 = time.monotonic()
        attached = MotoServer(url=state["EMULATOR_URL"]).start()
        assert time.monotonic() - t0 < 2, "the health probe must not serialise the emulator"
        kinds = {f.kind for f in Inventory(endpoint_url=attached.url).by_run_id(state["RUN_ID"])}
        assert {"ec2:instance", "rds:db-instance", "s3:bucket"} <= kinds, kinds
    finally:
        down = _run("down", env)
    assert down.returncode == 0, down.stdout[-5000:] + down.stderr[-5000:]
    assert "left behind: 0" in down.stdout + down.stderr  # a log line (stderr)
    assert not (tmp_path / "stack").exists()
    _assert_nothing_runs(state)


def _assert_nothing_runs(state: dict[str, str]) -> None:
    """No app, emulator, database, instance container, mount or process of `up` is left."""
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{state['APP_URL']}/healthz", timeout=5)
    with pytest.raises(requests.ConnectionError):  # the emulator was stopped too
        requests.get(f"{state['EMULATOR_URL']}/moto-api/config", timeout=5)
    for pid in (state["MOTO_PID"], state["DB_PID"]):
        assert not Path(f"/proc/{pid}").exists(), f"process {pid} of `up` still runs"
    assert not of_run(state["RUN_ID"])
    mounts = Path("/proc/mounts").read_text()
    assert state["INSTANCE_ID"] not in mounts, "an instance's disk is still mounted"
    procs = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    assert state["INSTANCE_ID"] not in procs, "an instance's process is still running"
    assert f":{state['EMULATOR_URL'].rsplit(':', 1)[1]}" not in procs


def _tofu_pids(workdir: str) -> set[int]:
    """The CLI processes working in ``workdir`` (their cwd is its environment)."""
    pids = set()
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and os.readlink(proc / "cwd").startswith(workdir):
                pids.add(int(proc.name))
        except OSError:
            continue
    return pids


def test_down_interrupted_twice_still_stops_everything(tmp_path):
    """Ctrl-C twice during `make down`'s destroy: the CLI gets one SIGINT and ends having
    written a readable state, and everything `up` started is stopped all the same."""
    env = {**os.environ, "FILESTORE_STACK_DIR": str(tmp_path / "stack")}
    env.pop("EMULATOR_URL", None)
    up = _run("up", env)
    state = _state(tmp_path / "stack" / "up.env") if (tmp_path / "stack").exists() else {}
    assert up.returncode == 0, up.stdout[-5000:] + up.stderr[-5000:]
    down = subprocess.Popen(
        [sys.executable, "-m", "harness.stack.up", "down"],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        lines = []
        for line in down.stdout:  # until destroy has started and deletes something
            lines.append(line)
            if ": destroy ..." in line:
                break
        deadline = time.monotonic() + 120
        while not _tofu_pids(state["WORKDIR"]):
            assert time.monotonic() < deadline, "".join(lines)
            time.sleep(0.2)
        cli = _tofu_pids(state["WORKDIR"])
        time.sleep(5)
        down.send_signal(signal.SIGINT)
        time.sleep(0.5)
        down.send_signal(signal.SIGINT)
        rest, _ = down.communicate(timeout=600)
    finally:
        if down.poll() is None:
            down.kill()
            _run("down", env)
    out = "".join(lines) + rest
    assert down.returncode == 130, out[-5000:]
    assert "a second interrupt is not passed on" in out, out[-5000:]
    assert not any(Path(f"/proc/{pid}").exists() for pid in cli), "the CLI was left running"
    tfstate = Path(state["WORKDIR"]) / "environments" / "dev" / "terraform.tfstate"
    assert json.loads(tfstate.read_text())["version"] == 4, "the CLI's state is unreadable"
    assert not (tmp_path / "stack" / "up.env").exists(), "`make up` would refuse to run"
    _assert_nothing_runs(state)
