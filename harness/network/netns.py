"""Network namespaces the harness makes, each recorded with its owner; commands run inside.

Every namespace of ``harness/network`` is named ``fsnet-<owner tag>-<what>`` and recorded,
*before* it is created, in ``/run/filestore-network/<name>.json`` with the owning process
(pid and start time, so that a reused pid does not count): a sweeper in any process
(``harness/network/sweep.py``) finds what a killed owner left. The owner tag (the
emulator's, by default ``p<pid>``) keeps two emulators apart even when their VPCs have the
same id and CIDR.

Commands run inside a namespace with ``ip -n`` (iproute2) or ``nsenter --net``; Python code
runs inside one in a thread of its own that entered it with ``setns(2)``
(:func:`in_netns`): sockets made there stay in that namespace for the whole process. Every
failure is a :class:`NetworkError` naming the namespace and the command.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import re
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from harness.host import find_program
from harness.log import logger
from harness.proc import proc_start_time
from harness.wait import wait_for

PREFIX = "fsnet-"
STATE_ROOT = Path("/run/filestore-network")
NETNS_DIR = Path("/run/netns")
CLONE_NEWNET = 0x40000000  # <sched.h>; os.setns and os.CLONE_NEWNET arrive in Python 3.12
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")

T = TypeVar("T")
log = logger("network")


class NetworkError(RuntimeError):
    """A namespace, link, address, route or ruleset could not be made; names which."""


def require() -> None:
    """Fail early, saying how to fix it, without the host tools or root."""
    missing = [t for t in ("ip", "nft", "nsenter") if not find_program(t)]
    if missing:
        raise NetworkError(
            f"missing host tools: {', '.join(missing)}. Run `make setup` "
            "(apt-get install -y iproute2 nftables util-linux)."
        )
    if os.geteuid() != 0:
        raise NetworkError("the emulator's VPC networks need root (network namespaces)")


def run(cmd: list[str], what: str, *, input: str | None = None) -> str:
    """Run a host command; its stdout, or a NetworkError naming ``what``."""
    proc = subprocess.run(cmd, input=input, capture_output=True, text=True)
    if proc.returncode != 0:
        detail = (proc.stderr or proc.stdout).strip()
        raise NetworkError(f"{what}: `{' '.join(cmd)}` failed: {detail}")
    return proc.stdout


def ns_path(ns: str | int) -> str:
    """A namespace as a path: a name under /run/netns, a pid, or a path already."""
    if isinstance(ns, int):
        return f"/proc/{ns}/ns/net"
    return ns if "/" in ns else str(NETNS_DIR / ns)


def ip(ns: str | int, *args: str, what: str) -> str:
    """``ip`` in a namespace (a name, a pid, or a path)."""
    if isinstance(ns, str) and "/" not in ns:
        return run(["ip", "-n", ns, *args], what)
    return run(["nsenter", f"--net={ns_path(ns)}", "ip", *args], what)


def ip_batch(ns: str | int, lines: list[str], *, what: str) -> None:
    """Several ``ip`` commands in one process (``ip -batch``): fast, stops at the first error."""
    if lines:
        cmd = ["nsenter", f"--net={ns_path(ns)}", "ip", "-batch", "-"]
        run(cmd, what, input="\n".join(lines) + "\n")


def nft(ns: str | int, ruleset: dict, *, what: str) -> None:
    """Apply a JSON ruleset (one ``nft -j -f -`` call: one atomic transaction)."""
    run(
        ["nsenter", f"--net={ns_path(ns)}", "nft", "-j", "-f", "-"], what, input=json.dumps(ruleset)
    )


def in_netns(ns: str | int, fn: Callable[..., T], *args, **kwargs) -> T:
    """``fn(*args, **kwargs)`` in a thread that entered namespace ``ns``; its result, or its
    exception. Sockets it creates stay in ``ns`` and may be used from any thread after."""
    box: dict = {}

    def body() -> None:
        try:
            fd = os.open(ns_path(ns), os.O_RDONLY)
        except OSError as exc:
            box["error"] = NetworkError(f"namespace {ns}: cannot open: {exc}")
            return
        try:
            if _libc().setns(fd, CLONE_NEWNET) != 0:
                err = ctypes.get_errno()
                box["error"] = NetworkError(f"namespace {ns}: setns: {os.strerror(err)}")
                return
            box["result"] = fn(*args, **kwargs)
        except BaseException as exc:  # handed to the caller's thread
            box["error"] = exc
        finally:
            os.close(fd)

    thread = threading.Thread(target=body, name=f"netns-{ns}", daemon=True)
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["result"]


def sysctl(ns: str | int, settings: dict[str, str | int]) -> None:
    """Write ``net.*`` sysctls of namespace ``ns`` (``/proc/sys/net`` follows the writer's
    namespace)."""

    def write() -> None:
        for key, value in settings.items():
            path = Path("/proc/sys") / key.replace(".", "/")
            try:
                path.write_text(f"{value}\n")
            except OSError as exc:
                raise NetworkError(f"namespace {ns}: sysctl {key}={value}: {exc}") from exc

    in_netns(ns, write)


_LIBC: ctypes.CDLL | None = None


def _libc() -> ctypes.CDLL:
    global _LIBC
    if _LIBC is None:
        _LIBC = ctypes.CDLL(None, use_errno=True)
    return _LIBC


# ------------------------------------------------------------------ recorded namespaces


@dataclass(frozen=True)
class Owner:
    """Who makes the namespaces: a tag in their names, this process in their records."""

    tag: str

    @classmethod
    def current(cls, tag: str | None = None) -> Owner:
        return cls(tag or f"p{os.getpid()}")

    def __post_init__(self) -> None:
        if not _NAME.match(self.tag) or len(self.tag) > 40:
            raise NetworkError(f"owner tag {self.tag!r}: lower-case letters, digits and '-' only")


def namespace_name(owner: Owner, what: str) -> str:
    name = f"{PREFIX}{owner.tag}-{what.lower()}"
    if not _NAME.match(name):
        raise NetworkError(f"namespace name {name!r}: lower-case letters, digits and '-' only")
    return name


def record_path(name: str, state_root: Path | None = None) -> Path:
    return (state_root or STATE_ROOT) / f"{name}.json"


def read_record(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def exists(name: str) -> bool:
    return (NETNS_DIR / name).exists()


def create(name: str, *, kind: str, state_root: Path | None = None, **details) -> str:
    """A new namespace ``name`` with loopback up and no IPv6, recorded first (owner: this
    process)."""
    require()
    record = record_path(name, state_root)
    if exists(name):
        raise NetworkError(f"namespace {name} exists already (another emulator with this tag?)")
    record.parent.mkdir(parents=True, exist_ok=True)
    tmp = record.with_suffix(".tmp")
    tmp.write_text(
        json.dumps(
            {
                "name": name,
                "kind": kind,
                "owner_pid": os.getpid(),
                "owner_start": proc_start_time(os.getpid()),
                "created": time.time(),
                **details,
            },
            indent=1,
        )
    )
    tmp.replace(record)
    try:
        run(["ip", "netns", "add", name], f"namespace {name} ({kind}): create")
        ip(name, "link", "set", "lo", "up", what=f"namespace {name}: loopback up")
        # the VPCs are IPv4 only: no IPv6 (not even link-local) on any of our links
        sysctl(name, {"net.ipv6.conf.all.disable_ipv6": 1, "net.ipv6.conf.default.disable_ipv6": 1})
    except NetworkError:
        destroy(name, state_root=state_root)
        raise
    log.info(f"namespace {name} ({kind}) created")
    return name


def links(ns: str) -> list[dict]:
    return json.loads(ip(ns, "-json", "link", "show", what=f"namespace {ns}: list links") or "[]")


def wait_up(ns: str | int, ifname: str, *, what: str, timeout: float = 5.0) -> None:
    """Wait (bounded) until link ``ifname`` is operationally up: the kernel activates a new
    link's queue only then (linkwatch, a kernel worker that a busy machine may run late),
    and drops what is sent before; a first SYN lost that way costs a 1 s retransmit."""

    def up() -> bool:
        out = ip(ns, "-json", "link", "show", "dev", ifname, what=f"{what}: state of {ifname}")
        return json.loads(out)[0].get("operstate") == "UP"

    try:
        wait_for(up, timeout=timeout, interval=0.005, backoff=2, max_interval=0.1, what=what)
    except TimeoutError as exc:
        raise NetworkError(f"{what}: {ifname} in {ns} not up within {timeout:.0f}s") from exc


def destroy(name: str, *, state_root: Path | None = None) -> None:
    """Remove namespace ``name``: its links first (a veth's peer in another namespace goes
    with it, even while some process still holds this namespace), its rules, then the
    namespace and its record. Missing pieces are fine."""
    if exists(name):
        with contextlib.suppress(NetworkError):
            for link in links(name):
                if link["ifname"] != "lo":
                    with contextlib.suppress(NetworkError):
                        ip(name, "link", "del", "dev", link["ifname"], what="delete link")
            run(["nsenter", f"--net={ns_path(name)}", "nft", "flush", "ruleset"], "flush")
        try:
            run(["ip", "netns", "del", name], f"namespace {name}: delete")
        except NetworkError:
            if exists(name):  # else another sweeper removed it meanwhile: done
                raise
    record_path(name, state_root).unlink(missing_ok=True)
