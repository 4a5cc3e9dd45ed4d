"""One emulated EC2 instance on this host: its disk, its container, its diagnostics.

An instance is a ``systemd-nspawn --boot`` container (systemd as PID 1) whose root is an
overlayfs: the image (``harness/instances/image.py``) as the read-only lower layer, and a per-instance
upper layer that is the instance's disk (kept across stop/start, as an EBS root volume is).
It boots in a network namespace of its own, given by the data plane, which holds its ENI
(``harness/instances/networking.py``): it reaches what its VPC's routes and security groups
let it reach, and resolves names with its VPC's resolver (``/etc/resolv.conf``).

Everything about an instance lives in ``STATE_ROOT/<instance-id>/`` (default
``/var/tmp/filestore-instances``): ``state.json`` (run id, emulator URL, owner, container
pid, namespace, metadata URL), ``upper``/``work`` (the disk), ``root`` (the overlay mount),
``console.log``: what :func:`harness.instances.sweep.sweep` uses to remove containers and
disks whose owner died or whose run is gone or expired, from any process. The data plane
decides *when*; this module knows *how*, and gives the tests their view inside an
instance: :meth:`Instance.exec`, :meth:`Instance.journal`, :func:`wait_ready`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shlex
import shutil
import signal
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from harness.host import last_lines, tail
from harness.instances import nspawn
from harness.proc import proc_start_time
from harness.wait import wait_for

STATE_ROOT = Path(os.environ.get("FILESTORE_INSTANCES_DIR") or "/var/tmp/filestore-instances")
SEED_DIR = "var/lib/cloud/seed/nocloud"
# The one emulator-specific setting inside an instance, written per boot by the data plane.
ENDPOINTS_DROPIN = "etc/systemd/system.conf.d/50-filestore-emulator.conf"
# the emulator's "RDS CA bundle" (harness/stack/standins.py), as AWS's truststore provides AWS's
RDS_CA_FILE = "etc/filestore-emulator/rds-ca-bundle.pem"
# the same CA for the SDK (AWS_CA_BUNDLE): it signs the emulator's https API endpoint
API_CA_FILE = "etc/filestore-emulator/aws-ca-bundle.pem"
BOOT_ERROR = "boot-error.txt"


class InstanceError(RuntimeError):
    pass


@dataclass
class BootFiles:
    """What the "hypervisor" hands an instance at each boot (nothing rendered from user_data)."""

    instance_id: str
    hostname: str
    user_data: bytes | None
    environment: dict[str, str] = field(default_factory=dict)
    nameserver: str = ""  # the VPC's resolver
    ca: bytes | None = None  # the emulator's CA (RDS_CA_FILE, API_CA_FILE)


def hosts_file(hostname: str) -> str:
    short = hostname.split(".")[0]
    lines = ["127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback"]
    if hostname:
        lines.append(f"127.0.1.1\t{hostname} {short}".rstrip())
    return "\n".join(lines) + "\n"


def web_user_data(port: int, then: str = "") -> str:
    """A user_data script for tests and benchmarks: an enabled systemd unit serving a page
    (``hello``) on ``port`` of every address, then the shell lines ``then``."""
    return f"""#!/bin/bash
