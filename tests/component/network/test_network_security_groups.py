"""Security groups enforced for real, by nftables in the VPC's namespace: a TCP server in
one namespace, clients in others; ingress and egress, CIDR and referenced-group rules,
stateful replies, and a rule change enforced well within 2 s (the latency is printed)."""

from __future__ import annotations

import socket
import time

import pytest

from harness.network import netns
from harness.network import security_groups as sg
from harness.network.probe import probe, until
from harness.network.vpc import Vpc

ALL_OUT = [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]


def group(group_id: str, ingress: list[dict], egress: list[dict] | None = None) -> dict:
    return {
        "GroupId": group_id,
        "IpPermissions": ingress,
        "IpPermissionsEgress": ALL_OUT if egress is None else egress,
    }


def tcp(port: int, *, cidr: str | None = None, group_id: str | None = None) -> dict:
    rule: dict = {"IpProtocol": "tcp", "FromPort": port, "ToPort": port}
    if cidr:
        rule["IpRanges"] = [{"CidrIp": cidr}]
    if group_id:
        rule["UserIdGroupPairs"] = [{"GroupId": group_id}]
    return rule


@pytest.fixture
def net(owner, make_ns, serve):
    """web (10.0.1.10, sg-web), other (10.0.1.20, sg-other) in a public subnet; db
    (10.0.2.10, sg-db) in a private one serving 3306 and 22, web serving 80."""
    tag, root = owner
    vpc = Vpc.create("vpc-sg", "10.0.0.0/16", tag, state_root=root)
    vpc.add_subnet("subnet-pub", "10.0.1.0/24")
    vpc.add_subnet("subnet-priv", "10.0.2.0/24")
    ns = {name: make_ns(name) for name in ("web", "other", "db")}
    vpc.attach("eni-web", "subnet-pub", "10.0.1.10", ns["web"], groups=["sg-web"])
    vpc.attach("eni-other", "subnet-pub", "10.0.1.20", ns["other"], groups=["sg-other"])
    vpc.attach("eni-db", "subnet-priv", "10.0.2.10", ns["db"], groups=["sg-db"])
    serve(ns["db"], "10.0.2.10", 3306, "mysql")
    serve(ns["db"], "10.0.2.10", 22, "ssh")
    serve(ns["web"], "10.0.1.10", 80, "web")
    return vpc, ns


def test_a_cidr_rule_lets_in_only_its_port_and_its_sources(net):
    vpc, ns = net
    groups = [
        group("sg-web", [tcp(80, cidr="10.0.1.20/32")]),
        group("sg-other", []),
        group("sg-db", [tcp(3306, cidr="10.0.1.0/24")]),
    ]
    sg.apply(vpc.ns, groups, vpc.ports())
    assert probe(ns["web"], "10.0.2.10", 3306) == "mysql"  # replies pass: stateful
    assert probe(ns["web"], "10.0.2.10", 22) == "timeout"  # port not allowed: dropped
    assert probe(ns["other"], "10.0.1.10", 80) == "web"  # same subnet: still enforced
    assert probe(ns["db"], "10.0.1.10", 80) == "timeout"  # 10.0.2.10 not a source of 80


def test_egress_rules_are_enforced_and_replies_need_no_egress_rule(net):
    vpc, ns = net
    groups = [
        group("sg-web", [], egress=[tcp(3306, cidr="10.0.2.0/24")]),
        group("sg-other", []),
        group("sg-db", [tcp(3306, cidr="10.0.0.0/16"), tcp(22, cidr="10.0.0.0/16")], egress=[]),
    ]
    sg.apply(vpc.ns, groups, vpc.ports())
    # db may send nothing, yet its replies come back; web may reach 3306 only
    assert probe(ns["web"], "10.0.2.10", 3306) == "mysql"
    assert probe(ns["web"], "10.0.2.10", 22) == "timeout"
    assert probe(ns["other"], "10.0.2.10", 22) == "ssh"


def test_a_referenced_group_rule_follows_membership(net):
    vpc, ns = net
    groups = [
        group("sg-web", []),
        group("sg-other", []),
        group("sg-db", [tcp(3306, group_id="sg-web")]),
    ]
    sg.apply(vpc.ns, groups, vpc.ports())
    assert probe(ns["web"], "10.0.2.10", 3306) == "mysql"
    assert probe(ns["other"], "10.0.2.10", 3306) == "timeout"
    vpc.set_groups("eni-other", ["sg-other", "sg-web"])  # ModifyNetworkInterfaceAttribute
    sg.apply(vpc.ns, groups, vpc.ports())
    assert probe(ns["other"], "10.0.2.10", 3306) == "mysql"


def test_no_groups_no_traffic_and_unknown_groups_allow_nothing(net):
    vpc, ns = net
    sg.apply(vpc.ns, [group("sg-web", [])], vpc.ports())  # sg-db unknown: nothing in
    assert probe(ns["web"], "10.0.2.10", 3306) == "timeout"
    assert probe(ns["other"], "10.0.1.10", 80) == "timeout"  # sg-other unknown: nothing out


