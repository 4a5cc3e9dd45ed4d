"""Removing emulated instances that nobody will clean up: containers, mounts and disks.

Each instance's state dir (``harness/instances/instance.py``) records the process that owns it (the
moto server running the data plane, with its start time so a reused pid does not count)
and the run id tag of the instance. A data plane removes its own instances when it stops;
this finds the rest: those of an owner that died (a killed emulator), and on request
those whose run is gone or older than an age (``make sweep``). It works from any process,
and also removes what an interrupted start or image build left: a half-made instance dir,
a cgroup with no instance.

    python -m harness.instances.sweep [--older-than 6h] [--dry-run]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import sys
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from harness.instances import nspawn
from harness.instances.instance import STATE_ROOT, Instance
from harness.log import configure as configure_logging
from harness.log import logger
from harness.proc import process_alive
from harness.runid import parse_age, run_id_created
from harness.wait import wait_for

STAGING = re.compile(r"^\.(?P<id>.+)\.new-(?P<pid>\d+)$")
IMAGE_BUILD = re.compile(r"^image-build-(?P<pid>\d+)$")


def list_instances(root: Path | None = None) -> list[Instance]:
    base = root or STATE_ROOT
    if not base.is_dir():
        return []
    names = sorted(p.name for p in base.iterdir() if p.is_dir() and not p.name.startswith("."))
    return [Instance(name, base) for name in names]


def of_run(run_id: str, root: Path | None = None) -> list[Instance]:
    return [i for i in list_instances(root) if i.state().get("run_id") == run_id]


def wait_removed(run_id: str, timeout: float = 120.0, root: Path | None = None) -> list[Instance]:
    """Wait (bounded) until the data plane has removed the instances of ``run_id`` (it does
    within seconds of their termination); returns those still there at the end."""
    with contextlib.suppress(TimeoutError):
        wait_for(lambda: not of_run(run_id, root), timeout=timeout, interval=1.0)
    return of_run(run_id, root)


def _expired(state: dict, older_than: timedelta) -> bool:
    created = run_id_created(state.get("run_id", "")) or datetime.fromtimestamp(
        state.get("created", 0), tz=UTC
    )
    return datetime.now(UTC) - created > older_than


def sweep(
    *,
    older_than: timedelta | None = None,
    run_ids_alive: Iterable[str] | None = None,
    owner_pid: int | None = None,
    root: Path | None = None,
    dry_run: bool = False,
) -> list[str]:
    """Remove containers, mounts and disks of instances that nobody will clean up.

    Always: instances whose owning data plane is gone (a killed emulator). Also, when given,
    those whose run id is not in ``run_ids_alive``, those older than ``older_than`` (by the
    time in their run id, else their creation), and all those of process ``owner_pid``.
    Returns the ids removed (to be removed, with ``dry_run``).
    """
    alive = None if run_ids_alive is None else set(run_ids_alive)
    removed = []
    for inst in list_instances(root):
        state = inst.state()
        orphan = not process_alive(state.get("owner_pid"), state.get("owner_start"))
        if (
            orphan
            or (owner_pid is not None and state.get("owner_pid") == owner_pid)
            or (alive is not None and state.get("run_id") not in alive)
            or (older_than is not None and _expired(state, older_than))
        ):
            if not dry_run:
                inst.destroy()
            removed.append(inst.id)
    if not dry_run:
        _remove_strays(root or STATE_ROOT)
    return removed


def _remove_strays(base: Path) -> None:
    """Half-made instance dirs and image-build cgroups whose maker died; empty cgroups with
    no instance (a populated one may belong to an instance under another state root)."""
    if base.is_dir():
        for path in base.iterdir():
            match = STAGING.match(path.name)
            if match and not Path(f"/proc/{match['pid']}").exists():
                shutil.rmtree(path, ignore_errors=True)
    for group in nspawn.groups():
        build = IMAGE_BUILD.match(group)
        if build and Path(f"/proc/{build['pid']}").exists():
            continue
        cgroup = nspawn.Cgroup(group)
        if not build and ((base / group).exists() or cgroup.pids()):
            continue
        cgroup.remove()


log = logger("sweep")


def main(argv: list[str] | None = None) -> int:
    configure_logging()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--older-than", type=parse_age, default=None, metavar="AGE")
    parser.add_argument("--dry-run", action="store_true")
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        log.warning("instances: needs root; skipped")
        return 0
    removed = sweep(older_than=args.older_than, dry_run=args.dry_run)
    verb = "would remove" if args.dry_run else "removed"
    log.info(f"instances: {verb} {len(removed)}: {' '.join(removed) or '-'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
