"""Helpers shared by the CKV_FS_* Python checks (values, checkov's graph, security-group
rules); no check of its own.  IAM policy statements are in fs_statements.py.

checkov imports every ``.py`` file of this directory as a check module, this one
too: it only defines functions and classes, so importing it registers nothing.

checkov hands a check the resource's configuration with every value wrapped in a
list (``{"cidr_blocks": [["0.0.0.0/0"]]}``); ``flatten`` and ``first`` unwrap it.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Iterable
from typing import Any

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck


def flatten(value: Any) -> list[Any]:
    """All scalars (and dicts) of an arbitrarily nested list, in order; None -> []."""
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [item for inner in value for item in flatten(inner)]
    return [value]


def first(value: Any, default: Any = None) -> Any:
    items = flatten(value)
    return items[0] if items else default


def blocks(conf: Any, key: str) -> list[dict[str, Any]]:
    """Nested blocks (``ingress {}``, ``statement {}``...) as a list of dicts."""
    if not isinstance(conf, dict):
        return []
    return [b for b in flatten(conf.get(key)) if isinstance(b, dict)]


def as_int(value: Any) -> int | None:
    value = first(value)
    if isinstance(value, bool):
        return None
    try:
        return int(str(value).strip().strip('"'))
    except ValueError:
        return None


def meta(check_id: str, name: str, category: CheckCategories) -> dict[str, Any]:
    """The arguments of a check's ``__init__`` that say what it is."""
    guideline = f"policies/README.md#{check_id.lower()}"
    return {"name": name, "id": check_id, "categories": [category], "guideline": guideline}


def in_plan(check: Any) -> bool:
    """The entity comes from a plan (``tofu show -json``), not from HCL: values, not
    how they were written."""
    return str(getattr(check, "entity_path", "")).split(":", 1)[0].endswith(".json")


def verdict(check: Any, problems: list[str], unresolved: Iterable[str] = ()) -> CheckResult:
    """FAILED on a problem; else UNKNOWN when something could not be resolved (never
    PASSED on a value the scan does not know: the gate counts a resource left without
    a verdict as NOT_EVALUATED); else PASSED."""
    unresolved = list(unresolved)
    check.details.extend(dict.fromkeys(problems or [f"cannot resolve {u}" for u in unresolved]))
    if problems:
        return CheckResult.FAILED
    return CheckResult.UNKNOWN if unresolved else CheckResult.PASSED


# a value checkov left as an expression: a variable, local, module output or function
# call it could not evaluate (a literal never looks like this)
UNRESOLVED = re.compile(r"\$\{|\b(?:var|local|module|each|count|data)\.[A-Za-z_]|\b[a-z0-9_]+\(")


def is_unresolved(value: Any) -> bool:
    return isinstance(value, str) and bool(UNRESOLVED.search(value))


# ---------------------------------------------------------------------------
# checkov's graph: what an attribute refers to, across modules
#
# checkov's YAML connection policies see a reference inside one module only, but
# the database's security group is made in modules/security and attached in
# modules/database through an output, a module argument and a variable.  So the
# graph (``check.graph``, the rustworkx PyDiGraph checkov hands every check: nodes
# are ``(index, attributes)``, edges carry the referring attribute as ``label``) is
# walked here, the one place that does, for CKV_FS_6, CKV_FS_8 and CKV_FS_14.
# ---------------------------------------------------------------------------

_INDEX: dict[int, tuple[Any, dict[int, dict[str, Any]], dict[int, list[tuple[int, str]]]]] = {}


def _index(graph: Any) -> tuple[dict[int, dict[str, Any]], dict[int, list[tuple[int, str]]]]:
    cached = _INDEX.get(id(graph))
    if cached is None or cached[0] is not graph:
        nodes: dict[int, dict[str, Any]] = {}
        out: dict[int, list[tuple[int, str]]] = {}
        if graph is not None:
            nodes = {i: attrs for i, attrs in graph.nodes()}
            for src, dst, edge in graph.weighted_edge_list():
                label = edge.get("label") if isinstance(edge, dict) else getattr(edge, "label", "")
                out.setdefault(src, []).append((dst, str(label or "")))
        _INDEX.clear()
        cached = _INDEX[id(graph)] = (graph, nodes, out)
    return cached[1], cached[2]


