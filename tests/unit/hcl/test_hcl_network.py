"""The VPC: a /16, one public subnet, two private subnets in two AZs, and private route
tables with no way to the internet."""

from __future__ import annotations

import ipaddress
import re

import pytest
from hclmodel import ENVIRONMENTS, Expr

INTERNET_TARGETS = (
    "gateway_id",
    "nat_gateway_id",
    "egress_only_gateway_id",
    "transit_gateway_id",
    "vpc_peering_connection_id",
    "network_interface_id",
    "carrier_gateway_id",
    "core_network_arn",
    "local_gateway_id",
    "vpc_endpoint_id",
)


def _prefix(cidr: str) -> int:
    return ipaddress.ip_network(cidr).prefixlen


def test_vpc_cidr_is_a_16_by_default(stack):
    network = stack.module("network")
    vpc = network.resource("aws_vpc", "this")
    cidr = network.resolve(vpc["cidr_block"])
    assert isinstance(cidr, str) and _prefix(cidr) == 16, (
        f"{vpc.where}: cidr_block resolves to {cidr!r}, want a /16"
    )


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_environment_vpc_is_a_16(stack, env):
    root = stack.env(env)
    cidr = root.effective("network", "cidr")
    assert isinstance(cidr, str) and _prefix(cidr) == 16, (
        f"{root.module_calls['network'].where}: VPC cidr resolves to {cidr!r}, want a /16"
    )
    tfvars = (root.tfvars_example or {}).get("vpc_cidr")
    assert tfvars is None or _prefix(tfvars) == 16, f"{root}/terraform.tfvars.example: {tfvars}"


def test_one_public_subnet(stack):
    subnets = stack.resources(module="network", type="aws_subnet")
    public = [s for s in subnets if s.get("map_public_ip_on_launch") is True]
    assert len(public) == 1 and not public[0].repeated, (
        f"want exactly one public subnet (single, map_public_ip_on_launch = true): "
        f"{[s.where for s in public]}"
    )
    assert public[0].get("availability_zone"), f"{public[0].where}: no availability_zone"


def test_two_private_subnets_in_different_azs(stack):
    network = stack.module("network")
    private = [
        s
        for s in network.resources
        if s.type == "aws_subnet" and s.get("map_public_ip_on_launch") is not True
    ]
    assert private, "modules/network: no private subnet"
    if len(private) == 1:
        subnet = private[0]
        # one block repeated over the availability zones
        assert subnet.repeated, f"{subnet.where}: one private subnet only (want two)"
        az = str(subnet["availability_zone"])
        assert re.search(r"\[(count\.index)\]|each\.(key|value)", az), (
            f"{subnet.where}: availability_zone {az!r} must differ per instance "
            "(indexed by count.index or each)"
        )
        repeat = network.expand(subnet[subnet.repeated])
        assert re.search(r"\b2\b", repeat) and re.search(r"availability_zones|azs", repeat), (
            f"{subnet.where}: {subnet.repeated} = {repeat!r} should be two, over the AZs"
        )
    else:
        assert len(private) == 2, f"want two private subnets: {[s.where for s in private]}"
        azs = {str(s["availability_zone"]) for s in private}
        assert len(azs) == 2, f"private subnets share an availability zone: {azs}"


def test_availability_zones_must_be_distinct(stack):
    var = stack.module("network").variables["availability_zones"]
    conditions = " ".join(str(v["condition"]) for v in var.blocks("validation"))
    assert "distinct(" in conditions and ">= 2" in conditions, (
        f"{var.where}: validation must require at least two distinct zones"
    )


def test_public_route_table_routes_to_the_internet_gateway(stack):
    network = stack.module("network")
    igw = network.resource("aws_internet_gateway")
    routes = [r for r in network.resources if r.type == "aws_route"]
    default = [r for r in routes if r.get("destination_cidr_block") == "0.0.0.0/0"]
    assert len(default) == 1, f"want one default route: {[r.where for r in default]}"
    route = default[0]
    assert route["gateway_id"] == Expr(f"aws_internet_gateway.{igw.name}.id"), route.where
    assert str(route["route_table_id"]).startswith("aws_route_table.public"), route.where


def test_private_route_tables_have_no_internet_route(stack):
    network = stack.module("network")
    tables = [t for t in network.resources if t.type == "aws_route_table" and "private" in t.name]
    assert tables, "modules/network: no private route table"
    for table in tables:
        for route in table.blocks("route"):
            targets = [k for k in INTERNET_TARGETS if route.get(k)]
            assert not targets, f"{table.where}: inline route to {targets}"
        ref = f"aws_route_table.{table.name}"
        for route in (r for r in network.resources if r.type == "aws_route"):
            assert not str(route["route_table_id"]).startswith(ref), (
                f"{route.where}: a route in the private table {ref}"
            )
    assert not stack.resources(module="network", type="aws_nat_gateway")
    assert not stack.resources(module="network", type="aws_egress_only_internet_gateway")


def test_private_subnets_are_associated_with_private_tables(stack):
    network = stack.module("network")
    assoc = [a for a in network.resources if a.type == "aws_route_table_association"]
    pairs = {(str(a["subnet_id"]), str(a["route_table_id"])) for a in assoc}
    private = [(s, t) for s, t in pairs if s.startswith("aws_subnet.private")]
    assert private, f"private subnets are not associated: {pairs}"
    for subnet, table in private:
        assert table.startswith("aws_route_table.private"), (
            f"modules/network: {subnet} is associated with {table}"
        )


def test_public_subnet_is_associated_with_the_public_table(stack):
    pairs = {
        (str(a["subnet_id"]), str(a["route_table_id"]))
        for a in stack.resources(module="network", type="aws_route_table_association")
    }
    assert ("aws_subnet.public.id", "aws_route_table.public.id") in pairs, pairs


def test_default_security_group_is_stripped(stack):
    sg = stack.resource("network", "aws_default_security_group")
    assert not sg.blocks("ingress") and not sg.blocks("egress"), (
        f"{sg.where}: the default security group must have no rules"
    )


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_database_lives_in_the_private_subnets(stack, env):
    root = stack.env(env)
    assert root.effective("database", "subnet_ids") == Expr("module.network.private_subnet_ids"), (
        f"{root.module_calls['database'].where}: subnet_ids must be the private subnets"
    )
    assert root.effective("compute", "subnet_id") == Expr("module.network.public_subnet_id"), (
        f"{root.module_calls['compute'].where}: the web server goes in the public subnet"
    )
