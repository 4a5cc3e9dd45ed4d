"""The EC2 API's VPCs made real and kept in step: the network's reconciler.

:class:`NetworkPlane` reads the API (DescribeVpcs, Subnets, InternetGateways, RouteTables,
NetworkInterfaces, SecurityGroups) and makes each VPC a namespace
(:mod:`harness.network.vpc`) with its subnets, links it to "the internet" while an internet
gateway is attached (:mod:`harness.network.routes`), gives each subnet the routes of its
route table, maps public IPs, and loads the security groups of each VPC
(:mod:`harness.network.security_groups`) whenever what they are built from changed. Each
input is compared with the one last applied: an unchanged VPC costs the API calls only.

:meth:`attach` puts an ENI into a namespace (an instance's) with the private IP the API
assigned, then reconciles, so that its groups are in force before anything runs there.
:meth:`start` reconciles every ``interval`` in a thread (Authorize, Revoke, a changed
membership or route: enforced within one interval plus a load of tens of milliseconds).
Not yet started by the data plane (docs/EMULATED_INSTANCES.md, "Network (in progress)").
"""

from __future__ import annotations

import threading
import traceback
from collections import defaultdict
from pathlib import Path

from harness.log import logger
from harness.network import netns, routes
from harness.network import security_groups as sg
from harness.network.netns import NetworkError, Owner
from harness.network.vpc import Interface, Vpc

ATTACHED = {"available", "attached"}  # an internet gateway's attachment states in use
log = logger("network")


def _all(ec2, operation: str, key: str) -> list[dict]:
    pages = ec2.get_paginator(operation).paginate()
    return [item for page in pages for item in page[key]]


def _by_vpc(items: list[dict]) -> dict[str, list[dict]]:
    grouped: dict[str, list[dict]] = defaultdict(list)
    for item in items:
        grouped[item.get("VpcId", "")].append(item)
    return grouped


