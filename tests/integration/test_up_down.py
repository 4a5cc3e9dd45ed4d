"""`make up` leaves a usable stack and app running and returns; `make down` removes it all."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import requests

from harness.paths import REPO_ROOT

pytestmark = [pytest.mark.integration, pytest.mark.emulator_only]


def _run(action: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "harness.up", action],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


def test_up_then_down(tmp_path):
    env = {**os.environ, "FILESTORE_STACK_DIR": str(tmp_path / "stack")}
    up = _run("up", env)
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        lines = dict(line.split("=", 1) for line in up.stdout.splitlines() if "=" in line)
        state = dict(
            line.split("=", 1) for line in (tmp_path / "stack" / "up.env").read_text().splitlines()
        )
        app_url = lines["app_url"]
        assert state["APP_URL"] == app_url
        # up returned, and the app it left behind answers and stores files
        assert requests.get(f"{app_url}/healthz", timeout=10).json()["status"] == "ok"
        made = requests.post(
            f"{app_url}/api/files", files={"file": ("hello.txt", b"hello")}, timeout=30
        )
        assert made.status_code == 201
        assert requests.get(f"{app_url}/api/files/hello.txt", timeout=30).content == b"hello"
        assert _run("up", env).returncode == 1, "a second `up` must refuse, not start another"
    finally:
        down = _run("down", env)
    assert down.returncode == 0, down.stdout + down.stderr
    assert "left behind: 0" in down.stdout
    assert not (tmp_path / "stack").exists()
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{app_url}/healthz", timeout=5)
    emulator = state["EMULATOR_URL"]
    with pytest.raises(requests.ConnectionError):  # the emulator was stopped too
        requests.get(f"{emulator}/moto-api/data.json", timeout=5)