set -euo pipefail
install -d /srv/www && echo hello > /srv/www/index.html
cat > /etc/systemd/system/web.service <<UNIT
[Service]
ExecStart=/usr/bin/python3 -m http.server {port} --directory /srv/www
[Install]
WantedBy=multi-user.target
UNIT
systemctl daemon-reload
systemctl enable --now web.service
{then}"""


class Instance:
    def __init__(self, instance_id: str, root: Path | None = None) -> None:
        self.id = instance_id
        self.dir = (root or STATE_ROOT) / instance_id
        self.upper, self.work, self.merged = (
            self.dir / "upper",
            self.dir / "work",
            self.dir / "root",
        )
        self.console_log = self.dir / "console.log"
        self.cgroup = nspawn.Cgroup(instance_id)
        self._proc: subprocess.Popen | None = None

    def __repr__(self) -> str:
        return f"Instance({self.id})"

    # ------------------------------------------------------------------ state
    @classmethod
    def create(cls, instance_id: str, *, image: Path, run_id: str, emulator_url: str, root=None):
        """A new instance dir, made complete under a hidden name and then renamed, so that
        a sweeper in another process never sees one without its owner."""
        inst = cls(instance_id, root)
        if inst.exists():
            return inst
        staging = cls(f".{instance_id}.new-{os.getpid()}", root)
        for path in (staging.upper, staging.work, staging.merged):
            path.mkdir(parents=True, exist_ok=True)
        staging.save(
            instance_id=instance_id,
            image=str(image),
            run_id=run_id,
            emulator_url=emulator_url,
            owner_pid=os.getpid(),
            owner_start=proc_start_time(os.getpid()),
            created=time.time(),
        )
        staging.dir.rename(inst.dir)
        return inst

    def state(self) -> dict:
        try:
            return json.loads((self.dir / "state.json").read_text())
        except (OSError, ValueError):
            return {}

    def save(self, **updates) -> None:
        doc = {**self.state(), **updates}
        tmp = self.dir / "state.json.tmp"
        tmp.write_text(json.dumps(doc, indent=1))
        tmp.replace(self.dir / "state.json")

    def exists(self) -> bool:
        return self.dir.is_dir()

    # ------------------------------------------------------------------- disk
    def mounted(self) -> bool:
        return os.path.ismount(self.merged)

    def mount(self) -> None:
        if self.mounted():
            return
        image = self.state()["image"]
        opts = f"lowerdir={image},upperdir={self.upper},workdir={self.work}"
        _check(["mount", "-t", "overlay", "overlay", "-o", opts, str(self.merged)], "mount")

    def unmount(self) -> None:
        """umount, retried for 5 s while the container's last processes let go; then lazily."""

        def unmounted() -> bool:
            if self.mounted():
                subprocess.run(["umount", str(self.merged)], capture_output=True)
            return not self.mounted()

        try:
            wait_for(unmounted, timeout=5.0, what=f"{self.id}: unmount {self.merged}")
        except TimeoutError:
            subprocess.run(["umount", "-l", str(self.merged)], capture_output=True)

    def write_boot_files(self, boot: BootFiles) -> None:
        """The NoCloud seed (instance id, the API's user data as is), the endpoints drop-in,
        the CA, /etc/hosts and /etc/resolv.conf; written through the overlay mount, before
        the container starts."""
        seed = self.merged / SEED_DIR
        seed.mkdir(parents=True, exist_ok=True)
        (seed / "meta-data").write_text(
            f"instance-id: {boot.instance_id}\nlocal-hostname: {boot.hostname}\n"
        )
        user_data = seed / "user-data"
        user_data.write_bytes(boot.user_data or b"")
        user_data.chmod(0o600)
        dropin = self.merged / ENDPOINTS_DROPIN
        dropin.parent.mkdir(parents=True, exist_ok=True)
        pairs = " ".join(f'"{k}={v}"' for k, v in sorted(boot.environment.items()))
        dropin.write_text(
            "# Written by the emulator's data plane at each boot, as a hypervisor provides\n"
            "# IMDS: where this instance's metadata service and the AWS APIs are.\n"
            f"[Manager]\nDefaultEnvironment={pairs}\n"
        )
        for name in (RDS_CA_FILE, API_CA_FILE) if boot.ca else ():
            (self.merged / name).parent.mkdir(parents=True, exist_ok=True)
            (self.merged / name).write_bytes(boot.ca)
        (self.merged / "etc/hosts").write_text(hosts_file(boot.hostname))
        resolv = self.merged / "etc/resolv.conf"
        resolv.unlink(missing_ok=True)  # a link to a resolver stub, in some images
        resolv.write_text(f"nameserver {boot.nameserver}\n" if boot.nameserver else "")

    # -------------------------------------------------------------- container
    def start(self, netns_path: str) -> None:
        """Boot the container on network namespace ``netns_path`` (returns at once; the
        data plane watches it)."""
        nspawn.ensure_runtime()
        self.mount()
        (self.dir / BOOT_ERROR).unlink(missing_ok=True)
        self.cgroup.create()
        machine_uuid = uuid.UUID(hashlib.sha256(self.id.encode()).hexdigest()[:32])
        cmd = [
            "setpriv",
            "--pdeathsig=SIGTERM",  # the owner killed: the container halts on its own
            "--",
            "systemd-nspawn",
            "--boot",
            "--register=no",
            "--keep-unit",
            f"--machine={self.id}",
            f"--directory={self.merged}",
            f"--uuid={machine_uuid}",
            f"--network-namespace-path={netns_path}",
            "--resolv-conf=off",
            "--timezone=off",
            "--link-journal=no",
            "--console=read-only",
        ]
        with open(self.console_log, "ab") as log:
            self._proc = subprocess.Popen(
                self.cgroup.wrap(cmd),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env={"PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")},
                start_new_session=True,
            )
        self.save(nspawn_pid=self._proc.pid, boot_started=time.time(), netns=netns_path)

    def exit_code(self) -> int | None:
        """The container's exit code once it ended (133: it rebooted), else None."""
        return None if self._proc is None else self._proc.poll()

    def running(self) -> bool:
        return bool(self.cgroup.pids())

    def leader(self) -> int | None:
        """Host pid of the container's init (systemd)."""
        pid = self.state().get("nspawn_pid")
        with contextlib.suppress(OSError, ValueError, TypeError):
            for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
                if Path(f"/proc/{child}/comm").read_text().strip() == "systemd":
                    return int(child)
        return None

    def reboot(self) -> None:
        """Ctrl-Alt-Del for systemd: an orderly reboot; nspawn then exits with 133."""
        leader = self.leader()
        if leader is None:
            raise InstanceError(f"{self.id}: not running, cannot reboot")
        os.kill(leader, signal.SIGINT)

    def stop(self, timeout: float = 30.0) -> None:
        """Orderly halt (SIGTERM to nspawn), bounded; then kill what is left; unmount."""
        proc = self._proc
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=timeout)
        self.cgroup.kill()
        if proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=5)
        self._proc = None
        self.unmount()
        self.save(nspawn_pid=None)

    def destroy(self, timeout: float = 10.0) -> None:
        """Terminate: container (an orderly halt, bounded by ``timeout``), mount, cgroup
        and disk go."""
        self.stop(timeout=timeout)
        self.cgroup.remove()
        for path in nspawn.leftovers(self.id):
            shutil.rmtree(path, ignore_errors=True)
        if self.mounted():
            raise InstanceError(f"{self.id}: {self.merged} is still mounted")
        shutil.rmtree(self.dir, ignore_errors=True)

    def memory_bytes(self) -> int:
        return self.cgroup.memory_bytes()

    # ------------------------------------------------------------ diagnostics
    def exec(self, *cmd: str, timeout: float = 60.0, check: bool = False):
        """Run a command inside the running instance: its namespaces, and the environment a
        unit gets there (a clean one plus the endpoints drop-in), so that an SDK run this way
        finds the instance's metadata service too and never tries 169.254.169.254."""
        leader = self.leader()
        if leader is None:
            raise InstanceError(f"{self.id}: not running")
        env = [f"{k}={v}" for k, v in {**nspawn.CONTAINER_ENV, **self.endpoints()}.items()]
        full = ["nsenter", f"--target={leader}", "--all", "env", "-i", *env, *cmd]
        proc = subprocess.run(full, capture_output=True, text=True, timeout=timeout)
        if check and proc.returncode != 0:
            raise InstanceError(
                f"{self.id}: {' '.join(cmd)} exited {proc.returncode}:\n{proc.stdout}{proc.stderr}"
            )
        return proc

    def endpoints(self) -> dict[str, str]:
        """The ``DefaultEnvironment=`` of the endpoints drop-in (empty before the first boot)."""
        text = self.read("/" + ENDPOINTS_DROPIN) or ""
        for line in text.splitlines():
            if line.startswith("DefaultEnvironment="):
                pairs = shlex.split(line.partition("=")[2])
                return dict(pair.split("=", 1) for pair in pairs)
        return {}

    def path(self, path: str) -> Path:
        """A file of the instance's disk, seen from the host (mounted or not)."""
        rel = path.lstrip("/")
        if self.mounted():
            return self.merged / rel
        upper = self.upper / rel
        return upper if upper.exists() else Path(self.state().get("image", "/nonexistent")) / rel

    def read(self, path: str) -> str | None:
        try:
            return self.path(path).read_text(errors="replace")
        except OSError:
            return None

    def cloud_init_output(self, lines: int = 40) -> str:
        return last_lines(self.read("/var/log/cloud-init-output.log") or "", lines)

    def journal(self, unit: str | None = None, lines: int = 40) -> str:
        """The tail of the instance's journal (one unit's, if given), read from its disk."""
        journals = [p for p in self.path("/var/log/journal").glob("*") if p.is_dir()]
        if not journals:
            return ""
        cmd = ["journalctl", f"--directory={journals[0]}", "--no-pager", "-n", str(lines)]
        cmd += ["-o", "short-iso"] + (["-u", unit] if unit else [])
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
        return (proc.stdout + proc.stderr).strip()

    def cloud_init_result(self) -> dict | None:
        """cloud-init's result of the current boot, once it has finished, else None."""
        result = self.path("/var/lib/cloud/data/result.json")
        with contextlib.suppress(OSError, ValueError):
            if result.stat().st_mtime >= self.state().get("boot_started", 0):
                return json.loads(result.read_text())["v1"]
        return None

    def diagnostics(self, unit: str | None = None, lines: int = 30) -> str:
        parts = [
            f"--- {self.id}: /var/log/cloud-init-output.log (last {lines} lines)",
            self.cloud_init_output(lines) or "(empty)",
        ]
        if unit:
            parts += [f"--- journal of {unit}", self.journal(unit, lines) or "(empty)"]
        if error := self.read_boot_error():
            parts += ["--- container", error]
        parts += ["--- console (last 15 lines)", tail(self.console_log, 15) or "(empty)"]
        return "\n".join(parts)

    def read_boot_error(self) -> str:
        with contextlib.suppress(OSError):
            return (self.dir / BOOT_ERROR).read_text()
        return ""


def _check(cmd: list[str], what: str) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise InstanceError(f"{what} failed: {' '.join(cmd)}: {proc.stderr.strip()}")


def wait_ready(instance: Instance, timeout: float = 180.0, unit: str | None = None) -> dict:
    """Wait (bounded) until cloud-init has finished this boot; its result, or a clear error
    with the tail of cloud-init-output.log (and ``unit``'s journal) when user_data failed,
    the container died, or time ran out."""

    def finished() -> dict | None:
        result = instance.cloud_init_result()
        if result is not None and result.get("errors"):
            raise InstanceError(
                f"{instance.id}: cloud-init finished with errors {result['errors']}\n"
                + instance.diagnostics(unit)
            )
        if result is None and (error := instance.read_boot_error()):
            raise InstanceError(f"{instance.id}: {error}\n{instance.diagnostics(unit)}")
        return result

    try:
        # a finished boot with no errors reads as {} at worst: wrap it so it counts as done
        return wait_for(
            lambda: (r := finished()) is not None and [r], timeout=timeout, interval=0.5
        )[0]
    except TimeoutError:
        raise TimeoutError(
            f"{instance.id}: cloud-init did not finish within {timeout:.0f}s\n"
            + instance.diagnostics(unit)
        ) from None
