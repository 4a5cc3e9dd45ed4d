"""Security groups follow the EC2 API live: the emulator's API (moto) changes, the
enforcer's next poll loads the new ruleset, and connections change within 2 s: an
Authorize, a Revoke, a changed membership (the latencies are printed)."""

from __future__ import annotations

import time

import pytest

from harness.emulator.launcher import MotoServer
from harness.network.enforcer import Enforcer, ec2_sources
from harness.network.probe import probe, until
from harness.network.vpc import Vpc


@pytest.fixture(scope="module")
def moto():
    with MotoServer() as server:
        yield server


@pytest.fixture
def net(moto, owner, make_ns, serve):
    """A VPC made through the API, then made real: web and other (sg-web / sg-other) in one
    subnet, db (sg-db, serving 3306) in another; the enforcer polling every 0.25 s."""
    tag, root = owner
    ec2 = moto.client("ec2")
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = {
        cidr: ec2.create_subnet(VpcId=vpc_id, CidrBlock=cidr)["Subnet"]["SubnetId"]
        for cidr in ("10.0.1.0/24", "10.0.2.0/24")
    }
    groups = {
        name: ec2.create_security_group(
            GroupName=f"{name}-{tag.tag}", Description=name, VpcId=vpc_id
        )["GroupId"]  # fmt: skip
        for name in ("web", "other", "db")
    }
    vpc = Vpc.create(vpc_id, "10.0.0.0/16", tag, state_root=root)
    for cidr, subnet_id in subnets.items():
        vpc.add_subnet(subnet_id, cidr)
    enis, ns = {}, {}
    for name, address in (("web", "10.0.1.10"), ("other", "10.0.1.20"), ("db", "10.0.2.10")):
        subnet_id = subnets["10.0.2.0/24" if name == "db" else "10.0.1.0/24"]
        eni = ec2.create_network_interface(SubnetId=subnet_id, PrivateIpAddress=address, Groups=[groups[name]])  # fmt: skip
        enis[name] = eni["NetworkInterface"]["NetworkInterfaceId"]
        ns[name] = make_ns(name)
        vpc.attach(enis[name], subnet_id, address, ns[name])
    serve(ns["db"], "10.0.2.10", 3306, "mysql")
    enforcer = Enforcer(vpc, *ec2_sources(ec2, vpc_id), interval=0.25).start()
    yield ec2, groups, enis, ns
    enforcer.stop()
    assert enforcer.last_error == ""


def test_authorize_revoke_and_membership_follow_the_api_within_two_seconds(net):
    ec2, groups, enis, ns = net
    from_web = {"IpProtocol": "tcp", "FromPort": 3306, "ToPort": 3306, "UserIdGroupPairs": [{"GroupId": groups["web"]}]}  # fmt: skip
    assert probe(ns["web"], "10.0.2.10", 3306) == "timeout"  # a new group lets nothing in

    t0 = time.monotonic()
    ec2.authorize_security_group_ingress(GroupId=groups["db"], IpPermissions=[from_web])
    until(ns["web"], "10.0.2.10", 3306, "mysql", limit=2.0)
    authorize = time.monotonic() - t0
    assert probe(ns["other"], "10.0.2.10", 3306) == "timeout"

    t0 = time.monotonic()
    ec2.modify_network_interface_attribute(NetworkInterfaceId=enis["other"], Groups=[groups["web"]])  # fmt: skip
    until(ns["other"], "10.0.2.10", 3306, "mysql", limit=2.0)
    membership = time.monotonic() - t0

    t0 = time.monotonic()
    ec2.revoke_security_group_ingress(GroupId=groups["db"], IpPermissions=[from_web])
    until(ns["web"], "10.0.2.10", 3306, "timeout", limit=2.0)
    revoke = time.monotonic() - t0

    # a replaced rule: only web's address, by CIDR
    by_cidr = {"IpProtocol": "tcp", "FromPort": 3306, "ToPort": 3306, "IpRanges": [{"CidrIp": "10.0.1.10/32"}]}  # fmt: skip
    t0 = time.monotonic()
    ec2.authorize_security_group_ingress(GroupId=groups["db"], IpPermissions=[by_cidr])
    until(ns["web"], "10.0.2.10", 3306, "mysql", limit=2.0)
    replaced = time.monotonic() - t0
    assert probe(ns["other"], "10.0.2.10", 3306) == "timeout"
    print(
        f"\nAPI change to enforcement (poll 0.25 s): authorize {authorize * 1000:.0f} ms, "
        f"membership {membership * 1000:.0f} ms, revoke {revoke * 1000:.0f} ms "
        f"(incl. a 200 ms probe timeout), replaced rule {replaced * 1000:.0f} ms"
    )
    assert max(authorize, membership, revoke, replaced) < 2.0
