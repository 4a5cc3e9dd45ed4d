"""Benchmark: the emulator's VPC networks (harness/network): what they would add to a boot.

    .venv/bin/python bench/network.py [--rounds 5] [--interfaces 3]

Per round, in namespaces of its own (root needed; nothing in the host's namespace): a VPC
namespace with two subnets (bridges and gateways); a namespace standing for an instance and
its interface attached; the security groups loaded (``nft -j -f -``) and the latency from a
rule change to a connection that works (the load, then a new TCP connection); the internet
gateway (link, route tables, NAT); and the teardown. Prints medians (min, max). Then the
network plane on the emulator's API (``harness/network/plane.py``): its first reconcile,
attaching an ENI, and a reconcile round with nothing changed (its cost every interval).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harness.network import netns, routes  # noqa: E402
from harness.network import security_groups as sg  # noqa: E402
from harness.network import sweep as netsweep  # noqa: E402
from harness.network.netns import Owner  # noqa: E402
from harness.network.probe import Server, until  # noqa: E402
from harness.network.vpc import Vpc  # noqa: E402

WEB = {
    "GroupId": "sg-web",
    "IpPermissions": [
        {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "198.51.100.0/24"}]},
    ],
    "IpPermissionsEgress": [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
}  # fmt: skip


def db(open_: bool) -> dict:
    ingress = [{"IpProtocol": "tcp", "FromPort": 3306, "ToPort": 3306, "UserIdGroupPairs": [{"GroupId": "sg-web"}]}]  # fmt: skip
    return {
        "GroupId": "sg-db",
        "IpPermissions": ingress if open_ else [],
        "IpPermissionsEgress": [],
    }


def one_round(owner: Owner, state_root: Path, interfaces: int) -> dict[str, float]:
    row: dict[str, float] = {}
    t0 = time.monotonic()
    vpc = Vpc.create("vpc-bench", "10.0.0.0/16", owner, state_root=state_root)
    vpc.add_subnet("subnet-pub", "10.0.1.0/24")
    vpc.add_subnet("subnet-priv", "10.0.2.0/24")
    row["VPC namespace + 2 subnets"] = time.monotonic() - t0
    try:
        attach, made = [], []
        for n in range(interfaces):
            t0 = time.monotonic()
            ns = netns.create(netns.namespace_name(owner, f"i{n}"), kind="bench", state_root=state_root)  # fmt: skip
            made.append(time.monotonic() - t0)
            subnet, address = ("subnet-priv", "10.0.2.10") if n == 0 else ("subnet-pub", f"10.0.1.{10 + n}")  # fmt: skip
            t0 = time.monotonic()
            vpc.attach(f"eni-{n}", subnet, address, ns, groups=["sg-db" if n == 0 else "sg-web"])
            attach.append(time.monotonic() - t0)
        row["instance namespace"] = statistics.median(made)
        row["interface attach"] = statistics.median(attach)
        server = Server(netns.namespace_name(owner, "i0"), "10.0.2.10", 3306, "mysql")
        client = netns.namespace_name(owner, "i1")
        row["SG load (closed)"] = sg.apply(vpc.ns, [WEB, db(False)], vpc.ports())
        t0 = time.monotonic()
        row["SG load (opened)"] = sg.apply(vpc.ns, [WEB, db(True)], vpc.ports())
        until(client, "10.0.2.10", 3306, "mysql", limit=5)
        row["rule change to a working connection"] = time.monotonic() - t0
        server.close()
        t0 = time.monotonic()
        internet = routes.Internet.create(owner, state_root=state_root)
        internet.connect(vpc)
        igw = {"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-1"}
        tables = [
            {"Associations": [{"Main": True}], "Routes": []},
            {"Associations": [{"SubnetId": "subnet-pub"}], "Routes": [igw]},
        ]
        routes.apply_routes(vpc, routes.subnet_routes(tables, vpc.subnets, {"igw-1"}))
        routes.apply_edge(vpc, internet, {"eni-1": "54.0.0.11"})
        row["internet gateway (link, routes, NAT)"] = time.monotonic() - t0
    finally:
        t0 = time.monotonic()
        netsweep.sweep(owner_tag=owner.tag, state_root=state_root)
        row["teardown (all namespaces)"] = time.monotonic() - t0
    return row


def through_the_api(owner: Owner, state_root: Path, interfaces: int) -> dict[str, float]:
    """The plane on the emulator's API: first reconcile (the VPC and moto's default VPC
    made), an ENI attached (its reconcile included), a reconcile with nothing changed."""
    from harness.emulator.launcher import MotoServer
    from harness.network.plane import NetworkPlane

    row: dict[str, float] = {}
    with MotoServer() as moto:
        ec2 = moto.client("ec2")
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
        igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
        plane = NetworkPlane(ec2, owner, state_root=state_root)
        try:
            t0 = time.monotonic()
            plane.reconcile()
            row["plane: first reconcile (2 VPCs)"] = time.monotonic() - t0
            attach = []
            for n in range(interfaces):
                eni = ec2.create_network_interface(SubnetId=subnet, PrivateIpAddress=f"10.0.1.{10 + n}")["NetworkInterface"]  # fmt: skip
                ns = netns.create(netns.namespace_name(owner, f"a{n}"), kind="bench", state_root=state_root)  # fmt: skip
                t0 = time.monotonic()
                plane.attach(eni["NetworkInterfaceId"], ns)
                attach.append(time.monotonic() - t0)
            row["plane: attach an ENI (+ reconcile)"] = statistics.median(attach)
            rounds = []
            for _ in range(5):
                t0 = time.monotonic()
                plane.reconcile()
                rounds.append(time.monotonic() - t0)
            row["plane: reconcile, nothing changed"] = statistics.median(rounds)
        finally:
            plane.close()
            netsweep.sweep(owner_tag=owner.tag, state_root=state_root)
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--interfaces", type=int, default=3)
    args = parser.parse_args()
    netns.require()
    with tempfile.TemporaryDirectory(prefix="network-bench-") as state_root:
        rows = [
            one_round(Owner(f"b{os.getpid()}r{n}"), Path(state_root), max(2, args.interfaces))
            for n in range(args.rounds)
        ]
        api = through_the_api(Owner(f"b{os.getpid()}api"), Path(state_root), args.interfaces)
    print(f"\nemulator VPC networks, median of {args.rounds} rounds, milliseconds")
    for key in rows[0]:
        values = [r[key] * 1000 for r in rows]
        print(
            f"  {key:<38}{statistics.median(values):8.1f}   "
            f"(min {min(values):.1f}, max {max(values):.1f})"
        )
    print(f"\nthrough the emulator's API (moto), {args.interfaces} interfaces, milliseconds")
    for key, value in api.items():
        print(f"  {key:<38}{value * 1000:8.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
