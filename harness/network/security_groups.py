"""Security groups as nftables: EC2's DescribeSecurityGroups, translated and enforced.

:func:`ruleset` is a pure function: the groups as the EC2 API describes them (the
``SecurityGroups`` list: ``IpPermissions`` and ``IpPermissionsEgress``, each with
``IpProtocol`` ``-1``/``tcp``/``udp``/``icmp`` or a number, ``FromPort``/``ToPort``,
``IpRanges``/``Ipv6Ranges`` CIDRs and ``UserIdGroupPairs`` referenced groups) and the
VPC's interfaces (:class:`Port`: the interface's link in the VPC namespace, its private IP,
its groups) give one nftables JSON document for ``nft -j -f -``. :func:`apply` loads it into
the VPC's namespace.

The table ``inet filestore_sg`` has one base chain on the ``forward`` hook, policy drop:

- ``ct state established,related accept`` (stateful: replies pass both ways), ``invalid``
  dropped;
- a packet *from* an interface jumps to its egress chain ``eg_<link>``: one from any
  source but the interface's private IP is dropped (EC2's source/destination check: a
  container could change its own address), then a rule of any of its groups that matches
  ``return``s (allowed so far), else ``drop``;
- a packet *to* an interface jumps to its ingress chain ``in_<link>``: a matching rule
  ``accept``s, else ``drop``;
- a packet from an interface to no interface (the internet gateway) that passed egress is
  accepted; anything else is dropped.

A referenced group matches the private IPs of the interfaces in it (a named set
``sg_<group id>``), as on AWS. The VPC router's own addresses (the gateway, a future
resolver) are not behind security groups, as AWS's DNS and IMDS are not.

Every document starts with ``add table; delete table; add table``: a whole replacement in
one transaction, so a change in the API is enforced at once and never half-applied.
Connections already tracked outlive a revoked rule, as on AWS.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Iterable
from dataclasses import dataclass

from harness.log import logger
from harness.network import netns

TABLE = "filestore_sg"
FAMILY = "inet"
PROTOCOLS = {"tcp": 6, "udp": 17, "icmp": 1, "icmpv6": 58}
log = logger("network")


@dataclass(frozen=True)
class Port:
    """An interface as security groups see it."""

    link: str  # its name in the VPC namespace
    address: str  # its private IPv4
    groups: tuple[str, ...]


def set_name(group_id: str) -> str:
    return "sg_" + group_id.removeprefix("sg-").replace("-", "_")


def _match(left: dict, right, op: str = "==") -> dict:
    return {"match": {"op": op, "left": left, "right": right}}


def _meta(key: str) -> dict:
    return {"meta": {"key": key}}


def _payload(protocol: str, field: str) -> dict:
    return {"payload": {"protocol": protocol, "field": field}}


def _address(cidr: str):
    net = ipaddress.ip_network(cidr, strict=False)
    if net.prefixlen == net.max_prefixlen:
        return str(net.network_address)
    return {"prefix": {"addr": str(net.network_address), "len": net.prefixlen}}


def _protocol(permission: dict) -> list[dict] | None:
    """Matches for the permission's protocol and ports; None for one we cannot express."""
    proto = str(permission.get("IpProtocol", "-1")).lower()
    if proto in ("-1", "all"):
        return []
    number = PROTOCOLS.get(proto, int(proto) if proto.isdigit() else None)
    if number is None:
        return None
    low, high = permission.get("FromPort", -1), permission.get("ToPort", -1)
    if number in (6, 17):
        name = "tcp" if number == 6 else "udp"
        if low in (None, -1) or (low, high) == (0, 65535):
            return [_match(_meta("l4proto"), number)]
        ports = low if low == high else {"range": [low, high]}
        return [_match(_payload(name, "dport"), ports)]
    if number in (1, 58):
        name = "icmp" if number == 1 else "icmpv6"
        matches = [_match(_meta("l4proto"), number)]
        if low not in (None, -1):
            matches.append(_match(_payload(name, "type"), low))
            if high not in (None, -1):
                matches.append(_match(_payload(name, "code"), high))
        return matches
    return [_match(_meta("l4proto"), number)]


def _peers(permission: dict, direction: str) -> Iterable[tuple[list[dict], str]]:
    """(matches on the other end's address, description) for each source/destination."""
    field = "saddr" if direction == "ingress" else "daddr"
    families = (("IpRanges", "CidrIp", "ip", "ipv4"), ("Ipv6Ranges", "CidrIpv6", "ip6", "ipv6"))
    for ranges, key, protocol, family in families:
        for item in permission.get(ranges, []):
            cidr = item[key]
            if ipaddress.ip_network(cidr, strict=False).prefixlen == 0:
                yield [_match(_meta("nfproto"), family)], cidr
            else:
                yield [_match(_payload(protocol, field), _address(cidr))], cidr
    for pair in permission.get("UserIdGroupPairs", []):
        group = pair["GroupId"]
        yield [_match(_payload("ip", field), "@" + set_name(group))], group


