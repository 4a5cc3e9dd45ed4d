"""Run the Flask app locally with gunicorn (the app's own tests), and wait until an app
is healthy (any app: the local one, or an instance's on the emulator or on AWS).

Every lifecycle goes through the instance's app (``harness/stack/deployment.py``); this local
runner serves the app's unit tests only.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import requests

from harness.host import tail
from harness.log import logger
from harness.net import free_port
from harness.paths import REPO_ROOT
from harness.proc import ChildService
from harness.wait import wait_for


def wait_healthy(
    url: str,
    *,
    timeout: float = 600.0,
    interval: float = 5.0,
    max_interval: float = 30.0,
    request_timeout: float = 5.0,
    log=None,
) -> dict:
    """Poll ``{url}/healthz`` until it answers 200, with bounded retries and backoff.

    Returns the health document. Raises TimeoutError with the last answer seen.
    Used on AWS (the instance boots and runs user_data first) and locally.
    """
    log = log or logger("app").info
    last = "no answer yet"
    attempt = 0

    def healthy() -> dict | None:
        nonlocal last, attempt
        attempt += 1
        try:
            resp = requests.get(f"{url.rstrip('/')}/healthz", timeout=request_timeout)
            if resp.status_code == 200:
                return resp.json() or {"status": "ok"}
            last = f"HTTP {resp.status_code}: {resp.text[:200]}"
        except requests.RequestException as exc:
            last = f"{type(exc).__name__}: {exc}"
        if attempt == 1 or attempt % 5 == 0:
            log(f"waiting for {url}/healthz: {last}")
        return None

    try:
        return wait_for(
            healthy, timeout=timeout, interval=interval, backoff=1.5, max_interval=max_interval
        )
    except TimeoutError:
        raise TimeoutError(
            f"{url} not healthy after {timeout:.0f}s ({attempt} tries): {last}"
        ) from None


@dataclass
class AppServer(ChildService):
    """gunicorn serving ``app:create_app()`` on a loopback port."""

    env: dict[str, str]
    host: str = "127.0.0.1"
    port: int = 0
    workers: int = 2
    log_path: Path | None = None
    _proc: subprocess.Popen | None = field(default=None, repr=False)
    label = "gunicorn"

    def __post_init__(self) -> None:
        self.port = self.port or free_port(self.host)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def _environ(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("FILESTORE_")}
        env.update(self.env)
        env["PYTHONPATH"] = str(REPO_ROOT)
        return env

    def init_db(self) -> None:
        """`flask --app app init-db`, as user_data runs it."""
        proc = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "app", "init-db"],
            cwd=REPO_ROOT,
            env=self._environ(),
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"flask init-db failed:\n{proc.stdout}\n{proc.stderr}")

    def start(self, *, detach: bool = False) -> AppServer:
        if self.log_path is None:
            self.log_path = Path(tempfile.mkstemp(prefix="app-", suffix=".log")[1])
        log = open(self.log_path, "ab")  # noqa: SIM115 - handed to the child
        cmd = [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            f"{self.host}:{self.port}",
            "--workers",
            str(self.workers),
            "--timeout",
            "300",
        ]
        conf = REPO_ROOT / "app" / "gunicorn.conf.py"
        if conf.exists():
            cmd[3:3] = ["--config", str(conf)]
        cmd.append("app:create_app()")
        self._proc = subprocess.Popen(
            cmd,
            cwd=REPO_ROOT,
            env=self._environ(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        try:
            wait_healthy(self.url, timeout=60, interval=0.2, max_interval=1.0, log=lambda _m: None)
        except TimeoutError as exc:
            raise RuntimeError(f"{exc}\n--- app log ---\n{tail(self.log_path, 40)}") from exc
        return self

    def __exit__(self, *exc) -> None:
        with contextlib.suppress(Exception):
            self.stop()
