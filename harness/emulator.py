"""Local stand-ins for the cloud: a moto server (AWS APIs) and a throwaway MariaDB server.

Both are context managers that always stop what they started, and both can be
stopped and started again on the same port (the app tests use that to simulate
an outage and the recovery after it).

    with MotoServer() as moto, MariaDB() as db:
        boto3.client("s3", **moto.client_kwargs())
        pymysql.connect(**db.connect_kwargs())

``EMULATOR_URL`` points the suite at a moto server that is already running
instead of starting one (see :func:`moto_from_env`).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests
from filelock import FileLock

from harness.net import free_port, port_open, wait_until
from harness.paths import REPO_ROOT, cache_root
from harness.proc import stop_process, tail

# The emulator's bootstrap admin (harness/emulator_iam/identities.py): the only key that
# exists in a fresh emulator. Terraform gets the deployer's keys, instances their role's.
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
}
DEFAULT_REGION = "us-east-1"
MOTO_HEALTH_PATH = "/moto-api/config"  # see MotoServer.healthy


# --------------------------------------------------------------------------- moto


@dataclass
class MotoServer:
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
    # EC2 instances boot as containers (harness/dataplane.py), names resolved in them
    instances: bool = False
    extra_hosts: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.url:
            self.external = True
            self.url = self.url.rstrip("/")
        elif not self.port:
            self.port = free_port(self.host)

    # lifecycle -------------------------------------------------------------
    def start(self) -> MotoServer:
        if self.external:
            wait_until(self.healthy, timeout=10, what=f"moto server at {self.url}")
            return self
        self.url = f"http://{self.host}:{self.port}"
        if self.log_path is None:
            self.log_path = Path(tempfile.mkstemp(prefix="moto-", suffix=".log")[1])
        log = open(self.log_path, "ab")  # noqa: SIM115 - handed to the child process
        env = {**os.environ, **FAKE_CREDENTIALS, "AWS_DEFAULT_REGION": self.region}
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(REPO_ROOT), os.environ.get("PYTHONPATH", "")) if p
        )
        cmd = [sys.executable, "-m", "harness.moto_server", "-H", self.host, "-p", str(self.port)]
        if self.instances:
            from harness.dataplane import server_args

            cmd += server_args(self.extra_hosts)  # builds the image first when needed
        self._proc = subprocess.Popen(
            cmd,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
        log.close()
        wait_until(
            self.healthy,
            timeout=30,
            what=f"moto server on port {self.port}",
            alive=self._died,
        )
        return self

    def stop(self) -> None:
        if not self.external:
            pid = self._proc.pid if self._proc is not None else None
            stop_process(self._proc, timeout=60 if self.instances else 10)
            self._proc = None
            if self.instances and pid:
                from harness.instance_sweep import sweep

                sweep(owner_pid=pid)  # what a killed data plane could not remove

    def _died(self) -> str | None:
        if self._proc is not None and self._proc.poll() is not None:
            return f"exited with {self._proc.returncode}:\n{tail(self.log_path)}"
        return None

    @property
    def pid(self) -> int | None:
        """The server's process (its group holds the data plane's containers)."""
        return self._proc.pid if self._proc else None

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
        return {
            "endpoint_url": self.url,
            "region_name": self.region,
            "aws_access_key_id": FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            "aws_secret_access_key": FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        }

    def client(self, service: str):
        import boto3

        return boto3.client(service, **self.client_kwargs())

    def __enter__(self) -> MotoServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def moto_from_env(**kwargs) -> MotoServer:
    """A MotoServer attached to ``EMULATOR_URL`` when set, else a new one."""
    url = os.environ.get("EMULATOR_URL", "")
    return MotoServer(url=url, **kwargs)


# ------------------------------------------------------------------------ MariaDB

_MARIADB_CANDIDATES = {
    "server": ["mariadbd", "mysqld"],
    "install": ["mariadb-install-db", "mysql_install_db"],
}


def _find_binary(kind: str) -> str:
    extra = ["/usr/sbin", "/usr/bin", "/usr/local/bin", "/usr/local/sbin"]
    path = os.pathsep.join([os.environ.get("PATH", ""), *extra])
    for name in _MARIADB_CANDIDATES[kind]:
        found = shutil.which(name, path=path)
        if found:
            return found
    raise RuntimeError(
        f"MariaDB {kind} binary not found ({', '.join(_MARIADB_CANDIDATES[kind])}). "
        "Run `make setup` (installs Debian's mariadb-server)."
    )


def mariadb_version() -> str:
    out = subprocess.run(
        [_find_binary("server"), "--version"], capture_output=True, text=True, check=True
    ).stdout
    return out.split()[2] if len(out.split()) > 2 else out.strip()


def _is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def _template_datadir() -> Path:
    """An initialised, never-started data directory, made once per MariaDB version."""
    version = mariadb_version().replace("/", "_")
    base = cache_root() / "mariadb"
    base.mkdir(parents=True, exist_ok=True)
    template = base / f"datadir-{version}"
    with FileLock(str(base / f"datadir-{version}.lock")):
        if (template / ".complete").exists():
            return template
        shutil.rmtree(template, ignore_errors=True)
        cmd = [
            _find_binary("install"),
            "--no-defaults",
            f"--datadir={template}",
            "--auth-root-authentication-method=normal",
            "--skip-test-db",
        ]
        if _is_root():
            cmd.append("--user=root")
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"mariadb-install-db failed:\n{proc.stdout}\n{proc.stderr}")
        (template / ".complete").write_text("ok\n")
    return template


@dataclass
class MariaDB:
    """A throwaway MariaDB server on a free loopback port with one database and user."""

    database: str = "filestore"
    user: str = "filestore"
    password: str = field(default_factory=lambda: secrets.token_urlsafe(18))
    host: str = "127.0.0.1"
    port: int = 0
    workdir: Path | None = None
    _proc: subprocess.Popen | None = field(default=None, repr=False)
    _own_workdir: bool = False
    _provisioned: bool = False

    def __post_init__(self) -> None:
        if not self.port:
            self.port = free_port(self.host)

    @property
    def datadir(self) -> Path:
        assert self.workdir is not None
        return self.workdir / "data"

    @property
    def socket(self) -> Path:
        assert self.workdir is not None
        return self.workdir / "mysqld.sock"

    @property
    def log_path(self) -> Path:
        assert self.workdir is not None
        return self.workdir / "mariadbd.log"

    def start(self) -> MariaDB:
        if self.workdir is None:
            self.workdir = Path(tempfile.mkdtemp(prefix="mariadb-"))
            self._own_workdir = True
        if not self.datadir.exists():
            shutil.copytree(_template_datadir(), self.datadir, symlinks=True)
        cmd = [
            _find_binary("server"),
            "--no-defaults",
            f"--datadir={self.datadir}",
            f"--socket={self.socket}",
            f"--port={self.port}",
            f"--bind-address={self.host}",
            f"--pid-file={self.workdir / 'mariadbd.pid'}",
            f"--log-error={self.log_path}",
            "--skip-name-resolve",
            "--skip-log-bin",
            "--innodb-buffer-pool-size=32M",
            "--innodb-log-file-size=8M",
            "--max-connections=200",
            "--character-set-server=utf8mb4",
            "--collation-server=utf8mb4_unicode_ci",
        ]
        if _is_root():
            cmd.append("--user=root")
        self._proc = subprocess.Popen(
            cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        wait_until(
            lambda: port_open(self.host, self.port) and self.socket.exists(),
            timeout=60,
            interval=0.05,
            what=f"MariaDB on port {self.port}",
            alive=self._died,
        )
        if not self._provisioned:
            self._provision()
        return self

    def _died(self) -> str | None:
        if self._proc is not None and self._proc.poll() is not None:
            return f"exited with {self._proc.returncode}:\n{tail(self.log_path)}"
        return None

    def _provision(self) -> None:
        self.provision()

    def provision(
        self, *, user: str | None = None, database: str | None = None, password: str | None = None
    ) -> None:
        """Create (or update) the database and the user with all rights on it: idempotent,
        so a stand-in can take the names and password an apply chose, after it started."""
        import pymysql

        self.user, self.database = user or self.user, database or self.database
        self.password = password or self.password
        conn = pymysql.connect(unix_socket=str(self.socket), user="root", password="")
        try:
            with conn.cursor() as cur:
                cur.execute(
                    f"CREATE DATABASE IF NOT EXISTS `{self.database}` "
                    "CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
                )
                for verb in ("CREATE USER IF NOT EXISTS", "ALTER USER"):
                    cur.execute(f"{verb} '{self.user}'@'%%' IDENTIFIED BY %s", (self.password,))
                cur.execute(f"GRANT ALL PRIVILEGES ON `{self.database}`.* TO '{self.user}'@'%'")
            conn.commit()
        finally:
            conn.close()
        self._provisioned = True

    def stop(self) -> None:
        stop_process(self._proc, timeout=30)
        self._proc = None

    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def destroy(self) -> None:
        self.stop()
        if self._own_workdir and self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def connect_kwargs(self, **extra) -> dict:
        return {
            "host": self.host,
            "port": self.port,
            "user": self.user,
            "password": self.password,
            "database": self.database,
            **extra,
        }

    def connect(self, **extra):
        import pymysql

        return pymysql.connect(**self.connect_kwargs(**extra))

    def __enter__(self) -> MariaDB:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.destroy()


def timed(label: str):
    """Context manager printing ``label`` and the seconds it took (progress lines)."""

    @contextlib.contextmanager
    def _cm():
        t0 = time.monotonic()
        print(f"[harness] {label} ...", flush=True)
        try:
            yield
        finally:
            print(f"[harness] {label} done in {time.monotonic() - t0:.1f}s", flush=True)

    return _cm()
