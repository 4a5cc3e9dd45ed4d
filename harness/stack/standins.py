"""The stand-ins for RDS on the emulator: a throwaway MariaDB, over TLS as RDS is.

moto's RDS is a control plane only. :class:`MariaDB` is a real database server on a free
loopback port with one database and user; :class:`TlsMariaDB` adds what RDS does with TLS:
a server certificate for the RDS endpoint name(s), signed by the emulator's CA
(:mod:`harness.emulator.ca`) and reloaded with ``FLUSH SSL`` while running, and
``require_secure_transport`` as the parameter group says. The root login over the Unix
socket that provisions it stays allowed (a socket is a secure transport to MariaDB), as
RDS's own management does not go through the VPC. :class:`StandInDatabase` provisions it as
an apply goes, from what the emulator's API holds.

MariaDB 10.11 (Debian 12) has no ``caching_sha2_password`` (MySQL 8.4's default): its
users log in with ``mysql_native_password``. The client side of that difference is
covered by the app shipping ``cryptography`` (PyMySQL's full caching_sha2 login without
TLS needs it; over TLS it sends the password in the encrypted channel).

    with TlsMariaDB() as db:
        pymysql.connect(**db.connect_kwargs())
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

from filelock import FileLock

from harness.emulator.ca import CA, emulator_ca, issue_server_cert
from harness.host import find_program
from harness.net import free_port, port_open
from harness.paths import cache_root
from harness.proc import ChildService
from harness.wait import wait_for


class StandInError(RuntimeError):
    pass


_MARIADB_CANDIDATES = {
    "server": ["mariadbd", "mysqld"],
    "install": ["mariadb-install-db", "mysql_install_db"],
}


def _find_binary(kind: str) -> str:
    if found := find_program(*_MARIADB_CANDIDATES[kind]):
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
class MariaDB(ChildService):
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
    label = "MariaDB"
    stop_timeout = 30.0

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
        cmd += self.server_args()
        if _is_root():
            cmd.append("--user=root")
        self._proc = subprocess.Popen(
            cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        wait_for(
            lambda: port_open(self.host, self.port) and self.socket.exists(),
            timeout=60,
            interval=0.05,
            what=f"MariaDB on port {self.port}",
            alive=self.died,
        )
        if not self._provisioned:
            self._provision()
        return self

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

    def destroy(self) -> None:
        self.stop()
        if self._own_workdir and self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def server_args(self) -> list[str]:
        """More server options (TLS: harness/stack/standins.py)."""
        return []

    def client_tls(self) -> dict:
        return {}

    def connect_kwargs(self, **extra) -> dict:
        return {
            "host": self.host,
            "port": self.port,
            "user": self.user,
            "password": self.password,
            "database": self.database,
            **self.client_tls(),
            **extra,
        }

    def connect(self, **extra):
        import pymysql

        return pymysql.connect(**self.connect_kwargs(**extra))

    def __exit__(self, *exc) -> None:
        self.destroy()


@dataclass
class TlsMariaDB(MariaDB):
    """The MariaDB stand-in with TLS: a certificate from ``ca`` for ``names`` and, when
    ``secure_transport``, every TCP login without TLS refused (RDS, MySQL, answers error
    3159 "Connections using insecure transport are prohibited"; MariaDB 10.11 answers
    1045 "Access denied")."""

    names: tuple[str, ...] = ("localhost",)
    secure_transport: bool = True
    ca: CA = field(default_factory=emulator_ca)

    @property
    def tls_dir(self) -> Path:
        assert self.workdir is not None
        return self.workdir / "tls"

    def _write_cert(self) -> None:
        cert, key = issue_server_cert(self.ca, list(self.names))
        self.tls_dir.mkdir(parents=True, exist_ok=True)
        (self.tls_dir / "server.key").touch(mode=0o600)
        (self.tls_dir / "server.key").write_bytes(key)
        (self.tls_dir / "server.pem").write_bytes(cert)

    def server_args(self) -> list[str]:
        if not (self.tls_dir / "server.pem").exists():
            self._write_cert()
        return [
            f"--ssl-ca={self.ca.cert_path}",
            f"--ssl-cert={self.tls_dir / 'server.pem'}",
            f"--ssl-key={self.tls_dir / 'server.key'}",
            f"--require-secure-transport={'ON' if self.secure_transport else 'OFF'}",
        ]

    def client_tls(self) -> dict:
        """The harness's own logins verify the CA; it reaches the stand-in by address, not
        by the endpoint name (that name resolves inside the instances only)."""
        return {"ssl_ca": str(self.ca.cert_path), "ssl_verify_cert": True}

    def serve_names(self, names: list[str]) -> None:
        """A new certificate for ``names`` (e.g. the RDS endpoint the API reports), live."""
        self.names = tuple(names)
        self._write_cert()
        if self.running():
            self._root_sql("FLUSH SSL")

    def require_tls(self, on: bool) -> None:
        """``require_secure_transport`` as the DB parameter group says, live and at restart."""
        self.secure_transport = on
        if self.running():
            self._root_sql(f"SET GLOBAL require_secure_transport = {'ON' if on else 'OFF'}")

    def _root_sql(self, sql: str) -> None:
        import pymysql

        conn = pymysql.connect(unix_socket=str(self.socket), user="root", password="")
        try:
            with conn.cursor() as cur:
                cur.execute(sql)
        finally:
            conn.close()


class StandInDatabase:
    """Provisions the MariaDB playing RDS as the apply goes: the master user and database
    name of the run's RDS instance (as the emulator's API holds them) and the password
    Terraform stored in SSM, before the instance's bootstrap asks for them."""

    def __init__(self, db: MariaDB, moto, run_id: str, parameter: str) -> None:
        self.db, self.moto, self.run_id, self.parameter = db, moto, run_id, parameter
        self._done = threading.Event()
        self.error = ""
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def start(self) -> StandInDatabase:
        self._thread.start()
        return self

    def _rds_instance(self) -> dict | None:
        for db in self.moto.client("rds").describe_db_instances()["DBInstances"]:
            if {"Key": "run_id", "Value": self.run_id} in db.get("TagList", []):
                return db
        return None

    def _watch(self) -> None:
        while not self._done.wait(1.0):
            try:
                rds = self._rds_instance()
                password = self.moto.client("ssm").get_parameter(
                    Name=self.parameter, WithDecryption=True
                )["Parameter"]["Value"]
            except Exception:  # noqa: BLE001 - not there yet, or the emulator is busy
                continue
            if rds is None:
                continue
            try:
                self.db.provision(
                    user=rds["MasterUsername"], database=rds.get("DBName"), password=password
                )
                if isinstance(self.db, TlsMariaDB):  # as RDS: a certificate for its endpoint
                    self.db.serve_names([rds["Endpoint"]["Address"]])
                    self.db.require_tls(secure_transport(self.moto.client("rds"), rds))
            except Exception as exc:  # noqa: BLE001 - said by wait(); tried again
                self.error = f"{type(exc).__name__}: {exc}"
                continue
            self._done.set()

    def wait(self, timeout: float = 30.0) -> None:
        """After apply both exist: the provisioning is done within seconds."""
        if not self._done.wait(timeout):
            raise StandInError(
                f"no RDS instance tagged run_id={self.run_id} or no SSM parameter "
                f"{self.parameter} within {timeout:.0f}s after apply"
                + (f"; the last provisioning failed: {self.error}" if self.error else "")
            )

    def stop(self) -> None:
        self._done.set()


def secure_transport(rds_client, instance: dict) -> bool:
    """Is ``require_secure_transport`` on in the instance's DB parameter group? (the
    engine's default group: off, as on RDS up to MySQL 8.4)"""
    for group in instance.get("DBParameterGroups", []):
        name = group["DBParameterGroupName"]
        pages = rds_client.get_paginator("describe_db_parameters").paginate(
            DBParameterGroupName=name
        )
        for page in pages:
            for param in page["Parameters"]:
                if param["ParameterName"] == "require_secure_transport":
                    return str(param.get("ParameterValue", "")).upper() in ("1", "ON")
    return False
