"""Security groups: HTTP 80 from anywhere, SSH 22 from the operator CIDR only, MySQL 3306
on the database from the web server's group only; the operator CIDR refuses a /0."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from hclmodel import ENVIRONMENTS, Block, Expr

CIDR_KEYS = ("cidr_ipv4", "cidr_ipv6", "cidr_blocks", "ipv6_cidr_blocks", "prefix_list_id")


@dataclass
class Rule:
    """One ingress rule, whichever way it is written."""

    where: str
    group: str  # "web", "db": the aws_security_group it belongs to
    from_port: Any
    to_port: Any
    protocol: Any
    sources: dict[str, Any]  # cidr_ipv4 / referenced_security_group_id / ... -> value

    def covers(self, port: int) -> bool:
        if str(self.protocol) in ("-1", "all"):
            return True
        try:
            return int(self.from_port) <= port <= int(self.to_port)
        except (TypeError, ValueError):
            return False


def _group_of(ref: Any) -> str:
    m = re.fullmatch(r"aws_security_group\.([a-z0-9_]+)\.id", str(ref))
    return m.group(1) if m else str(ref)


def ingress_rules(stack) -> list[Rule]:
    """Every ingress rule of modules/security: aws_vpc_security_group_ingress_rule,
    aws_security_group_rule (type = "ingress") and inline ``ingress`` blocks, with ports
    resolved through variable defaults."""
    security = stack.module("security")
    rules: list[Rule] = []

    def add(where: str, group: str, body: dict, protocol_key: str) -> None:
        sources = {
            k: body[k]
            for k in (*CIDR_KEYS, "referenced_security_group_id", "source_security_group_id")
            if body.get(k) is not None
        }
        if "security_groups" in body:
            sources["security_groups"] = body["security_groups"]
        rules.append(
            Rule(
                where,
                group,
                security.resolve(body.get("from_port")),
                security.resolve(body.get("to_port")),
                security.resolve(body.get(protocol_key)),
                sources,
            )
        )

    for res in security.resources:
        if res.type == "aws_vpc_security_group_ingress_rule":
            add(res.where, _group_of(res["security_group_id"]), res.body, "ip_protocol")
        elif res.type == "aws_security_group_rule" and res.get("type") == "ingress":
            add(res.where, _group_of(res["security_group_id"]), res.body, "protocol")
        elif res.type == "aws_security_group":
            for block in res.blocks("ingress"):
                add(res.where, res.name, block, "protocol")
    return rules


def _refs_operator(value: Any) -> bool:
    return "var.operator_cidr" in str(value)


@pytest.fixture(scope="module")
def rules(stack) -> list[Rule]:
    found = ingress_rules(stack)
    assert found, "modules/security: no ingress rule found"
    return found


def test_two_groups_web_and_db(stack):
    assert {g.name for g in stack.resources(module="security", type="aws_security_group")} == {
        "web",
        "db",
    }


def test_http_from_anywhere_on_the_web_group(rules):
    http = [r for r in rules if r.group == "web" and r.covers(80) and r.protocol == "tcp"]
    assert any(r.sources.get("cidr_ipv4") == "0.0.0.0/0" for r in http), (
        f"modules/security: no rule opens TCP 80 to 0.0.0.0/0 on the web group: {http}"
    )


def test_ssh_only_from_the_operator_cidr(rules):
    ssh = [r for r in rules if r.covers(22)]
    assert ssh, "modules/security: no SSH rule"
    for rule in ssh:
        assert rule.group == "web", f"{rule.where}: SSH open on the {rule.group} group"
        assert rule.sources, f"{rule.where}: SSH rule without a source"
        for key, value in rule.sources.items():
            assert key in ("cidr_ipv4", "cidr_ipv6", "cidr_blocks", "ipv6_cidr_blocks"), (
                f"{rule.where}: SSH from {key}"
            )
            assert _refs_operator(value), f"{rule.where}: SSH from {key} = {value!r}"
            assert "0.0.0.0/0" not in str(value) and "::/0" not in str(value), rule.where


def test_mysql_only_from_the_web_group(rules):
    db_rules = [r for r in rules if r.group == "db"]
    assert db_rules, "modules/security: no ingress rule on the db group"
    for rule in db_rules:
        assert (rule.from_port, rule.to_port, rule.protocol) == (3306, 3306, "tcp"), (
            f"{rule.where}: db ingress must be TCP 3306 only, found "
            f"{rule.protocol} {rule.from_port}-{rule.to_port}"
        )
        assert list(rule.sources) in (
            ["referenced_security_group_id"],
            ["source_security_group_id"],
        ), f"{rule.where}: db ingress must come from a security group, not {list(rule.sources)}"
        assert _group_of(next(iter(rule.sources.values()))) == "web", (
            f"{rule.where}: db ingress must come from the web group"
        )


def test_nothing_else_is_open_to_the_world(rules):
    for rule in rules:
        world = any(w in str(v) for v in rule.sources.values() for w in ("0.0.0.0/0", "::/0"))
        if world:
            assert (rule.from_port, rule.to_port) == (80, 80), (
                f"{rule.where}: open to the world on {rule.from_port}-{rule.to_port}"
            )


def test_only_these_ingress_ports(rules):
    assert {(r.group, r.from_port) for r in rules} == {("web", 80), ("web", 22), ("db", 3306)}


def test_no_legacy_inline_rules(stack):
    """Rules as their own resources (inline rules and aws_security_group_rule fight them)."""
    for sg in stack.resources(type="aws_security_group"):
        assert not sg.blocks("ingress") and not sg.blocks("egress"), f"{sg.where}: inline rules"


def test_db_group_has_no_egress(stack):
    security = stack.module("security")
    egress = [
        r.where
        for r in security.resources
        if r.type == "aws_vpc_security_group_egress_rule"
        and _group_of(r["security_group_id"]) == "db"
    ]
    assert not egress, f"the database needs no egress: {egress}"


def _operator_validations(var: Block) -> str:
    return " ".join(str(v["condition"]) for v in var.blocks("validation"))


@pytest.mark.parametrize("root", ["modules/security"] + [f"environments/{e}" for e in ENVIRONMENTS])
def test_operator_cidr_refuses_the_whole_internet(stack, root):
    var = stack.roots[root].variables.get("operator_cidr")
    assert var is not None, f"{root}: no operator_cidr variable"
    assert "default" not in var, f"{var.where}: operator_cidr must be required (no default)"
    assert var.get("nullable") is False, f"{var.where}: operator_cidr must not be nullable"
    conditions = _operator_validations(var)
    assert re.search(r'!\s*contains\(\[[^\]]*"0\.0\.0\.0/0"', conditions) or re.search(
        r'var\.operator_cidr\s*!=\s*"0\.0\.0\.0/0"', conditions
    ), f"{var.where}: no validation refuses 0.0.0.0/0: {conditions}"
    assert "cidrhost(var.operator_cidr" in conditions or "cidrnetmask(var.operator_cidr" in (
        conditions
    ), f"{var.where}: no validation that operator_cidr is a CIDR"


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_environment_passes_the_operator_cidr(stack, env):
    root = stack.env(env)
    assert root.module_calls["security"]["operator_cidr"] == Expr("var.operator_cidr")
    example = (root.tfvars_example or {}).get("operator_cidr", "")
    assert re.fullmatch(r"\d+\.\d+\.\d+\.\d+/32", example), (
        f"{root}/terraform.tfvars.example: operator_cidr should be a /32 example, not {example!r}"
    )