def entity_nodes(check: Any, conf: dict[str, Any]) -> list[int]:
    """The graph node(s) of the entity being scanned: same address, file and line."""
    nodes, _ = _index(getattr(check, "graph", None))
    scanned = (getattr(check, "entity_path", "") or "").split(":", 1)[0]
    tail = "/" + "/".join(p for p in scanned.split("/") if p not in ("", ".", ".."))
    return [
        i
        for i, node in nodes.items()
        if node.get("__address__") == conf.get("__address__")
        and node.get("__start_line__") == conf.get("__start_line__")
        and str(node.get("file_path_", "")).endswith(tail)
    ]


def node(check: Any, index: int) -> dict[str, Any]:
    """The attributes of graph node ``index``."""
    return _index(getattr(check, "graph", None))[0].get(index, {})


def nodes_of_type(check: Any, resource_type: str) -> list[int]:
    nodes, _ = _index(getattr(check, "graph", None))
    return [i for i, node in nodes.items() if node.get("resource_type") == resource_type]


LOCAL_REF = re.compile(r"\blocal\.([A-Za-z_][\w-]*)")


def _locals_named(nodes: dict[int, dict[str, Any]], node: dict[str, Any], text: Any) -> list[int]:
    """The locals that ``text`` names (``local.x``) in ``node``'s module instance:
    checkov draws no edge for a reference inside some calls, e.g. ``base64gzip()``."""
    names = set(LOCAL_REF.findall(str(text)))
    place = (os.path.dirname(str(node.get("file_path_"))), str(node.get("source_module_object_")))
    return [
        i
        for i, n in nodes.items()
        if n.get("block_type_") == "locals"
        and n.get("block_name_") in names
        and (os.path.dirname(str(n.get("file_path_"))), str(n.get("source_module_object_")))
        == place
    ]


def walk(
    check: Any, starts: Iterable[int], attribute: str, trail: list[Any] | None = None
) -> dict[int, dict[str, Any]]:
    """Every node that ``attribute`` of the ``starts`` nodes leads to, through module
    variables, module calls, outputs and locals (which are included in the result).
    ``trail`` collects the text each step hands on: a local's value, the module
    argument that sets a variable, an output's value."""
    nodes, out = _index(getattr(check, "graph", None))
    stack = [(dst, None) for i in starts for dst, label in out.get(i, []) if label == attribute]
    stack += [
        (d, None) for i in starts for d in _locals_named(nodes, nodes[i], nodes[i].get(attribute))
    ]
    seen: dict[int, dict[str, Any]] = {}
    visited: set[tuple[int, str | None]] = set()
    while stack:
        current, via = stack.pop()
        if (current, via) in visited or current not in nodes:
            continue
        visited.add((current, via))
        node = seen[current] = nodes[current]
        kind = node.get("block_type_")
        if kind == "variable":  # on to the module call that sets it, that argument only
            name = str(node.get("block_name_"))
            stack += [
                (d, name)
                for d, _ in out.get(current, [])
                if nodes.get(d, {}).get("block_type_") == "module"
            ]
        elif kind == "module":
            stack += [(d, None) for d, label in out.get(current, []) if via in (None, label)]
            if trail is not None and via is not None:
                trail.append((node, node.get(via)))
        elif kind in ("output", "locals"):
            stack += [(d, None) for d, _ in out.get(current, [])]
            key = "value" if kind == "output" else str(node.get("block_name_"))
            if trail is not None:
                trail.append((node, node.get(key)))
            if kind == "locals":
                value = node.get(str(node.get("block_name_")))
                stack += [(d, None) for d in _locals_named(nodes, node, value)]
    return seen


def referenced(check: Any, starts: Iterable[int], attribute: str) -> dict[int, dict[str, Any]]:
    """The resources and data blocks among ``walk()``'s nodes."""
    found = walk(check, starts, attribute).items()
    return {i: n for i, n in found if n.get("block_type_") in ("resource", "data")}


# ---------------------------------------------------------------------------
# security-group ingress, written any of the three ways
# ---------------------------------------------------------------------------

