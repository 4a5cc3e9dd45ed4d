"""A VPC is a network namespace of its own: a bridge per subnet holding the gateway, local
routes between subnets, interfaces in other namespaces with the private IPs asked for;
two VPCs (even with one CIDR, one id) never meet. Errors name the resource."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from harness.network import netns
from harness.network.netns import NetworkError, Owner
from harness.network.probe import probe
from harness.network.vpc import Vpc
from harness.wait import wait_for


def addresses(ns: str | int) -> dict[str, list[str]]:
    out = json.loads(netns.ip(ns, "-json", "addr", "show", what="addresses"))
    return {
        link["ifname"]: [
            f"{a['local']}/{a['prefixlen']}" for a in link["addr_info"] if a["family"] == "inet"
        ]
        for link in out
        if link["ifname"] != "lo"
    }


@pytest.fixture
def vpc(owner):
    tag, root = owner
    vpc = Vpc.create("vpc-0a1", "10.0.0.0/16", tag, state_root=root)
    vpc.add_subnet("subnet-a", "10.0.1.0/24")
    vpc.add_subnet("subnet-b", "10.0.2.0/24")
    return vpc


def test_subnets_have_a_bridge_with_their_gateway_and_interfaces_their_private_ip(vpc, make_ns):
    web = make_ns("web")
    iface = vpc.attach("eni-web", "subnet-a", "10.0.1.10", web)
    inside = addresses(vpc.ns)
    assert inside[vpc.subnets["subnet-a"].bridge] == ["10.0.1.1/24"]
    assert inside[vpc.subnets["subnet-b"].bridge] == ["10.0.2.1/24"]
    assert iface.link in inside  # the VPC side of the interface: routed, no address
    assert addresses(web) == {"eth0": ["10.0.1.10/24"]}
    routes = json.loads(netns.ip(web, "-json", "route", "show", "default", what="routes"))
    assert routes[0]["gateway"] == "10.0.1.1"
    assert probe(web, "10.0.1.1", 9) == "refused"  # the gateway answers (a RST: reached)


def test_subnets_of_a_vpc_route_locally(vpc, make_ns, serve):
    web, db = make_ns("web"), make_ns("db")
    vpc.attach("eni-web", "subnet-a", "10.0.1.10", web)
    vpc.attach("eni-db", "subnet-b", "10.0.2.10", db)
    serve(db, "10.0.2.10", 3306, "db")
    assert probe(web, "10.0.2.10", 3306) == "db"
    vpc.detach("eni-db")
    assert probe(web, "10.0.2.10", 3306) == "timeout"  # nobody answers ARP there now
    assert "eth0" not in addresses(db)  # both ends of the veth went


def test_two_vpcs_with_one_cidr_and_one_id_stay_apart(owner, make_ns, serve, tmp_path):
    tag, root = owner
    other_tag = Owner(tag.tag + "b")  # a second emulator
    one = Vpc.create("vpc-same", "10.0.0.0/16", tag, state_root=root)
    two = Vpc.create("vpc-same", "10.0.0.0/16", other_tag, state_root=root)
    try:
        assert one.ns != two.ns
        for vpc, name in ((one, "one"), (two, "two")):
            vpc.add_subnet("subnet-a", "10.0.1.0/24")
            server, client = make_ns(f"{name}-srv"), make_ns(f"{name}-cli")
            vpc.attach("eni-srv", "subnet-a", "10.0.1.10", server)
            vpc.attach("eni-cli", "subnet-a", "10.0.1.20", client)
            serve(server, "10.0.1.10", 80, name)
        assert probe(netns.namespace_name(tag, "one-cli"), "10.0.1.10", 80) == "one"
        assert probe(netns.namespace_name(tag, "two-cli"), "10.0.1.10", 80) == "two"
    finally:
        two.destroy()


def test_bad_addresses_and_subnets_are_errors_naming_the_resource(vpc, make_ns):
    web = make_ns("web")
    with pytest.raises(NetworkError, match=r"eni-x: 10\.0\.3\.5 is outside subnet subnet-a"):
        vpc.attach("eni-x", "subnet-a", "10.0.3.5", web)
    with pytest.raises(NetworkError, match=r"eni-x: 10\.0\.1\.1 is reserved in subnet subnet-a"):
        vpc.attach("eni-x", "subnet-a", "10.0.1.1", web)
    with pytest.raises(NetworkError, match="eni-x: no subnet subnet-z in vpc-0a1"):
        vpc.attach("eni-x", "subnet-z", "10.0.1.5", web)
    with pytest.raises(NetworkError, match=r"subnet-c: 10\.1\.0\.0/24 is not inside vpc-0a1"):
        vpc.add_subnet("subnet-c", "10.1.0.0/24")
    with pytest.raises(NetworkError, match="subnet-c: 10.0.1.0/25 overlaps subnet-a's"):
        vpc.add_subnet("subnet-c", "10.0.1.0/25")
    vpc.attach("eni-web", "subnet-a", "10.0.1.10", web)
    with pytest.raises(NetworkError, match=r"eni-y: 10\.0\.1\.10 is eni-web's already"):
        vpc.attach("eni-y", "subnet-a", "10.0.1.10", make_ns("y"))


def test_a_missing_target_or_a_taken_name_is_an_error_naming_it(vpc, owner):
    tag, root = owner
    before = set(addresses(vpc.ns))
    with pytest.raises(NetworkError, match="interface eni-x .*fsnet-nowhere"):
        vpc.attach("eni-x", "subnet-a", "10.0.1.30", "/run/netns/fsnet-nowhere")
    assert set(addresses(vpc.ns)) == before  # nothing half-made left in the VPC
    with pytest.raises(NetworkError, match=f"namespace {vpc.ns} exists already"):
        Vpc.create("vpc-0a1", "10.9.0.0/16", tag, state_root=root)
    assert netns.exists(vpc.ns)  # the failed create left the first one alone


def test_an_interface_goes_into_a_process_namespace_given_by_pid(vpc, make_ns, serve):
    """As for a container: its namespace is its leader's, named by pid (or path)."""
    holder = subprocess.Popen(["unshare", "--net", "sleep", "60"])
    try:
        ours = os.readlink("/proc/self/ns/net")
        wait_for(
            lambda: os.readlink(f"/proc/{holder.pid}/ns/net") != ours, timeout=5, what="unshare"
        )
        vpc.attach("eni-c", "subnet-a", "10.0.1.40", holder.pid)
        assert addresses(holder.pid) == {"eth0": ["10.0.1.40/24"]}
        web = make_ns("web")
        vpc.attach("eni-web", "subnet-b", "10.0.2.10", web)
        serve(web, "10.0.2.10", 80, "web")
        assert probe(holder.pid, "10.0.2.10", 80) == "web"
        vpc.detach("eni-c")
        assert addresses(holder.pid) == {}
    finally:
        holder.kill()
        holder.wait()
