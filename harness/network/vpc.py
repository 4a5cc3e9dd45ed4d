"""A VPC as a network namespace: its subnets, their gateways, and interfaces in them.

One namespace per VPC (``fsnet-<owner>-<vpc id>``, :mod:`harness.network.netns`) is the
VPC's router. In it:

- per subnet, a bridge ``b<hash>`` holding the subnet's gateway, the first host address of
  its CIDR (AWS's ``.1`` router), with the subnet's connected route;
- per interface (an ENI), a veth pair: ``e<hash>`` stays in the VPC namespace, its peer
  goes into the interface's own namespace (a container's, a test's) as ``eth0`` with the
  private IP the EC2 API assigned, ``/prefix`` of the subnet, default route via the gateway.

The VPC side of an interface is a *routed* port, not a bridge port: a ``/32`` route to the
private IP through ``e<hash>``, and proxy ARP on it, so the instance sees its subnet
on-link as on EC2 while every packet between two interfaces (same subnet or not) crosses
the VPC's router, where security groups are enforced per interface with the interface's
own name (``iifname``/``oifname``, :mod:`harness.network.security_groups`). This is also
how a VPC behaves (no broadcast domain; security groups apply between two instances of
one subnet), and it needs no bridge netfilter (the kernel here has no bridge conntrack).

Routes between the VPC's subnets are local (the namespace forwards); what leaves the VPC
is :mod:`harness.network.routes`' business. Two VPCs are two namespaces: the same CIDR in
both never meets.
"""

from __future__ import annotations

import contextlib
import hashlib
import ipaddress
from dataclasses import dataclass, field
from pathlib import Path

from harness.log import logger
from harness.network import netns
from harness.network.netns import NetworkError, Owner
from harness.network.security_groups import Port

log = logger("network")
# AWS reserves the first four addresses of a subnet (network, router, DNS, future) and the last
RESERVED_LOW, RESERVED_HIGH = 4, 1


def link_name(prefix: str, ident: str) -> str:
    """A stable interface name (at most 15 characters) for an AWS id."""
    return prefix + hashlib.sha256(ident.encode()).hexdigest()[:11]


@dataclass
class Subnet:
    id: str
    cidr: ipaddress.IPv4Network
    bridge: str
    gateway: ipaddress.IPv4Address


@dataclass
class Interface:
    id: str
    subnet_id: str
    address: ipaddress.IPv4Address
    link: str  # its end in the VPC namespace
    netns: str | int  # where its other end is (a name, a pid or a path)
    ifname: str
    groups: tuple[str, ...] = ()
    public_ip: str | None = None


