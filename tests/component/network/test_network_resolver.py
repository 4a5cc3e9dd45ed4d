"""The VPC's resolver: an RDS endpoint resolves to the database's private IP inside the
VPC only; other names go upstream from the host's side; no security group stands in the
way (as AWS's .2), and the internet cannot reach it."""

from __future__ import annotations

import socket
import threading

import pytest

from harness.network import netns, routes
from harness.network import resolver as dns
from harness.network import security_groups as sg
from harness.network.probe import probe
from harness.network.vpc import Vpc

ENDPOINT = "filestore-db.abc123.us-east-1.rds.amazonaws.com"


def ask(ns: str, server: str, name: str, timeout: float = 1.0) -> bytes | str:
    def attempt():
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(timeout)
            try:
                s.connect((server, 53))  # connected: an ICMP error reaches us
                s.send(dns.query(name))
                return s.recv(4096)
            except TimeoutError:
                return "timeout"
            except OSError as exc:
                return "unreachable" if exc.errno in (101, 113) else repr(exc)

    return netns.in_netns(ns, attempt)


@pytest.fixture
def upstream():
    """A stand-in for the host's resolver, on the host's loopback: every name is 192.0.2.99."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))

    def serve():
        while True:
            try:
                packet, peer = sock.recvfrom(4096)
            except OSError:
                return
            sock.sendto(dns.answer(packet, "192.0.2.99"), peer)

    threading.Thread(target=serve, daemon=True).start()
    yield sock.getsockname()
    sock.close()


def test_names_resolve_inside_the_vpc_only(owner, make_ns, upstream):
    tag, root = owner
    vpc = Vpc.create("vpc-dns", "10.0.0.0/16", tag, state_root=root)
    vpc.add_subnet("subnet-pub", "10.0.1.0/24")
    vpc.add_subnet("subnet-priv", "10.0.2.0/24")
    web, db = make_ns("web"), make_ns("db")
    vpc.attach("eni-web", "subnet-pub", "10.0.1.10", web, groups=["sg-none"])
    vpc.attach("eni-db", "subnet-priv", "10.0.2.10", db, groups=["sg-none"])
    nothing = {"GroupId": "sg-none", "IpPermissions": [], "IpPermissionsEgress": []}
    sg.apply(vpc.ns, [nothing], vpc.ports())  # no egress at all: the resolver still answers
    internet = routes.Internet.create(tag, state_root=root)
    internet.connect(vpc)
    stranger = internet.client("stranger", "203.0.113.9")
    address = dns.resolver_address("10.0.0.0/16")
    resolver = dns.Resolver(vpc.ns, address, {ENDPOINT: "10.0.2.10"}, upstream).start()
    try:
        reply = ask(web, address, ENDPOINT.upper())
        assert dns.addresses(reply) == ["10.0.2.10"]
        assert dns.addresses(ask(db, address, "deb.debian.org")) == ["192.0.2.99"]  # upstream
        assert ask(stranger, address, ENDPOINT, timeout=0.5) == "timeout"
        assert probe(stranger, address, 53) == "unreachable"  # the internet has no route to it
        resolver.set_records({})
        resolver.upstream = None
        assert dns.rcode(ask(web, address, ENDPOINT)) == dns.NXDOMAIN
    finally:
        resolver.stop()
