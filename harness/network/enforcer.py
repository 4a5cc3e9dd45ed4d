"""Security groups that follow the EC2 API live: poll, translate, replace when changed.

An :class:`Enforcer` watches one VPC: every ``interval`` it asks ``describe`` for the
VPC's security groups (DescribeSecurityGroups) and, when given, ``memberships`` for each
interface's groups (DescribeNetworkInterfaces), rebuilds the nftables document
(:func:`harness.network.security_groups.ruleset`) and loads it only when it differs from the
one in force (one atomic ``nft -j -f -``). An Authorize, a Revoke, a replaced rule or a
changed membership is enforced within one interval plus the load (tens of milliseconds).

:func:`ec2_sources` gives both callables for an EC2 client (the emulator's). Not yet
started by the data plane (see docs/EMULATED_INSTANCES.md, "Network (in progress)").
"""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable

from harness.log import logger
from harness.network import netns
from harness.network import security_groups as sg
from harness.network.vpc import Vpc

log = logger("network")


def ec2_sources(ec2, vpc_id: str) -> tuple[Callable[[], list[dict]], Callable[[], dict]]:
    """(groups, memberships) of VPC ``vpc_id`` through an EC2 client; memberships maps an
    interface id to its group ids."""
    where = [{"Name": "vpc-id", "Values": [vpc_id]}]

    def groups() -> list[dict]:
        pages = ec2.get_paginator("describe_security_groups").paginate(Filters=where)
        return [g for page in pages for g in page["SecurityGroups"]]

    def memberships() -> dict[str, list[str]]:
        pages = ec2.get_paginator("describe_network_interfaces").paginate(Filters=where)
        return {
            eni["NetworkInterfaceId"]: [g["GroupId"] for g in eni.get("Groups", [])]
            for page in pages
            for eni in page["NetworkInterfaces"]
        }

    return groups, memberships


class Enforcer:
    def __init__(
        self,
        vpc: Vpc,
        describe: Callable[[], list[dict]],
        memberships: Callable[[], dict[str, list[str]]] | None = None,
        *,
        interval: float = 0.5,
    ) -> None:
        self.vpc, self.describe, self.memberships = vpc, describe, memberships
        self.interval = interval
        self.applied: dict | None = None
        self.changes = 0
        self.last_error = ""
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def check(self) -> bool:
        """One round: read the API, load the ruleset if it changed; True when it did."""
        groups = self.describe()
        if self.memberships is not None:
            for interface_id, group_ids in self.memberships().items():
                if interface_id in self.vpc.interfaces:
                    self.vpc.set_groups(interface_id, group_ids)
        document = sg.ruleset(groups, self.vpc.ports())
        if document == self.applied:
            return False
        t0 = time.monotonic()
        netns.nft(self.vpc.ns, document, what=f"{self.vpc.id}: security groups")
        self.applied = document
        self.changes += 1
        log.info(f"{self.vpc.id}: security groups loaded in {time.monotonic() - t0:.3f}s")
        return True

    def start(self) -> Enforcer:
        self.check()  # the first load in the caller's thread: an error shows at once
        self._thread = threading.Thread(target=self._run, name=f"sg-{self.vpc.id}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.check()
                self.last_error = ""
            except Exception as exc:  # the API busy, a namespace gone: say it once, retry
                if str(exc) != self.last_error:
                    log.warning(f"{self.vpc.id}: security groups: {traceback.format_exc()}")
                self.last_error = str(exc)