SG_RESOURCES = [
    "aws_security_group",
    "aws_security_group_rule",
    "aws_vpc_security_group_ingress_rule",
]
INGRESS_KEYS = ["ingress", "cidr_blocks", "ipv6_cidr_blocks", "cidr_ipv4", "cidr_ipv6"]
ALL_PROTOCOLS = {"-1", "all"}


def _rule(protocol: Any, low: Any, high: Any, cidrs: list[Any], sg_source: bool, prefix_lists: Any):
    return {
        "protocol": str(first(protocol, "")).lower(),
        "from_port": as_int(low),
        "to_port": as_int(high),
        "cidrs": [str(c) for c in cidrs],
        "sg_source": sg_source,
        "prefix_lists": flatten(prefix_lists),
    }


def ingress_rules(entity_type: str, conf: dict[str, Any]) -> list[dict[str, Any]]:
    """``{protocol, from_port, to_port, cidrs, sg_source, prefix_lists}`` per ingress rule."""
    if entity_type == "aws_vpc_security_group_ingress_rule":
        cidrs = flatten(conf.get("cidr_ipv4")) + flatten(conf.get("cidr_ipv6"))
        sg_source = first(conf.get("referenced_security_group_id")) is not None
        args = ("ip_protocol", "from_port", "to_port")
        return [_rule(*(conf.get(a) for a in args), cidrs, sg_source, conf.get("prefix_list_id"))]
    if entity_type == "aws_security_group_rule":
        if str(first(conf.get("type"), "")).lower() != "ingress":
            return []
        sources = [conf]
        source_key = "source_security_group_id"
    else:  # aws_security_group with inline ingress blocks
        sources = blocks(conf, "ingress")
        source_key = "security_groups"
    rules = []
    for src in sources:
        cidrs = flatten(src.get("cidr_blocks")) + flatten(src.get("ipv6_cidr_blocks"))
        sg_source = bool(flatten(src.get(source_key))) or first(src.get("self")) in (True, "true")
        args = ("protocol", "from_port", "to_port")
        rules.append(
            _rule(*(src.get(a) for a in args), cidrs, sg_source, src.get("prefix_list_ids"))
        )
    return rules


def port_range(rule: dict[str, Any]) -> tuple[int, int] | None:
    """(from, to) the rule opens; (0, 65535) for all protocols; None if unknown."""
    low, high = rule["from_port"], rule["to_port"]
    if rule["protocol"] in ALL_PROTOCOLS or (low, high) == (-1, -1):
        return (0, 65535)
    if low is None and high is None:
        return None
    low, high = (high if low is None else low), (low if high is None else high)
    return (min(low, high), max(low, high))


def describe_rule(rule: dict[str, Any]) -> str:
    rng = port_range(rule)
    if rng is None:
        ports = "unknown ports"
    elif rng == (0, 65535) and rule["protocol"] in ALL_PROTOCOLS:
        ports = "all ports"
    else:
        ports = f"port {rng[0]}" if rng[0] == rng[1] else f"ports {rng[0]}-{rng[1]}"
    return f"{rule['protocol'] or '?'} {ports}"


class IngressCheck(BaseResourceCheck):
    """A rule over the ingress rules of a security group, written any of the three ways;
    ``problems(conf, rules)`` says what is wrong."""

    def __init__(self, check_id: str, name: str) -> None:
        what = meta(check_id, name, CheckCategories.NETWORKING)
        super().__init__(**what, supported_resources=SG_RESOURCES)

    def problems(self, conf: dict[str, Any], rules: list[dict[str, Any]]) -> list[str]:
        raise NotImplementedError

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        self.evaluated_keys = INGRESS_KEYS
        self.unresolved: list[str] = []  # what problems() could not resolve
        problems = self.problems(conf, ingress_rules(self.entity_type, conf))
        return verdict(self, problems, self.unresolved)


def is_cidr(value: str) -> bool:
    try:
        ipaddress.ip_network(str(value).strip(), strict=False)
    except ValueError:
        return False
    return True


def is_world_cidr(value: str) -> bool:
    """True for 0.0.0.0/0 and ::/0 (any network with prefix length 0)."""
    try:
        return ipaddress.ip_network(value.strip(), strict=False).prefixlen == 0
    except ValueError:
        return False
