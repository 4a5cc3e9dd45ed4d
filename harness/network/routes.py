"""Route tables, the internet gateway, and "the internet" as a namespace of its own.

"The internet" is one namespace per owner (``fsnet-<owner>-internet``): a router that
knows only the public IPs the VPCs map and the clients attached to it, never the host's
network. Each VPC with an internet gateway is linked to it by a veth, ``igw0`` in the VPC
namespace and ``i<hash>`` on the internet side; both ends use the same two transfer
addresses in every VPC (``100.64.0.2`` VPC side, ``100.64.0.1`` internet side, with
``onlink`` routes), so no address plan is shared between VPCs.

In the VPC's namespace (:func:`apply_routes`, from DescribeRouteTables through
:func:`subnet_routes`):

- the VPC's own routes (subnets, interfaces) are the main table's, looked up first (a
  rule ``lookup main suppress_prefixlength 0``): local always wins;
- each subnet has a routing table of its own (``100 + n``), selected by its source CIDR,
  holding what its route table sends to the internet gateway (``0.0.0.0/0`` in a public
  subnet). A subnet whose route table has no such route reaches nothing outside the VPC
  ("network unreachable").

The internet gateway's one-to-one NAT (:func:`apply_edge`, table ``ip filestore_edge``):
inbound traffic to an interface's public IP is DNATed to its private IP, its outbound
traffic SNATed to its public IP. Nothing else crosses ``igw0``: an inbound packet that was
not addressed to a public IP, or an outbound one from an interface without a public IP, is
dropped. Security groups still decide (``harness/network/security_groups.py``).
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from harness.log import logger
from harness.network import netns
from harness.network.netns import NetworkError, Owner
from harness.network.vpc import Vpc, link_name

IGW_LINK = "igw0"
INTERNET_SIDE = "100.64.0.1"  # on every internet-side link
VPC_SIDE = "100.64.0.2"  # on every VPC's igw0
EDGE_TABLE = "filestore_edge"
LOCAL_RULE_PRIORITY, SUBNET_RULE_PRIORITY = 100, 200
log = logger("network")


def subnet_routes(
    route_tables: list[dict], subnet_ids: Iterable[str], igws: set[str]
) -> dict[str, list[str]]:
    """For each subnet, the destination CIDRs its route table (explicitly associated, else
    the VPC's main one) sends to an internet gateway in ``igws`` (those attached to the
    VPC). ``route_tables``: DescribeRouteTables' ``RouteTables`` for one VPC."""
    main, explicit = None, {}
    for table in route_tables:
        for assoc in table.get("Associations", []):
            if assoc.get("Main"):
                main = table
            elif assoc.get("SubnetId"):
                explicit[assoc["SubnetId"]] = table
    result = {}
    for subnet_id in subnet_ids:
        table = explicit.get(subnet_id, main)
        cidrs = []
        for route in (table or {}).get("Routes", []):
            target, dest = route.get("GatewayId", ""), route.get("DestinationCidrBlock")
            if not dest or target == "local" or route.get("State", "active") != "active":
                continue
            if target in igws:
                cidrs.append(dest)
            else:
                other = target or next((v for k, v in route.items() if k.endswith("Id")), "?")
                log.warning(f"{subnet_id}: route {dest} -> {other} not modelled (dropped)")
        result[subnet_id] = cidrs
    return result


