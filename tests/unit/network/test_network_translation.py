"""The pure translations of harness/network (no root, no namespace): EC2 security groups
to an nftables JSON document, route tables to each subnet's routes through the internet
gateway, the gateway's NAT, and the VPC's checks of CIDRs and addresses."""

from __future__ import annotations

import ipaddress

import pytest

from harness.network import routes
from harness.network import security_groups as sg
from harness.network.netns import NetworkError, Owner, namespace_name
from harness.network.security_groups import Port
from harness.network.vpc import Subnet, Vpc, link_name

WEB = Port("eweb", "10.0.1.10", ("sg-web",))
DB = Port("edb", "10.0.2.10", ("sg-db",))


def document(groups, ports=(WEB, DB)) -> list[dict]:
    return sg.ruleset(groups, list(ports))["nftables"]


def added(doc: list[dict], kind: str) -> list[dict]:
    return [c["add"][kind] for c in doc if kind in c.get("add", {})]


def rules(doc: list[dict], chain: str) -> list[list[dict]]:
    return [r["expr"] for r in added(doc, "rule") if r["chain"] == chain]


def matches(expr: list[dict]) -> dict:
    """{left as text: right} of a rule's matches, for short assertions."""
    out = {}
    for item in expr:
        if "match" in item:
            left = item["match"]["left"]
            key = left.get("payload", {}).get("field") or left.get("meta", {}).get("key")
            key = key or next(iter(left.get("ct", {}).values()), "?")
            out[key] = item["match"]["right"]
    return out


def perm(proto, low=None, high=None, **peers) -> dict:
    p = {"IpProtocol": proto, **peers}
    if low is not None:
        p["FromPort"], p["ToPort"] = low, high if high is not None else low
    return p


def db_group(*ingress, egress=()) -> dict:
    return {"GroupId": "sg-db", "IpPermissions": list(ingress), "IpPermissionsEgress": list(egress)}


def web_group(*ingress, egress=()) -> dict:
    return {
        "GroupId": "sg-web",
        "IpPermissions": list(ingress),
        "IpPermissionsEgress": list(egress),
    }


def test_the_document_replaces_the_whole_table_in_one_transaction():
    doc = document([db_group(), web_group()])
    table = {"family": "inet", "name": "filestore_sg"}
    assert doc[1:4] == [{"add": {"table": table}}, {"delete": {"table": table}}, {"add": {"table": table}}]  # fmt: skip
    forward = next(c for c in added(doc, "chain") if c["name"] == "forward")
    assert (forward["hook"], forward["policy"]) == ("forward", "drop")
    first, second = rules(doc, "forward")[:2]
    assert matches(first) == {"state": ["established", "related"]} and {"accept": None} in first
    assert matches(second) == {"state": "invalid"} and {"drop": None} in second


def test_each_interface_has_an_egress_and_an_ingress_chain_ending_in_drop():
    doc = document([db_group(), web_group()])
    vmaps = [e[0]["vmap"] for e in rules(doc, "forward") if "vmap" in e[0]]
    assert [v["key"]["meta"]["key"] for v in vmaps] == ["iifname", "oifname"]
    assert vmaps[0]["data"]["set"][0] == ["eweb", {"jump": {"target": "eg_eweb"}}]
    for chain in ("in_eweb", "in_edb"):
        assert rules(doc, chain) == [[{"drop": None}]]  # no rules: nothing allowed
    for chain, address in (("eg_eweb", "10.0.1.10"), ("eg_edb", "10.0.2.10")):
        source_check, last = rules(doc, chain)  # a source but its own dropped first
        assert source_check[0]["match"] == {
            "op": "!=",
            "left": {"payload": {"protocol": "ip", "field": "saddr"}},
            "right": address,
        }
        assert source_check[1:] == [{"drop": None}] and last == [{"drop": None}]


