"""systemd-nspawn on a host without systemd, and the cgroup that holds each container.

The emulator's EC2 instances and the image build both run ``systemd-nspawn``. Our test
machines have no systemd as PID 1, so two things systemd would provide are made here:

- ``/run/systemd/nspawn`` (nspawn's locks and mount-propagation directories): a tmpfs,
  mounted once per boot of the host and shared by every container. It is left in place
  on purpose: another worker's containers may be using it.
- A cgroup of our own per container (``filestore/<name>`` in the unified hierarchy, and in
  the ``name=systemd`` one on hybrid hosts). ``nspawn --keep-unit`` creates its
  ``payload``/``supervisor`` groups below the cgroup it starts in: without a group of its
  own, two containers would share (and fight over) the root group. The group is also how
  a container is found, measured and killed as a whole (``cgroup.kill``), even by a sweeper
  in another process after its owner died.

Hosts with systemd (a CI runner) work the same way; the tmpfs is then not needed.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
from pathlib import Path

from filelock import FileLock

from harness.host import SYSTEM_DIRS, find_program
from harness.wait import wait_for

NSPAWN_RUNTIME = Path("/run/systemd/nspawn")
CGROUP_FS = Path("/sys/fs/cgroup")
GROUP = "filestore"
HOST_PACKAGES = ("debootstrap", "systemd-container")
# The environment every command run inside a container gets (nothing from ours leaks in).
CONTAINER_ENV = {
    "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "LANG": "C.UTF-8",
    "HOME": "/root",
}


def require(*tools: str) -> None:
    """Fail early, and say how to fix it, when a host tool is missing."""
    missing = [t for t in tools if not find_program(t)]
    if missing:
        raise RuntimeError(
            f"missing host tools: {', '.join(missing)}. Run `make setup` "
            f"(apt-get install -y {' '.join(HOST_PACKAGES)})."
        )
    if os.geteuid() != 0:
        raise RuntimeError("emulated EC2 instances need root (systemd-nspawn, overlayfs)")


def _search_path() -> str:
    return os.pathsep.join([os.environ.get("PATH", ""), *SYSTEM_DIRS])


def ensure_runtime() -> None:
    """Provide /run/systemd/nspawn when no systemd did (see the module docstring)."""
    if Path("/run/systemd/system").is_dir():
        return
    with FileLock("/run/filestore-nspawn.lock"):
        NSPAWN_RUNTIME.mkdir(parents=True, exist_ok=True)
        if not os.path.ismount(NSPAWN_RUNTIME):
            subprocess.run(
                ["mount", "-t", "tmpfs", "-o", "mode=0755", "tmpfs", str(NSPAWN_RUNTIME)],
                check=True,
            )


def _hierarchies() -> list[Path]:
    """The unified hierarchy first, then the named systemd one (hybrid hosts only)."""
    if (CGROUP_FS / "cgroup.controllers").exists():
        return [CGROUP_FS]
    found = [CGROUP_FS / "unified"] if (CGROUP_FS / "unified" / "cgroup.procs").exists() else []
    if (CGROUP_FS / "systemd" / "cgroup.procs").exists():
        found.append(CGROUP_FS / "systemd")
    if not found:
        raise RuntimeError(f"no cgroup hierarchy for containers under {CGROUP_FS}")
    return found


class Cgroup:
    """``filestore/<name>`` in every hierarchy nspawn looks at."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.paths = [h / GROUP / name for h in _hierarchies()]

    @property
    def unified(self) -> Path:
        return self.paths[0]

    def create(self) -> Cgroup:
        for path in self.paths:
            path.mkdir(parents=True, exist_ok=True)
        return self

    def wrap(self, cmd: list[str]) -> list[str]:
        """``cmd`` started inside this group: a shell joins it, then execs the command.

        (Not ``preexec_fn``: the data plane is threaded, where that is unsafe.)
        """
        procs = [str(p / "cgroup.procs") for p in self.paths]
        script = (
            'for f in "$@"; do [ "$f" = -- ] && break; echo $$ >"$f"; shift; done; shift; exec "$@"'
        )
        return ["/bin/sh", "-c", script, "sh", *procs, "--", *cmd]

    def pids(self) -> list[int]:
        found: list[int] = []
        if not self.unified.is_dir():
            return found
        for procs in self.unified.rglob("cgroup.procs"):
            with contextlib.suppress(OSError):
                found.extend(int(p) for p in procs.read_text().split())
        return found

    def kill(self, timeout: float = 15.0) -> None:
        """Kill every process in the group and wait until it is empty."""

        def empty() -> bool:
            if not (pids := self.pids()):
                return True
            kill_file = self.unified / "cgroup.kill"
            if kill_file.exists():
                with contextlib.suppress(OSError):
                    kill_file.write_text("1")
            else:
                for pid in pids:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
            return False

        try:
            wait_for(empty, timeout=timeout, what=f"cgroup {self.name} to empty")
        except TimeoutError:
            raise RuntimeError(
                f"cgroup {self.name}: processes survive SIGKILL: {self.pids()}"
            ) from None

    def remove(self) -> None:
        """Kill what is left, then remove the group and the subgroups nspawn made."""
        self.kill()
        for path in self.paths:
            if not path.is_dir():
                continue
            for sub in sorted((p for p in path.rglob("*") if p.is_dir()), reverse=True):
                with contextlib.suppress(OSError):
                    sub.rmdir()
            with contextlib.suppress(OSError):
                path.rmdir()

    def memory_bytes(self) -> int:
        """The group's memory: ``memory.current`` where the unified hierarchy has the
        memory controller, else the sum of its processes' proportional set sizes."""
        current = self.unified / "memory.current"
        if current.exists():
            return int(current.read_text())
        total = 0
        for pid in self.pids():
            with contextlib.suppress(OSError):
                for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                    if line.startswith("Pss:"):
                        total += int(line.split()[1]) * 1024
        return total


def groups() -> list[str]:
    """The names of our containers' cgroups (ours or another process's)."""
    try:
        base = _hierarchies()[0] / GROUP
    except RuntimeError:
        return []
    return sorted(p.name for p in base.iterdir() if p.is_dir()) if base.is_dir() else []


def leftovers(name: str) -> list[str]:
    """What nspawn itself may leave after being killed: its propagation directory."""
    path = NSPAWN_RUNTIME / "propagate" / name
    return [str(path)] if path.exists() else []


def run(
    root: Path, command: list[str], *, name: str, timeout: float, setenv: dict | None = None
) -> subprocess.CompletedProcess:
    """Run one command in ``root`` (not booted; the host's network), for the image build."""
    ensure_runtime()
    group = Cgroup(name).create()
    env_args = [f"--setenv={k}={v}" for k, v in {**CONTAINER_ENV, **(setenv or {})}.items()]
    cmd = [
        "systemd-nspawn",
        "--quiet",
        "--register=no",
        "--keep-unit",
        f"--machine={name}",
        f"--directory={root}",
        "--resolv-conf=copy-host",
        "--timezone=off",
        "--link-journal=no",
        "--console=pipe",
        *env_args,
        *command,
    ]
    try:
        return subprocess.run(
            group.wrap(cmd),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            env={"PATH": _search_path()},
        )
    finally:
        group.remove()
        for path in leftovers(name):
            shutil.rmtree(path, ignore_errors=True)