@dataclass
class Internet:
    """The owner's internet: a namespace linked to VPCs' gateways and to clients."""

    owner: Owner
    state_root: Path | None = None
    links: dict[str, str] = field(default_factory=dict)  # namespace linked -> our link

    @property
    def ns(self) -> str:
        return netns.namespace_name(self.owner, "internet")

    @classmethod
    def create(cls, owner: Owner, *, state_root: Path | None = None) -> Internet:
        internet = cls(owner, state_root)
        netns.create(internet.ns, kind="internet", state_root=state_root)
        netns.sysctl(internet.ns, {"net.ipv4.ip_forward": 1, "net.ipv4.conf.all.rp_filter": 0})
        return internet

    def destroy(self) -> None:
        netns.destroy(self.ns, state_root=self.state_root)

    def _link(self, peer_ns: str, peer_if: str, peer_addr: str, what: str) -> str:
        """A veth from here to ``peer_ns`` (there: ``peer_if`` with ``peer_addr``/32, up);
        ours carries INTERNET_SIDE. Returns our end's name."""
        ours = link_name("i", peer_ns)
        netns.ip_batch(
            self.ns,
            [
                f"link add {ours} type veth peer name {peer_if} netns {netns.ns_path(peer_ns)}",
                f"addr add {INTERNET_SIDE}/32 dev {ours}",
                f"link set {ours} up",
            ],
            what=f"internet {self.ns}: link to {what}",
        )
        try:
            netns.ip_batch(
                peer_ns,
                [f"addr add {peer_addr}/32 dev {peer_if}", f"link set {peer_if} up"],
                what=f"{what}: link to the internet",
            )
            netns.wait_up(self.ns, ours, what=what)
            netns.wait_up(peer_ns, peer_if, what=what)
        except NetworkError:
            with contextlib.suppress(NetworkError):  # nothing half-made stays
                netns.ip(self.ns, "link", "del", ours, what=f"{what}: undo")
            raise
        self.links[peer_ns] = ours
        return ours

    def connect(self, vpc: Vpc) -> str:
        """The VPC's internet gateway: ``igw0`` in its namespace, linked here."""
        return self._link(vpc.ns, IGW_LINK, VPC_SIDE, f"{vpc.id}'s internet gateway")

    def disconnect(self, vpc: Vpc) -> None:
        """DetachInternetGateway: the link goes (both ends, and the routes through it)."""
        ours = self.links.pop(vpc.ns, None)
        if ours is not None:
            netns.ip(self.ns, "link", "del", ours, what=f"internet: unlink {vpc.id}")

    def client(self, name: str, address: str) -> str:
        """A namespace of its own on the internet at public ``address`` (a test's operator,
        a stranger): recorded like the others, removed by :meth:`remove_client`."""
        try:
            ipaddress.IPv4Address(address)
        except ValueError as exc:
            raise NetworkError(f"internet client {name}: bad address {address!r}") from exc
        ns = netns.namespace_name(self.owner, f"client-{name}")
        netns.create(ns, kind="client", state_root=self.state_root, address=address)
        try:
            ours = self._link(ns, "eth0", address, f"internet client {name}")
            netns.ip(
                ns, "route", "add", "default", "via", INTERNET_SIDE, "dev", "eth0", "onlink",
                what=f"internet client {name}: default route",
            )  # fmt: skip
            netns.ip(self.ns, "route", "add", f"{address}/32", "dev", ours, what=f"route {name}")
        except NetworkError:
            netns.destroy(ns, state_root=self.state_root)
            raise
        return ns

    def add_address(self, address: str) -> None:
        """An address of the internet itself (where a forwarder of the harness listens:
        the emulator's public endpoint, a registry)."""
        netns.ip(self.ns, "addr", "add", f"{address}/32", "dev", "lo", what=f"internet {address}")

    def remove_client(self, ns: str) -> None:
        self.links.pop(ns, None)
        netns.destroy(ns, state_root=self.state_root)

    def route_public(self, vpc: Vpc, public_ips: Iterable[str]) -> None:
        """Route these public IPs to the VPC's gateway (replacing what was routed there)."""
        ours = self.links.get(vpc.ns)
        if ours is None:
            raise NetworkError(f"{vpc.id} has no internet gateway linked to {self.ns}")
        routes = json.loads(
            netns.ip(self.ns, "-json", "route", "show", "dev", ours, what="list routes") or "[]"
        )
        lines = [f"route del {r['dst']} dev {ours}" for r in routes if r.get("gateway")]
        lines += [f"route add {ip}/32 via {VPC_SIDE} dev {ours} onlink" for ip in public_ips]
        netns.ip_batch(self.ns, lines, what=f"internet {self.ns}: routes to {vpc.id}")


