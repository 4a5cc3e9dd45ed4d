"""Route tables decide what leaves a VPC: a subnet whose route table sends 0.0.0.0/0 to the
internet gateway reaches "the internet" (a namespace of its own) from its public IP, and is
reached there through its public IP and its security group; a private subnet reaches
nothing outside and nothing outside reaches it."""

from __future__ import annotations

import pytest

from harness.network import routes
from harness.network import security_groups as sg
from harness.network.forwarder import Forwarder
from harness.network.probe import probe
from harness.network.vpc import Vpc

OPERATOR, STRANGER = "198.51.100.7", "203.0.113.9"
LOCAL = {"DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local"}
TO_IGW = {"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-1"}


def route_tables(public_routes: list[dict]) -> list[dict]:
    return [
        {"Associations": [{"Main": True}], "Routes": [LOCAL]},
        {"Associations": [{"SubnetId": "subnet-pub"}], "Routes": [LOCAL, *public_routes]},
    ]


@pytest.fixture
def net(owner, make_ns, serve):
    tag, root = owner
    vpc = Vpc.create("vpc-rt", "10.0.0.0/16", tag, state_root=root)
    internet = routes.Internet.create(tag, state_root=root)
    vpc.add_subnet("subnet-pub", "10.0.1.0/24")
    vpc.add_subnet("subnet-priv", "10.0.2.0/24")
    ns = {name: make_ns(name) for name in ("web", "db")}
    vpc.attach("eni-web", "subnet-pub", "10.0.1.10", ns["web"], groups=["sg-web"])
    vpc.attach("eni-db", "subnet-priv", "10.0.2.10", ns["db"], groups=["sg-web"])
    internet.connect(vpc)
    routes.apply_routes(vpc, routes.subnet_routes(route_tables([TO_IGW]), vpc.subnets, {"igw-1"}))
    # both have a public IP: only the route table keeps the private one off the internet
    routes.apply_edge(vpc, internet, {"eni-web": "54.0.0.10", "eni-db": "54.0.0.20"})
    web_sg = {
        "GroupId": "sg-web",
        "IpPermissions": [
            {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": f"{OPERATOR}/32"}]},
        ],
        "IpPermissionsEgress": [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
    }  # fmt: skip
    sg.apply(vpc.ns, [web_sg], vpc.ports())
    ns["operator"] = internet.client("operator", OPERATOR)
    ns["stranger"] = internet.client("stranger", STRANGER)
    for name, address in (("web", "10.0.1.10"), ("db", "10.0.2.10")):
        serve(ns[name], address, 80, f"{name}:80")
        serve(ns[name], address, 22, f"{name}:22")
    operator_https = serve(ns["operator"], OPERATOR, 443, "registry")
    return vpc, internet, ns, operator_https


def test_the_internet_reaches_a_public_instance_through_its_ip_and_its_group(net):
    _, _, ns, _ = net
    assert probe(ns["stranger"], "54.0.0.10", 80) == "web:80"
    assert probe(ns["operator"], "54.0.0.10", 22) == "web:22"
    assert probe(ns["stranger"], "54.0.0.10", 22) == "timeout"  # operator_cidr only


def test_a_public_instance_reaches_the_internet_from_its_public_ip(net):
    _, _, ns, registry = net
    assert probe(ns["web"], OPERATOR, 443) == "registry"
    assert registry.peers[-1] == "54.0.0.10"  # SNAT: the internet sees the public IP


def test_a_private_subnet_reaches_nothing_outside_and_is_not_reached(net):
    _, _, ns, registry = net
    assert probe(ns["db"], OPERATOR, 443) == "unreachable"  # no route to the gateway
    assert probe(ns["operator"], "54.0.0.20", 80) == "timeout"  # its public IP leads nowhere
    assert probe(ns["operator"], "10.0.2.10", 80) == "unreachable"  # private: not routed
    assert probe(ns["operator"], "10.0.1.10", 80) == "unreachable"
    assert probe(ns["web"], "10.0.2.10", 80) == "db:80"  # inside the VPC: local
    assert registry.peers == []


def test_a_route_table_change_takes_the_subnet_off_the_internet(net):
    vpc, _, ns, _ = net
    assert probe(ns["web"], OPERATOR, 443) == "registry"
    routes.apply_routes(vpc, routes.subnet_routes(route_tables([]), vpc.subnets, {"igw-1"}))
    assert probe(ns["web"], OPERATOR, 443) == "unreachable"
    assert probe(ns["stranger"], "54.0.0.10", 80) == "timeout"  # replies have no way out
    routes.apply_routes(vpc, routes.subnet_routes(route_tables([TO_IGW]), vpc.subnets, {"igw-1"}))
    assert probe(ns["web"], OPERATOR, 443) == "registry"


def test_a_route_to_a_detached_gateway_leads_nowhere(net):
    vpc, _, ns, _ = net
    routes.apply_routes(vpc, routes.subnet_routes(route_tables([TO_IGW]), vpc.subnets, set()))
    assert probe(ns["web"], OPERATOR, 443) == "unreachable"


EMULATOR = "192.0.2.10"  # the emulator's public endpoint, as the instances see it


def test_the_only_way_out_is_the_harness_forwarder_through_route_and_egress(net, serve):
    vpc, internet, ns, _ = net
    host_side = serve(None, "127.0.0.1", 0, "emulator")  # loopback of the host: the emulator
    internet.add_address(EMULATOR)
    forwarder = Forwarder(internet.ns, (EMULATOR, 443), host_side.sock.getsockname()).start()
    try:
        assert probe(ns["web"], EMULATOR, 443) == "emulator"
        assert host_side.peers == ["127.0.0.1"]  # the host saw the forwarder, nothing else
        assert probe(ns["db"], EMULATOR, 443) == "unreachable"  # private: no route
        assert probe(ns["web"], EMULATOR, 80) == "refused"  # only what is forwarded
        no_egress = {"GroupId": "sg-web", "IpPermissions": [], "IpPermissionsEgress": []}
        sg.apply(vpc.ns, [no_egress], vpc.ports())
        assert probe(ns["web"], EMULATOR, 443) == "timeout"  # egress rules decide
        assert forwarder.connections == 1
    finally:
        forwarder.stop()


def test_the_api_endpoint_terminates_tls_with_the_emulators_ca(net, serve):
    """The instances' AWS endpoint: https at an internet address, checked against the
    emulator's CA (their AWS_CA_BUNDLE), relayed in plain to the host's loopback."""
    import socket
    import ssl

    from harness.emulator.ca import emulator_ca
    from harness.network import netns
    from harness.network.services import _server_context

    vpc, internet, ns, _ = net
    host_side = serve(None, "127.0.0.1", 0, "emulator")
    internet.add_address(EMULATOR)
    tls = _server_context(EMULATOR)
    forwarder = Forwarder(internet.ns, (EMULATOR, 443), host_side.sock.getsockname(), tls=tls)
    forwarder.start()
    client = ssl.create_default_context(cadata=emulator_ca().cert_pem.decode())

    def exchange() -> bytes:
        raw = socket.create_connection((EMULATOR, 443), timeout=5)
        with client.wrap_socket(raw, server_hostname=EMULATOR) as conn:
            conn.sendall(b"ping\n")
            data = b""
            while data.count(b"\n") < 2 and (chunk := conn.recv(100)):
                data += chunk
            return data

    try:
        assert netns.in_netns(ns["web"], exchange) == b"emulator\nping\n"
        assert probe(ns["web"], EMULATOR, 443) != "emulator"  # plain text is not relayed
    finally:
        forwarder.stop()


def test_a_loopback_port_reaches_a_public_ip_as_an_internet_client(net, serve):
    """The other direction: a program on the host reaches an instance's public address
    from a client at an address of its choosing; the instance's group decides."""
    import socket

    vpc, internet, ns, _ = net
    operator, stranger = "198.51.100.8", "203.0.113.19"  # clients of this test's own
    serve(ns["web"], "10.0.1.10", 80, "web")
    web_80 = {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80}
    group = {
        "GroupId": "sg-web",
        "IpPermissions": [{**web_80, "IpRanges": [{"CidrIp": f"{operator}/32"}]}],
        "IpPermissionsEgress": [],
    }
    sg.apply(vpc.ns, [group], vpc.ports())
    routes.apply_edge(vpc, internet, {"eni-web": "54.0.0.10"})
    ways = {
        who: Forwarder(
            None,
            ("127.0.0.1", 0),
            ("54.0.0.10", 80),
            1.0,
            connect_ns=internet.client(who.replace(".", "-"), who),
        ).start()  # fmt: skip
        for who in (operator, stranger)
    }

    def banner(port: int) -> bytes:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
            conn.sendall(b"ping\n")
            try:
                return conn.recv(100)
            except ConnectionResetError:  # closed with our ping unread
                return b""

    try:
        assert banner(ways[operator].port).startswith(b"web")
        assert banner(ways[stranger].port) == b""  # dropped: the relay gave up, closed
    finally:
        for forwarder in ways.values():
            forwarder.stop()