@dataclass
class Vpc:
    id: str
    cidr: ipaddress.IPv4Network
    owner: Owner
    state_root: Path | None = None
    subnets: dict[str, Subnet] = field(default_factory=dict)
    interfaces: dict[str, Interface] = field(default_factory=dict)

    @classmethod
    def create(cls, vpc_id: str, cidr: str, owner: Owner, *, state_root: Path | None = None) -> Vpc:
        """The VPC's namespace, forwarding between its subnets."""
        try:
            network = ipaddress.IPv4Network(cidr)
        except ValueError as exc:
            raise NetworkError(f"{vpc_id}: bad CIDR {cidr!r}: {exc}") from None
        vpc = cls(vpc_id, network, owner, state_root)
        netns.create(vpc.ns, kind="vpc", state_root=state_root, vpc_id=vpc_id, cidr=cidr)
        try:
            netns.sysctl(
                vpc.ns,
                {
                    "net.ipv4.ip_forward": 1,
                    "net.ipv4.conf.all.rp_filter": 0,
                    "net.ipv4.conf.default.rp_filter": 0,
                },
            )
        except NetworkError:
            vpc.destroy()
            raise
        return vpc

    @property
    def ns(self) -> str:
        return netns.namespace_name(self.owner, self.id)

    def destroy(self) -> None:
        """The namespace and everything in it: bridges, veths (both ends), rules."""
        netns.destroy(self.ns, state_root=self.state_root)
        self.subnets.clear()
        self.interfaces.clear()

    # ------------------------------------------------------------------ subnets
    def add_subnet(self, subnet_id: str, cidr: str) -> Subnet:
        try:
            network = ipaddress.IPv4Network(cidr)
        except ValueError as exc:
            raise NetworkError(f"{subnet_id}: bad CIDR {cidr!r}: {exc}") from None
        if not network.subnet_of(self.cidr):
            raise NetworkError(f"{subnet_id}: {cidr} is not inside {self.id}'s {self.cidr}")
        for other in self.subnets.values():
            if other.cidr.overlaps(network):
                raise NetworkError(f"{subnet_id}: {cidr} overlaps {other.id}'s {other.cidr}")
        if network.num_addresses < 16:
            raise NetworkError(f"{subnet_id}: {cidr} is smaller than a /28")
        gateway = network.network_address + 1
        subnet = Subnet(subnet_id, network, link_name("b", subnet_id), gateway)
        netns.ip_batch(
            self.ns,
            [
                f"link add {subnet.bridge} type bridge",
                f"addr add {gateway}/{network.prefixlen} dev {subnet.bridge}",
                f"link set {subnet.bridge} up",
            ],
            what=f"{self.id}: subnet {subnet_id} ({cidr}) in namespace {self.ns}",
        )
        self.subnets[subnet_id] = subnet
        return subnet

    def remove_subnet(self, subnet_id: str) -> None:
        """DeleteSubnet (AWS refuses it while interfaces are in it: so do we)."""
        users = [i.id for i in self.interfaces.values() if i.subnet_id == subnet_id]
        if users:
            raise NetworkError(f"{subnet_id}: still has interfaces {', '.join(users)}")
        subnet = self.subnets.pop(subnet_id, None)
        if subnet is not None:
            netns.ip(self.ns, "link", "del", subnet.bridge, what=f"{self.id}: remove {subnet_id}")

    # --------------------------------------------------------------- interfaces
    def attach(
        self,
        interface_id: str,
        subnet_id: str,
        address: str,
        target: str | int,
        *,
        ifname: str = "eth0",
        groups: tuple[str, ...] | list[str] = (),
        mac: str | None = None,
    ) -> Interface:
        """Put interface ``interface_id`` into namespace ``target`` (a name under
        /run/netns, a pid, or a path) as ``ifname`` with private IP ``address`` in
        ``subnet_id``."""
        subnet = self.subnets.get(subnet_id)
        if subnet is None:
            raise NetworkError(f"{interface_id}: no subnet {subnet_id} in {self.id}")
        ip = self._check_address(interface_id, subnet, address)
        iface = Interface(
            interface_id, subnet_id, ip, link_name("e", interface_id), target, ifname, tuple(groups)
        )
        temp = link_name("t", interface_id)
        what = f"{self.id}: interface {interface_id} ({address} in {subnet_id})"
        try:
            netns.ip_batch(
                self.ns,
                [
                    f"link add {iface.link} type veth peer name {temp} netns {netns.ns_path(target)}",
                    f"link set {iface.link} up",
                    f"route add {ip}/32 dev {iface.link} src {subnet.gateway}",
                ],
                what=f"{what}: VPC side",
            )
            # proxy ARP answers for the subnet's other addresses at once (no 0.8 s delay)
            netns.sysctl(
                self.ns,
                {
                    f"net.ipv4.conf.{iface.link}.proxy_arp": 1,
                    f"net.ipv4.neigh.{iface.link}.proxy_delay": 0,
                },
            )
            netns.ip_batch(
                target,
                [
                    f"link set {temp} name {ifname}",
                    *([f"link set {ifname} address {mac}"] if mac else []),
                    f"addr add {ip}/{subnet.cidr.prefixlen} dev {ifname}",
                    f"link set {ifname} up",
                    "link set lo up",
                    f"route replace default via {subnet.gateway} dev {ifname}",
                ],
                what=f"{what}: inside {target}",
            )
            netns.wait_up(self.ns, iface.link, what=what)
            netns.wait_up(target, ifname, what=what)
        except NetworkError:
            with contextlib.suppress(NetworkError):  # nothing half-made stays
                netns.ip(self.ns, "link", "del", iface.link, what=f"{what}: undo")
            raise
        self.interfaces[interface_id] = iface
        return iface

    def _check_address(self, interface_id: str, subnet: Subnet, address: str):
        try:
            ip = ipaddress.IPv4Address(address)
        except ValueError as exc:
            raise NetworkError(f"{interface_id}: bad address {address!r}: {exc}") from None
        if ip not in subnet.cidr:
            raise NetworkError(
                f"{interface_id}: {address} is outside subnet {subnet.id} ({subnet.cidr})"
            )
        first, last = subnet.cidr.network_address, subnet.cidr.broadcast_address
        if int(ip) - int(first) < RESERVED_LOW or int(last) - int(ip) < RESERVED_HIGH:
            raise NetworkError(
                f"{interface_id}: {address} is reserved in subnet {subnet.id} ({subnet.cidr})"
            )
        for other in self.interfaces.values():
            if other.address == ip:
                raise NetworkError(f"{interface_id}: {address} is {other.id}'s already")
        return ip

    def detach(self, interface_id: str) -> None:
        """Remove the interface (both ends of its veth; its route goes with it)."""
        iface = self.interfaces.pop(interface_id, None)
        if iface is not None:
            netns.ip(self.ns, "link", "del", iface.link, what=f"{self.id}: detach {interface_id}")

    def set_groups(self, interface_id: str, groups: list[str] | tuple[str, ...]) -> None:
        """ModifyNetworkInterfaceAttribute's groups (enforced at the next ruleset)."""
        self.interfaces[interface_id].groups = tuple(groups)

    def ports(self) -> list[Port]:
        """The interfaces as the security-group translation sees them."""
        return [Port(i.link, str(i.address), i.groups) for i in self.interfaces.values()]
