"""What a resource shows of what other resources of the stack manage (make drift).

The aws provider reads back, on a parent resource, attributes that the stack manages as
resources of their own: a security group's rules, a role's inline policies, a route
table's routes, a bucket's policy, versioning, encryption and lifecycle. The state that
apply writes for the parent comes from its create, before its children existed, so the
first refresh shows them "changed outside the CLI". They are no departure:

* a whole mirror (a bucket's ``versioning``, ``policy`` ...) is set aside when the stack
  manages it through its child (``aws_s3_bucket_versioning`` ...), whose own refresh
  reports any real change (Enabled -> Suspended is drift of the child);
* a set mirror (a group's ``ingress``, a role's ``inline_policy``, a route table's
  ``route``) is compared element by element: what a child resource manages is set aside,
  the rest is drift (a rule, a policy or a route added out of band has no child and
  shows only here).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

RULE_SOURCES = ("cidr_ipv4", "cidr_ipv6", "referenced_security_group_id", "prefix_list_id")
ROUTE_DESTINATIONS = ("cidr_block", "ipv6_cidr_block", "destination_prefix_list_id")

# (parent type, attribute) -> the child type that manages it (linked by bucket name)
WHOLE_MIRRORS = {
    ("aws_s3_bucket", attr): f"aws_s3_bucket_{child}"
    for attr, child in {
        "policy": "policy",
        "versioning": "versioning",
        "server_side_encryption_configuration": "server_side_encryption_configuration",
        "lifecycle_rule": "lifecycle_configuration",
        "acl": "acl",
        "grant": "acl",
        "logging": "logging",
        "cors_rule": "cors_configuration",
        "website": "website_configuration",
        "replication_configuration": "replication_configuration",
        "object_lock_configuration": "object_lock_configuration",
    }.items()
}


def atom(protocol: Any, low: Any, high: Any, source: str) -> str:
    """One rule as shown: ``tcp 3306-3306 0.0.0.0/0``."""
    protocol = str(protocol)
    if protocol == "-1":
        return f"all all {source}"
    return f"{protocol} {low}-{high} {source}"


def _group_atoms(elements: list[dict], parent: dict) -> set[str]:
    found = set()
    for e in elements:
        sources = [
            *(e.get("cidr_blocks") or []),
            *(e.get("ipv6_cidr_blocks") or []),
            *(e.get("prefix_list_ids") or []),
            *(e.get("security_groups") or []),
            *([parent.get("id", "")] if e.get("self") else []),
        ]
        found |= {atom(e.get("protocol"), e.get("from_port"), e.get("to_port"), s) for s in sources}
    return found


def _rule_atom(rule: dict) -> str:
    source = next((rule[k] for k in RULE_SOURCES if rule.get(k)), "")
    return atom(rule.get("ip_protocol"), rule.get("from_port"), rule.get("to_port"), source)


def _route_atom(route: dict, prefix: str = "") -> str:
    return next((str(route[prefix + k]) for k in ROUTE_DESTINATIONS if route.get(prefix + k)), "")


@dataclass(frozen=True)
class SetMirror:
    child: str  # the child resource type
    parent_key: str  # the parent's attribute the child names it by
    link: str  # the child's attribute naming its parent
    elements: Callable[[list[dict], dict], set[str]]  # the parent's elements, as atoms
    child_atom: Callable[[dict], str]  # a child, as the atom it manages


SET_MIRRORS = {
    ("aws_security_group", "ingress"): SetMirror(
        "aws_vpc_security_group_ingress_rule", "id", "security_group_id", _group_atoms, _rule_atom
    ),
    ("aws_security_group", "egress"): SetMirror(
        "aws_vpc_security_group_egress_rule", "id", "security_group_id", _group_atoms, _rule_atom
    ),
    ("aws_iam_role", "inline_policy"): SetMirror(
        "aws_iam_role_policy",
        "name",
        "role",
        lambda elements, _: {str(e.get("name")) for e in elements},
        lambda child: str(child.get("name")),
    ),
    ("aws_route_table", "route"): SetMirror(
        "aws_route",
        "id",
        "route_table_id",
        lambda elements, _: {_route_atom(e) for e in elements},
        lambda child: _route_atom(child, "destination_"),
    ),
}


def _resources(module: dict | None) -> list[dict]:
    module = module or {}
    found = list(module.get("resources", []))
    for child in module.get("child_modules", []):
        found += _resources(child)
    return found


def children(plan: dict) -> dict[str, list[dict]]:
    """``{type: [values]}`` of the refreshed state, with what the refresh dropped (a child
    deleted out of band is drift of its own)."""
    state = ((plan.get("prior_state") or {}).get("values") or {}).get("root_module")
    found: dict[str, list[dict]] = {}
    for r in _resources(state):
        found.setdefault(r["type"], []).append(r.get("values") or {})
    for d in plan.get("resource_drift", []):
        if d["change"].get("before"):
            found.setdefault(d["type"], []).append(d["change"]["before"])
    return found


def managed_whole(rtype: str, attr: str, parent: dict, kids: dict) -> str | None:
    """Why ``attr`` of the parent is no drift of its own (its child manages it), or None."""
    child = WHOLE_MIRRORS.get((rtype, attr))
    name = parent.get("bucket") or parent.get("id")
    if child and any(k.get("bucket") == name for k in kids.get(child, [])):
        return f"managed by {child}, whose own refresh reports a change of it"
    return None


def unmanaged_elements(
    rtype: str, attr: str, before: dict, after: dict, kids: dict
) -> tuple[list[str], list[str]] | None:
    """(lost, gained) elements of a set mirror that no child manages; None: not a mirror."""
    mirror = SET_MIRRORS.get((rtype, attr))
    if mirror is None:
        return None
    parent = after or before
    key = parent.get(mirror.parent_key)
    ours = {mirror.child_atom(k) for k in kids.get(mirror.child, []) if k.get(mirror.link) == key}
    old = mirror.elements(before.get(attr) or [], before) - ours
    new = mirror.elements(after.get(attr) or [], after) - ours
    return sorted(old - new), sorted(new - old)