def test_a_rule_change_is_enforced_within_two_seconds(net):
    vpc, ns = net
    closed = [group("sg-web", []), group("sg-other", []), group("sg-db", [])]
    opened = [group("sg-web", []), group("sg-other", []), group("sg-db", [tcp(3306, cidr="10.0.1.10/32")])]  # fmt: skip
    sg.apply(vpc.ns, closed, vpc.ports())
    assert probe(ns["web"], "10.0.2.10", 3306) == "timeout"
    t0 = time.monotonic()
    load = sg.apply(vpc.ns, opened, vpc.ports())  # Authorize
    opened_after = until(ns["web"], "10.0.2.10", 3306, "mysql", limit=2.0)
    authorize = time.monotonic() - t0
    t0 = time.monotonic()
    sg.apply(vpc.ns, closed, vpc.ports())  # Revoke
    until(ns["web"], "10.0.2.10", 3306, "timeout", limit=2.0)
    revoke = time.monotonic() - t0
    print(
        f"\nrule change to enforcement: authorize {authorize * 1000:.0f} ms "
        f"(nft load {load * 1000:.0f} ms, first probe {opened_after * 1000:.0f} ms), "
        f"revoke {revoke * 1000:.0f} ms (incl. a 200 ms probe timeout)"
    )
    assert authorize < 2.0 and revoke < 2.0


def test_a_tracked_connection_outlives_a_revoke_as_on_aws(net):
    vpc, ns = net
    groups = [group("sg-web", []), group("sg-other", []), group("sg-db", [tcp(22, cidr="10.0.1.10/32")])]  # fmt: skip
    sg.apply(vpc.ns, groups, vpc.ports())
    sock = netns.in_netns(ns["web"], socket.create_connection, ("10.0.2.10", 22), 1)
    with sock:
        assert sock.recv(10) == b"ssh\n"
        sg.apply(
            vpc.ns, [group("sg-web", []), group("sg-other", []), group("sg-db", [])], vpc.ports()
        )
        sock.sendall(b"still\n")
        assert sock.recv(10) == b"still\n"  # the server's echo: the tracked flow goes on
    assert probe(ns["web"], "10.0.2.10", 22) == "timeout"  # a new connection does not


def test_a_ruleset_nft_refuses_is_an_error_naming_the_namespace(net):
    vpc, _ = net
    bad = [group("sg-db", [{"IpProtocol": "tcp", "FromPort": 70000, "ToPort": 70000, "IpRanges": [{"CidrIp": "10.0.0.0/16"}]}])]  # fmt: skip
    with pytest.raises(netns.NetworkError, match=f"namespace {vpc.ns}: security groups"):
        sg.apply(vpc.ns, bad, vpc.ports())


def test_the_vpc_router_itself_is_outside_security_groups_as_imds_is(net, serve):
    """Where the metadata service (and a resolver) will listen: the gateway address, on the
    router's own input path, which no group filters, as on EC2."""
    vpc, ns = net
    serve(vpc.ns, "10.0.1.1", 8080, "metadata")
    nothing = [group("sg-web", [], egress=[]), group("sg-other", [], egress=[]), group("sg-db", [], egress=[])]  # fmt: skip
    sg.apply(vpc.ns, nothing, vpc.ports())
    assert probe(ns["web"], "10.0.1.1", 8080) == "metadata"
    assert probe(ns["web"], "10.0.2.10", 3306) == "timeout"


def test_an_interface_sends_from_its_own_address_only(net):
    """EC2's source check: an instance that gives itself another address (a container may
    change its own interface) gets nothing through, whatever its groups allow. UDP: a
    spoofed datagram needs no reply to arrive."""
    vpc, ns = net
    udp = {"IpProtocol": "udp", "FromPort": 5353, "ToPort": 5353, "IpRanges": [{"CidrIp": "10.0.0.0/16"}]}  # fmt: skip
    groups = [group("sg-web", []), group("sg-other", []), group("sg-db", [udp])]
    sg.apply(vpc.ns, groups, vpc.ports())
    netns.ip(ns["web"], "addr", "add", "10.0.1.99/32", "dev", "eth0", what="a spoofed address")
    server = netns.in_netns(ns["db"], socket.socket, socket.AF_INET, socket.SOCK_DGRAM)
    server.bind(("10.0.2.10", 5353))
    server.settimeout(1.0)

    def send_from(source: str) -> None:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.bind((source, 0))
            sock.sendto(source.encode(), ("10.0.2.10", 5353))

    def received() -> list[str]:
        got = []
        try:
            while True:
                got.append(server.recv(100).decode())
        except TimeoutError:
            return got

    try:
        netns.in_netns(ns["web"], send_from, "10.0.1.99")
        netns.in_netns(ns["web"], send_from, "10.0.1.10")
        assert received() == ["10.0.1.10"]
    finally:
        server.close()