def apply_routes(vpc: Vpc, routes: dict[str, list[str]]) -> None:
    """Each subnet's routes outside the VPC (``subnet_routes``' result), through ``igw0``:
    replaces those applied before."""
    current = json.loads(netns.ip(vpc.ns, "-json", "rule", "show", what="list rules") or "[]")
    lines = [
        f"rule del priority {SUBNET_RULE_PRIORITY} from {r['src']}/{r.get('srclen', 32)}"
        for r in current
        if r.get("priority") == SUBNET_RULE_PRIORITY
    ]
    if not any(r.get("priority") == LOCAL_RULE_PRIORITY for r in current):
        # the VPC's own routes (any but a default one) first: local wins, as on AWS
        lines.append(f"rule add priority {LOCAL_RULE_PRIORITY} lookup main suppress_prefixlength 0")
    for n, subnet_id in enumerate(sorted(vpc.subnets)):
        table = 100 + n
        lines.append(f"route flush table {table}")
        subnet = vpc.subnets[subnet_id]
        lines.append(f"rule add priority {SUBNET_RULE_PRIORITY} from {subnet.cidr} lookup {table}")
        for cidr in routes.get(subnet_id, []):
            lines.append(
                f"route add {cidr} via {INTERNET_SIDE} dev {IGW_LINK} onlink table {table}"
            )
    # `route flush` of a table never filled fails: run the flushes one by one, tolerantly
    for line in [ln for ln in lines if ln.startswith("route flush")]:
        with contextlib.suppress(NetworkError):
            netns.ip(vpc.ns, *line.split(), what="flush")
    netns.ip_batch(
        vpc.ns,
        [ln for ln in lines if not ln.startswith("route flush")],
        what=f"{vpc.id}: route tables",
    )


def edge_ruleset(public: dict[str, str]) -> dict:
    """nftables JSON for the gateway's NAT and edge filter; ``public``: private -> public."""
    table = {"family": "ip", "name": EDGE_TABLE}
    cmds: list[dict] = [
        {"add": {"table": table}},
        {"delete": {"table": table}},
        {"add": {"table": table}},
    ]

    def add(kind: str, **body) -> None:
        cmds.append({"add": {kind: {"family": "ip", "table": EDGE_TABLE, **body}}})

    def match(left: dict, right, op: str = "==") -> dict:
        return {"match": {"op": op, "left": left, "right": right}}

    iif = match({"meta": {"key": "iifname"}}, IGW_LINK)
    oif = match({"meta": {"key": "oifname"}}, IGW_LINK)
    saddr = {"payload": {"protocol": "ip", "field": "saddr"}}
    daddr = {"payload": {"protocol": "ip", "field": "daddr"}}
    add("chain", name="pre", type="nat", hook="prerouting", prio=-100, policy="accept")
    add("chain", name="post", type="nat", hook="postrouting", prio=100, policy="accept")
    add("chain", name="edge", type="filter", hook="forward", prio=-10, policy="accept")
    if public:
        to_private = {"set": [[pub, priv] for priv, pub in sorted(public.items())]}
        to_public = {"set": [[priv, pub] for priv, pub in sorted(public.items())]}
        dnat = {"dnat": {"addr": {"map": {"key": daddr, "data": to_private}}}}
        snat = {"snat": {"addr": {"map": {"key": saddr, "data": to_public}}}}
        add("rule", chain="pre", expr=[iif, match(daddr, {"set": sorted(public.values())}), dnat])
        add("rule", chain="post", expr=[oif, match(saddr, {"set": sorted(public)}), snat])
    ct = {"ct": {"key": "state"}}
    add("rule", chain="edge", expr=[match(ct, ["established", "related"], "in"), {"accept": None}])
    add("rule", chain="edge", expr=[iif, match({"ct": {"key": "status"}}, "dnat", "in"), {"accept": None}])  # fmt: skip
    add("rule", chain="edge", expr=[iif, {"drop": None}])
    if public:
        add("rule", chain="edge", expr=[oif, match(saddr, {"set": sorted(public)}), {"accept": None}])  # fmt: skip
    add("rule", chain="edge", expr=[oif, {"drop": None}])
    return {"nftables": cmds}


def apply_edge(vpc: Vpc, internet: Internet, public: dict[str, str]) -> None:
    """The gateway's NAT for ``public`` (interface id -> public IP), and the internet's
    routes to those public IPs."""
    by_private = {}
    for interface_id, public_ip in public.items():
        iface = vpc.interfaces.get(interface_id)
        if iface is None:
            raise NetworkError(f"{vpc.id}: public IP {public_ip} for unknown {interface_id}")
        iface.public_ip = public_ip
        by_private[str(iface.address)] = public_ip
    netns.nft(vpc.ns, edge_ruleset(by_private), what=f"{vpc.id}: internet gateway NAT")
    internet.route_public(vpc, by_private.values())