def test_tcp_port_ranges_single_ports_and_cidrs():
    doc = document(
        [
            db_group(
                perm("tcp", 3306, IpRanges=[{"CidrIp": "10.0.1.0/24"}]),
                perm("tcp", 8000, 8100, IpRanges=[{"CidrIp": "10.0.1.10/32"}]),
                perm("udp", 53, IpRanges=[{"CidrIp": "0.0.0.0/0"}]),
            ),
            web_group(),
        ]
    )
    first, second, third, last = rules(doc, "in_edb")
    assert matches(first) == {"saddr": {"prefix": {"addr": "10.0.1.0", "len": 24}}, "dport": 3306}
    assert matches(second) == {"saddr": "10.0.1.10", "dport": {"range": [8000, 8100]}}
    assert matches(third) == {"nfproto": "ipv4", "dport": 53}
    assert third[1]["match"]["left"] == {"payload": {"protocol": "udp", "field": "dport"}}
    assert {"accept": None} in first and last == [{"drop": None}]


def test_all_traffic_icmp_and_protocol_numbers():
    doc = document(
        [
            db_group(
                perm("-1", IpRanges=[{"CidrIp": "10.0.0.0/16"}]),
                perm("icmp", 8, -1, IpRanges=[{"CidrIp": "10.0.0.0/16"}]),
                perm("icmp", 3, 4, IpRanges=[{"CidrIp": "10.0.0.0/16"}]),
                perm("icmp", -1, -1, IpRanges=[{"CidrIp": "10.0.0.0/16"}]),
                perm("50", IpRanges=[{"CidrIp": "10.0.0.0/16"}]),
                perm("tcp", 0, 65535, IpRanges=[{"CidrIp": "10.0.0.0/16"}]),
                perm("gre-ish", IpRanges=[{"CidrIp": "10.0.0.0/16"}]),  # not expressible: left out
            ),
            web_group(),
        ]
    )
    got = [matches(r) for r in rules(doc, "in_edb")[:-1]]
    prefix = {"prefix": {"addr": "10.0.0.0", "len": 16}}
    assert got == [
        {"saddr": prefix},
        {"saddr": prefix, "l4proto": 1, "type": 8},
        {"saddr": prefix, "l4proto": 1, "type": 3, "code": 4},
        {"saddr": prefix, "l4proto": 1},
        {"saddr": prefix, "l4proto": 50},
        {"saddr": prefix, "l4proto": 6},
    ]


def test_egress_rules_match_the_destination_and_return_to_the_ingress_check():
    doc = document([web_group(egress=[perm("tcp", 3306, IpRanges=[{"CidrIp": "10.0.2.0/24"}])]), db_group()])  # fmt: skip
    _, rule, last = rules(doc, "eg_eweb")  # after the source check
    assert matches(rule) == {"daddr": {"prefix": {"addr": "10.0.2.0", "len": 24}}, "dport": 3306}
    assert rule[-1] == {"return": None} and last == [{"drop": None}]


def test_a_referenced_group_is_a_set_of_its_members_addresses():
    other = Port("eother", "10.0.1.20", ("sg-web", "sg-db"))
    doc = document(
        [db_group(perm("tcp", 3306, UserIdGroupPairs=[{"GroupId": "sg-web"}])), web_group()],
        ports=(WEB, DB, other),
    )
    sets = added(doc, "set")
    assert [(s["name"], s["elem"]) for s in sets] == [("sg_web", ["10.0.1.10", "10.0.1.20"])]
    assert matches(rules(doc, "in_edb")[0]) == {"saddr": "@sg_web", "dport": 3306}
    # a set is made only for a referenced group; an empty one has no elements
    doc = document([db_group(perm("tcp", 1, UserIdGroupPairs=[{"GroupId": "sg-x"}]))])
    assert added(doc, "set") == [{"family": "inet", "table": "filestore_sg", "name": "sg_x", "type": "ipv4_addr", "flags": ["interval"]}]  # fmt: skip


def test_an_interface_in_several_groups_gets_all_their_rules_and_unknown_ones_none():
    both = Port("eboth", "10.0.1.30", ("sg-web", "sg-db", "sg-gone"))
    doc = document(
        [
            web_group(perm("tcp", 80, IpRanges=[{"CidrIp": "0.0.0.0/0"}])),
            db_group(perm("tcp", 3306, IpRanges=[{"CidrIp": "10.0.0.0/16"}])),
        ],
        ports=(both,),
    )
    assert [matches(r).get("dport") for r in rules(doc, "in_eboth")] == [80, 3306, None]


def test_no_interfaces_no_jumps():
    doc = document([web_group()], ports=())
    assert len(rules(doc, "forward")) == 2  # the conntrack rules only


