"""Removing the network namespaces nobody will clean up, with all they hold.

Every namespace ``harness/network`` makes is recorded before it exists
(``/run/filestore-network/<name>.json``: kind, owner pid and start time;
:mod:`harness.network.netns`). This removes those whose owner is gone (a killed emulator:
SIGKILL leaves them all behind), and on request all those of one owner (a pid, or an
owner tag). Removing a namespace deletes its links first, so a veth whose other end sits in
a namespace we do not own (an instance's) goes too, then its nftables rules, then the
namespace and its record. A namespace named with the default tag ``p<pid>`` whose record is
lost is removed too once that pid is gone.

    python -m harness.network.sweep [--dry-run]
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

from harness.log import configure as configure_logging
from harness.log import logger
from harness.network import netns
from harness.proc import process_alive

DEFAULT_TAG = re.compile(r"^" + re.escape(netns.PREFIX) + r"p(?P<pid>\d+)-")
log = logger("sweep")


def records(state_root: Path | None = None) -> list[dict]:
    base = state_root or netns.STATE_ROOT
    if not base.is_dir():
        return []
    found = []
    for path in sorted(base.glob(f"{netns.PREFIX}*.json")):
        record = netns.read_record(path)
        found.append(record or {"name": path.stem})  # unreadable: half written, owner unknown
    return found


def ours_in_netns() -> list[str]:
    if not netns.NETNS_DIR.is_dir():
        return []
    return sorted(p.name for p in netns.NETNS_DIR.iterdir() if p.name.startswith(netns.PREFIX))


def sweep(
    *,
    owner_pid: int | None = None,
    owner_tag: str | None = None,
    state_root: Path | None = None,
    dry_run: bool = False,
    strays: bool | None = None,
) -> list[str]:
    """Remove the namespaces whose owner died, and those of ``owner_pid`` / ``owner_tag``;
    returns their names (to be removed, with ``dry_run``). ``strays`` (by default: when
    sweeping the default state root) adds unrecorded ``fsnet-p<pid>-…`` namespaces of dead
    pids; a sweeper of another state root (a test's) leaves them to their own."""
    if strays is None:
        strays = state_root is None
    removed = []
    recorded = set()
    for record in records(state_root):
        name = record["name"]
        recorded.add(name)
        dead = not process_alive(record.get("owner_pid"), record.get("owner_start"))
        mine = owner_pid is not None and record.get("owner_pid") == owner_pid
        tagged = owner_tag is not None and name.startswith(f"{netns.PREFIX}{owner_tag}-")
        if dead or mine or tagged:
            removed.append(name)
    for name in ours_in_netns() if strays else []:  # records lost: the tag names its owner
        match = DEFAULT_TAG.match(name)
        if name not in recorded and match and not Path(f"/proc/{match['pid']}").exists():
            removed.append(name)
    if not dry_run:
        errors = []
        for name in removed:  # one that will not go holds up no other
            try:
                netns.destroy(name, state_root=state_root)
                log.info(f"network: removed namespace {name}")
            except netns.NetworkError as exc:
                errors.append(str(exc))
        if errors:
            raise netns.NetworkError("; ".join(errors))
    return removed


def main(argv: list[str] | None = None) -> int:
    configure_logging()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dry-run", action="store_true")
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        log.warning("network: needs root; skipped")
        return 0
    removed = sweep(dry_run=args.dry_run)
    verb = "would remove" if args.dry_run else "removed"
    log.info(f"network: {verb} {len(removed)}: {' '.join(removed) or '-'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