def referenced(groups: list[dict]) -> set[str]:
    return {
        pair["GroupId"]
        for group in groups
        for key in ("IpPermissions", "IpPermissionsEgress")
        for permission in group.get(key, [])
        for pair in permission.get("UserIdGroupPairs", [])
    }


def rules_for(group: dict, direction: str) -> list[tuple[list[dict], str]]:
    """(matches, comment) per allowed flow of one group in one direction."""
    key = "IpPermissions" if direction == "ingress" else "IpPermissionsEgress"
    out = []
    for permission in group.get(key, []):
        proto = _protocol(permission)
        if proto is None:
            log.warning(f"{group['GroupId']}: protocol {permission['IpProtocol']!r} not enforced")
            continue
        if permission.get("PrefixListIds"):
            log.warning(f"{group['GroupId']}: prefix lists are not enforced (nothing matches)")
        low, high = permission.get("FromPort", -1), permission.get("ToPort", -1)
        ports = (
            "" if low in (None, -1) else f" {low}" if high in (low, None, -1) else f" {low}-{high}"
        )
        what = f"{group['GroupId']} {direction} {permission.get('IpProtocol')}{ports}"
        for peer, desc in _peers(permission, direction):
            out.append((peer + proto, f"{what} {desc}"))
    return out


def ruleset(groups: list[dict], ports: list[Port]) -> dict:
    """The nftables JSON document enforcing ``groups`` on ``ports`` (see the module doc)."""
    by_id = {g["GroupId"]: g for g in groups}
    table = {"family": FAMILY, "name": TABLE}
    cmds: list[dict] = [
        {"metainfo": {"json_schema_version": 1}},
        {"add": {"table": table}},
        {"delete": {"table": table}},
        {"add": {"table": table}},
    ]

    def add(kind: str, **body) -> None:
        cmds.append({"add": {kind: {"family": FAMILY, "table": TABLE, **body}}})

    for group_id in sorted(referenced(groups)):
        members = sorted({p.address for p in ports if group_id in p.groups})
        body = {"name": set_name(group_id), "type": "ipv4_addr", "flags": ["interval"]}
        add("set", **body, **({"elem": members} if members else {}))
    base = {"type": "filter", "hook": "forward", "prio": 0, "policy": "drop"}
    add("chain", name="forward", **base)
    for port in ports:  # every chain before the rules that jump to it
        add("chain", name="eg_" + port.link)
        add("chain", name="in_" + port.link)

    def rule(chain: str, expr: list[dict], comment: str | None = None) -> None:
        add("rule", chain=chain, expr=expr, **({"comment": comment[:128]} if comment else {}))

    ct = {"ct": {"key": "state"}}
    rule("forward", [_match(ct, ["established", "related"], "in"), {"accept": None}])
    rule("forward", [_match(ct, "invalid", "in"), {"drop": None}])
    if ports:
        links = [p.link for p in ports]
        for key, prefix in (("iifname", "eg_"), ("oifname", "in_")):
            jumps = [[link, {"jump": {"target": prefix + link}}] for link in links]
            rule("forward", [{"vmap": {"key": _meta(key), "data": {"set": jumps}}}])
        rule("forward", [_match(_meta("iifname"), {"set": links}), {"accept": None}])
    for port in ports:
        for direction, prefix, verdict in (
            ("egress", "eg_", "return"),
            ("ingress", "in_", "accept"),
        ):
            chain = prefix + port.link
            if direction == "egress":  # EC2's source check: only from the interface's own IP
                spoofed = _match(_payload("ip", "saddr"), port.address, "!=")
                rule(chain, [spoofed, {"drop": None}], f"{port.address}: source check")
            for group_id in port.groups:
                if group_id not in by_id:
                    log.warning(f"{port.link} ({port.address}): unknown group {group_id}")
                    continue
                for matches, comment in rules_for(by_id[group_id], direction):
                    rule(chain, [*matches, {verdict: None}], comment)
            rule(chain, [{"drop": None}], f"{port.address}: {direction} not allowed")
    return {"nftables": cmds}


def apply(ns: str, groups: list[dict], ports: list[Port]) -> float:
    """Enforce ``groups`` on ``ports`` in namespace ``ns`` (one atomic replacement of the
    table); returns how long loading it took (seconds)."""
    document = ruleset(groups, ports)
    t0 = time.monotonic()
    netns.nft(ns, document, what=f"namespace {ns}: security groups ({len(ports)} interfaces)")
    return time.monotonic() - t0


def remove(ns: str) -> None:
    table = {"family": FAMILY, "name": TABLE}
    document = {"nftables": [{"add": {"table": table}}, {"delete": {"table": table}}]}
    netns.nft(ns, document, what=f"namespace {ns}: remove security groups")