class NetworkPlane:
    def __init__(self, ec2, owner: Owner, *, state_root: Path | None = None) -> None:
        self.ec2, self.owner, self.state_root = ec2, owner, state_root
        self.vpcs: dict[str, Vpc] = {}
        self.internet: routes.Internet | None = None
        self._applied: dict[tuple[str, str], object] = {}
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_error = ""

    # ------------------------------------------------------------------ reconcile
    def reconcile(self) -> None:
        with self._lock:
            described = {v["VpcId"]: v for v in _all(self.ec2, "describe_vpcs", "Vpcs")}
            for vpc_id in set(self.vpcs) - set(described):
                self._remove_vpc(vpc_id)
            subnets = _by_vpc(_all(self.ec2, "describe_subnets", "Subnets"))
            tables = _by_vpc(_all(self.ec2, "describe_route_tables", "RouteTables"))
            enis = _by_vpc(_all(self.ec2, "describe_network_interfaces", "NetworkInterfaces"))
            groups = _by_vpc(_all(self.ec2, "describe_security_groups", "SecurityGroups"))
            igws: dict[str, set[str]] = defaultdict(set)
            for igw in _all(self.ec2, "describe_internet_gateways", "InternetGateways"):
                for att in igw.get("Attachments", []):
                    if att.get("State") in ATTACHED:
                        igws[att["VpcId"]].add(igw["InternetGatewayId"])
            errors = []
            for vpc_id, desc in described.items():  # one VPC's trouble holds up no other
                try:
                    vpc = self.vpcs.get(vpc_id)
                    if vpc is None:
                        vpc = self.vpcs[vpc_id] = Vpc.create(
                            vpc_id, desc["CidrBlock"], self.owner, state_root=self.state_root
                        )
                    self._step(vpc, subnets[vpc_id], tables[vpc_id], enis[vpc_id], groups[vpc_id], igws[vpc_id])  # fmt: skip
                except NetworkError as exc:
                    errors.append(str(exc))
            if errors:
                raise NetworkError("; ".join(errors))

    def _apply(self, vpc: Vpc, what: str, value, action) -> None:
        """``action()`` unless ``value`` is what was last applied; remembered once done."""
        key = (vpc.id, what)
        if self._applied.get(key) != value:
            self._applied.pop(key, None)
            action()
            self._applied[key] = value

    def _step(self, vpc: Vpc, subnets, tables, enis, groups, igws: set[str]) -> None:
        errors = []
        for subnet in subnets:  # a subnet of a secondary CIDR is not modelled: said, skipped
            if subnet["SubnetId"] not in vpc.subnets:
                try:
                    vpc.add_subnet(subnet["SubnetId"], subnet["CidrBlock"])
                except NetworkError as exc:
                    errors.append(str(exc))
        for subnet_id in set(vpc.subnets) - {s["SubnetId"] for s in subnets}:
            if not any(i.subnet_id == subnet_id for i in vpc.interfaces.values()):
                vpc.remove_subnet(subnet_id)
        for eni in enis:  # ModifyNetworkInterfaceAttribute: the groups of each interface
            if eni["NetworkInterfaceId"] in vpc.interfaces:
                vpc.set_groups(eni["NetworkInterfaceId"], [g["GroupId"] for g in eni["Groups"]])
        internet = self.ensure_internet() if igws else self.internet
        linked = internet is not None and vpc.ns in internet.links
        if igws and not linked:
            internet.connect(vpc)
            self._applied.pop((vpc.id, "routes"), None)
            self._applied.pop((vpc.id, "public"), None)
        elif not igws and linked:
            internet.disconnect(vpc)
        plan = routes.subnet_routes(tables, vpc.subnets, igws)
        self._apply(vpc, "routes", plan, lambda: routes.apply_routes(vpc, plan))
        public = {
            eni["NetworkInterfaceId"]: eni["Association"]["PublicIp"]
            for eni in enis
            if eni["NetworkInterfaceId"] in vpc.interfaces
            and eni.get("Association", {}).get("PublicIp")
        }
        if igws:
            self._apply(vpc, "public", public, lambda: routes.apply_edge(vpc, internet, public))
        document = sg.ruleset(groups, vpc.ports())
        what = f"{vpc.id}: security groups"
        self._apply(vpc, "groups", document, lambda: netns.nft(vpc.ns, document, what=what))
        if errors:
            raise NetworkError("; ".join(errors))

    def ensure_internet(self) -> routes.Internet:
        if self.internet is None:
            self.internet = routes.Internet.create(self.owner, state_root=self.state_root)
        return self.internet

    def _remove_vpc(self, vpc_id: str) -> None:
        vpc = self.vpcs.pop(vpc_id)
        if self.internet is not None:
            self.internet.links.pop(vpc.ns, None)
        vpc.destroy()
        for key in [k for k in self._applied if k[0] == vpc_id]:
            del self._applied[key]

    # ----------------------------------------------------------------- interfaces
    def attach(self, eni_id: str, target: str | int, *, ifname: str = "eth0") -> Interface:
        """ENI ``eni_id`` into namespace ``target``, its groups and routes in force."""
        with self._lock:
            found = self.ec2.describe_network_interfaces(NetworkInterfaceIds=[eni_id])
            eni = found["NetworkInterfaces"][0]
            if eni["VpcId"] not in self.vpcs:
                self.reconcile()
            vpc = self.vpcs.get(eni["VpcId"])
            if vpc is None:
                raise NetworkError(f"{eni_id}: its VPC {eni['VpcId']} is not described")
            iface = vpc.attach(
                eni_id,
                eni["SubnetId"],
                eni["PrivateIpAddress"],
                target,
                ifname=ifname,
                groups=[g["GroupId"] for g in eni.get("Groups", [])],
            )
            self._applied.pop((vpc.id, "public"), None)
            self.reconcile()
            return iface

    def detach(self, eni_id: str) -> None:
        with self._lock:
            for vpc in self.vpcs.values():
                if eni_id in vpc.interfaces:
                    vpc.detach(eni_id)
                    self._applied.pop((vpc.id, "public"), None)

    # -------------------------------------------------------------------- running
    def start(self, interval: float = 1.0, *, first: bool = True) -> NetworkPlane:
        """Reconcile every ``interval`` in a thread; ``first``: the first round in the
        caller's thread, so that an error shows at once (not when the API is not up yet)."""
        if first:
            self.reconcile()
        self._thread = threading.Thread(
            target=self._run, args=(interval,), name="network-plane", daemon=True
        )
        self._thread.start()
        return self

    def _run(self, interval: float) -> None:
        while not self._stop.wait(interval):
            try:
                self.reconcile()
                self.last_error = ""
            except Exception as exc:  # the API busy, a reset: say it once, retry
                if str(exc) != self.last_error:
                    log.warning(f"network reconcile failed: {traceback.format_exc()}")
                self.last_error = str(exc)

    def close(self) -> None:
        """Stop, and remove every namespace this plane made."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
        with self._lock:
            for vpc_id in list(self.vpcs):
                self._remove_vpc(vpc_id)
            if self.internet is not None:
                self.internet.destroy()
                self.internet = None
