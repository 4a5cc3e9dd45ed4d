"""SSH tunnels: how the AWS target reaches RDS in its private subnets (through the instance).

:class:`SSHTunnel` forwards a local loopback port to ``remote_host:remote_port`` as seen
from the SSH server. :class:`LocalSSHD` is a throwaway OpenSSH server on a loopback port,
used by the tests to exercise the tunnel code for real without a cloud.
"""

from __future__ import annotations

import getpass
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from harness.host import find_program
from harness.net import free_port, wait_port
from harness.proc import ChildService
from harness.wait import wait_for


def generate_keypair(directory: Path, name: str = "id_ed25519") -> tuple[Path, str]:
    """A new ed25519 key pair; returns (private key path, public key text)."""
    directory.mkdir(parents=True, exist_ok=True)
    key = directory / name
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "filestore-test", "-f", str(key)],
        check=True,
    )
    return key, (directory / f"{name}.pub").read_text().strip()


@dataclass
class SSHTunnel(ChildService):
    host: str
    user: str
    key_path: Path
    remote_host: str
    remote_port: int
    ssh_port: int = 22
    local_port: int = 0
    connect_timeout: float = 180.0
    _proc: subprocess.Popen | None = field(default=None, repr=False)
    log_path: Path | None = None
    label = "ssh"

    def __post_init__(self) -> None:
        self.local_port = self.local_port or free_port()

    def command(self) -> list[str]:
        known_hosts = Path(tempfile.gettempdir()) / f"filestore-known-hosts-{os.getpid()}"
        return [
            "ssh",
            "-N",
            "-i",
            str(self.key_path),
            "-p",
            str(self.ssh_port),
            "-o",
            "BatchMode=yes",
            "-o",
            "IdentitiesOnly=yes",
            "-o",
            "ExitOnForwardFailure=yes",
            "-o",
            "StrictHostKeyChecking=accept-new",
            "-o",
            f"UserKnownHostsFile={known_hosts}",
            "-o",
            "ConnectTimeout=10",
            "-o",
            "ServerAliveInterval=15",
            "-L",
            f"127.0.0.1:{self.local_port}:{self.remote_host}:{self.remote_port}",
            f"{self.user}@{self.host}",
        ]

    def start(self) -> SSHTunnel:
        """Start ssh; retried (bounded) while the server is not accepting yet."""
        attempt, last = 0, ""

        def connected() -> bool:
            nonlocal attempt, last
            attempt += 1
            self.log_path = Path(tempfile.mkstemp(prefix="ssh-tunnel-", suffix=".log")[1])
            with open(self.log_path, "ab") as log:
                self._proc = subprocess.Popen(
                    self.command(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
                )
            try:
                wait_port("127.0.0.1", self.local_port, timeout=20, alive=self.died)
                return True
            except (RuntimeError, TimeoutError) as exc:
                self.stop()
                last = str(exc)
                return False

        try:
            wait_for(
                connected, timeout=self.connect_timeout, interval=5, backoff=2, max_interval=20
            )
        except TimeoutError:
            raise RuntimeError(f"SSH tunnel failed after {attempt} tries: {last}") from None
        return self


@dataclass
class LocalSSHD(ChildService):
    """An OpenSSH server on a loopback port that accepts one generated key."""

    port: int = 0
    workdir: Path | None = None
    user: str = field(default_factory=getpass.getuser)
    _proc: subprocess.Popen | None = field(default=None, repr=False)
    log_path: Path | None = None
    label = "sshd"

    def __post_init__(self) -> None:
        self.port = self.port or free_port()

    def start(self) -> LocalSSHD:
        sshd = find_program("sshd")
        if not sshd:
            raise RuntimeError(
                "sshd not found: run `make setup` (installs Debian's openssh-server)"
            )
        self.workdir = self.workdir or Path(tempfile.mkdtemp(prefix="sshd-"))
        os.chmod(self.workdir, 0o700)
        host_key, _ = generate_keypair(self.workdir, "host_key")
        self.client_key, public = generate_keypair(self.workdir, "client_key")
        auth = self.workdir / "authorized_keys"
        auth.write_text(public + "\n")
        os.chmod(auth, 0o600)
        Path("/run/sshd").mkdir(parents=True, exist_ok=True)  # privilege-separation dir
        config = self.workdir / "sshd_config"
        config.write_text(
            "\n".join(
                [
                    f"Port {self.port}",
                    "ListenAddress 127.0.0.1",
                    f"HostKey {host_key}",
                    f"AuthorizedKeysFile {auth}",
                    f"PidFile {self.workdir / 'sshd.pid'}",
                    "PasswordAuthentication no",
                    "KbdInteractiveAuthentication no",
                    "PubkeyAuthentication yes",
                    "PermitRootLogin prohibit-password",
                    "StrictModes no",
                    "UsePAM no",
                    "AllowTcpForwarding yes",
                    "X11Forwarding no",
                    "LogLevel VERBOSE",
                    "",
                ]
            )
        )
        self.log_path = self.workdir / "sshd.log"
        self._proc = subprocess.Popen(
            [sshd, "-D", "-e", "-f", str(config)],
            stdout=open(self.log_path, "ab"),  # noqa: SIM115
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_port("127.0.0.1", self.port, timeout=15, what="sshd", alive=self.died)
        return self

    def stop(self) -> None:
        super().stop()
        if self.workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> LocalSSHD:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
