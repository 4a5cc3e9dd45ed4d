"""The emulator's launcher: its server process (:mod:`harness.emulator.server`) started and
stopped from the tests and ``make``, as a context manager that always stops what it started
and can be stopped and started again on the same port.

    with MotoServer() as moto:
        moto.client("s3")

``EMULATOR_URL`` points the suite at a moto server that is already running instead of
starting one (see :func:`moto_from_env`). The RDS stand-in is :mod:`harness.stack.standins`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import requests

from harness.emulator.clients import DEFAULT_REGION, FAKE_CREDENTIALS, client, client_kwargs
from harness.net import free_port
from harness.paths import REPO_ROOT
from harness.proc import ChildService
from harness.wait import wait_for

MOTO_HEALTH_PATH = "/moto-api/config"  # see MotoServer.healthy


# --------------------------------------------------------------------------- moto


@dataclass
class MotoServer(ChildService):
    """A moto server on a loopback port, started as its own process.

    ``url`` given: attach to an emulator that is already running (never stopped here).
    """

    host: str = "127.0.0.1"
    port: int = 0
    url: str = ""
    region: str = DEFAULT_REGION
    log_path: Path | None = None
    _proc: subprocess.Popen | None = field(default=None, repr=False)
    external: bool = False
    # EC2 instances boot as containers in their VPCs (harness/instances/dataplane.py)
    instances: bool = False
    label = "moto server"

    def __post_init__(self) -> None:
        if self.url:
            self.external = True
            self.url = self.url.rstrip("/")
        elif not self.port:
            self.port = free_port(self.host)

    # lifecycle -------------------------------------------------------------
    def start(self) -> MotoServer:
        if self.external:
            wait_for(self.healthy, timeout=10, what=f"moto server at {self.url}")
            return self
        self.url = f"http://{self.host}:{self.port}"
        if self.log_path is None:
            self.log_path = Path(tempfile.mkstemp(prefix="moto-", suffix=".log")[1])
        log = open(self.log_path, "ab")  # noqa: SIM115 - handed to the child process
        env = {**os.environ, **FAKE_CREDENTIALS, "AWS_DEFAULT_REGION": self.region}
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(REPO_ROOT), os.environ.get("PYTHONPATH", "")) if p
        )
        cmd = [
            sys.executable,
            "-m",
            "harness.emulator.server",
            "-H",
            self.host,
            "-p",
            str(self.port),
        ]
        if self.instances:
            from harness.instances.dataplane import server_args

            cmd += server_args()  # builds the image first when needed
        self._proc = subprocess.Popen(
            cmd,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
        log.close()
        wait_for(
            self.healthy,
            timeout=30,
            what=f"moto server on port {self.port}",
            alive=self.died,
        )
        return self

    def stop(self) -> None:
        """Stop the server (never one attached to); its data plane removes its instances
        (it is given a minute), and a sweep what a killed plane could not."""
        if self.external:
            return
        pid = self.pid  # its process group holds the data plane's containers
        self.stop_timeout = 60.0 if self.instances else 10.0
        super().stop()
        if self.instances and pid:
            from harness.instances.sweep import sweep

            sweep(owner_pid=pid)

    def healthy(self) -> bool:
        """Is a moto server answering at ``url``? Constant time, whatever it holds.

        ``GET /moto-api/config`` is moto's own API: it reads two settings and touches no
        service backend, so it answers in milliseconds on an emulator holding whole stacks
        (``/moto-api/data.json`` serialises every resource: 9.7 s and a 500 on one). Its JSON
        (a ``batch`` and a ``lambda`` section) tells moto apart from any other server on the
        port, which an AWS call such as STS GetCallerIdentity would not (any emulator answers
        that), and it passes through the same dispatcher and middleware as the AWS calls.
        """
        try:
            answer = requests.get(f"{self.url}{MOTO_HEALTH_PATH}", timeout=2)
            return answer.ok and {"batch", "lambda"} <= set(answer.json())
        except (requests.RequestException, ValueError, TypeError):
            return False

    def reset(self) -> None:
        """Forget every resource (moto's own reset endpoint)."""
        requests.post(f"{self.url}/moto-api/reset", timeout=10).raise_for_status()

    # clients ---------------------------------------------------------------
    def client_kwargs(self) -> dict:
        return client_kwargs(self.url, self.region)

    def client(self, service: str):
        return client(service, self.url, region=self.region)


def moto_from_env(**kwargs) -> MotoServer:
    """A MotoServer attached to ``EMULATOR_URL`` when set, else a new one."""
    url = os.environ.get("EMULATOR_URL", "")
    return MotoServer(url=url, **kwargs)