def test_subnets_follow_their_explicit_route_table_else_the_main_one():
    tables = [
        {
            "Associations": [{"Main": True}],
            "Routes": [{"DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local"}],
        },  # fmt: skip
        {
            "Associations": [{"SubnetId": "subnet-pub", "Main": False}],
            "Routes": [
                {"DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local"},
                {"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-1"},
                {"DestinationCidrBlock": "172.16.0.0/12", "VpcPeeringConnectionId": "pcx-1"},
                {
                    "DestinationCidrBlock": "192.0.2.0/24",
                    "GatewayId": "igw-1",
                    "State": "blackhole",
                },
            ],
        },
    ]
    got = routes.subnet_routes(tables, ["subnet-pub", "subnet-priv"], {"igw-1"})
    assert got == {"subnet-pub": ["0.0.0.0/0"], "subnet-priv": []}
    assert routes.subnet_routes(tables, ["subnet-pub"], set()) == {"subnet-pub": []}  # detached


def test_the_gateway_nat_maps_public_to_private_and_drops_the_rest():
    doc = routes.edge_ruleset({"10.0.1.10": "54.0.0.10"})["nftables"]
    pre = [c["add"]["rule"] for c in doc if c.get("add", {}).get("rule", {}).get("chain") == "pre"]
    assert pre[0]["expr"][-1]["dnat"]["addr"]["map"]["data"] == {"set": [["54.0.0.10", "10.0.1.10"]]}  # fmt: skip
    edge = [c["add"]["rule"]["expr"] for c in doc if c.get("add", {}).get("rule", {}).get("chain") == "edge"]  # fmt: skip
    assert [e[-1] for e in edge] == [{"accept": None}, {"accept": None}, {"drop": None}, {"accept": None}, {"drop": None}]  # fmt: skip
    bare = routes.edge_ruleset({})["nftables"]  # nobody public: nothing crosses
    assert not [c for c in bare if c.get("add", {}).get("rule", {}).get("chain") in ("pre", "post")]


def test_names_fit_the_kernel_and_keep_owners_apart():
    assert len(link_name("e", "eni-0123456789abcdef0")) <= 15
    assert namespace_name(Owner("p1"), "vpc-1") != namespace_name(Owner("p2"), "vpc-1")
    with pytest.raises(NetworkError, match="owner tag"):
        Owner("Bad Tag")


def test_vpc_checks_cidrs_and_addresses_before_touching_anything():
    vpc = Vpc("vpc-1", ipaddress.IPv4Network("10.0.0.0/16"), Owner("p1"))
    vpc.subnets["subnet-a"] = Subnet("subnet-a", ipaddress.IPv4Network("10.0.1.0/24"), "b", ipaddress.IPv4Address("10.0.1.1"))  # fmt: skip
    with pytest.raises(
        NetworkError, match="subnet-b: 10.1.0.0/24 is not inside vpc-1's 10.0.0.0/16"
    ):
        vpc.add_subnet("subnet-b", "10.1.0.0/24")
    with pytest.raises(NetworkError, match="subnet-b: bad CIDR"):
        vpc.add_subnet("subnet-b", "10.0.3.0/33")
    with pytest.raises(NetworkError, match="smaller than a /28"):
        vpc.add_subnet("subnet-b", "10.0.3.0/29")
    subnet = vpc.subnets["subnet-a"]
    for address, why in (("10.0.1.3", "reserved"), ("10.0.1.255", "reserved"), ("10.0.2.4", "outside"), ("x", "bad address")):  # fmt: skip
        with pytest.raises(NetworkError, match=f"eni-1: .*{why}"):
            vpc._check_address("eni-1", subnet, address)
    assert str(vpc._check_address("eni-1", subnet, "10.0.1.4")) == "10.0.1.4"


def test_each_rule_says_which_group_rule_it_enforces():
    doc = document([db_group(perm("tcp", 8000, 8100, IpRanges=[{"CidrIp": "10.0.1.0/24"}]), perm("icmp", 8, -1, UserIdGroupPairs=[{"GroupId": "sg-web"}])), web_group()])  # fmt: skip
    comments = [r.get("comment") for r in added(doc, "rule") if r["chain"] == "in_edb"]
    assert comments == [
        "sg-db ingress tcp 8000-8100 10.0.1.0/24",
        "sg-db ingress icmp 8 sg-web",
        "10.0.2.10: ingress not allowed",
    ]
