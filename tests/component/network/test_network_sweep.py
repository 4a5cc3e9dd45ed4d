"""Teardown: every namespace, bridge, veth and rule the network made goes, including after
SIGKILL of its owner (the sweeper works from the records), and a live owner's network is
left alone."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap

from harness.network import netns
from harness.network import sweep as netsweep
from harness.network.vpc import Vpc
from harness.paths import REPO_ROOT

# An owner (as an emulator would be): a VPC with a subnet and an interface into the test's
# namespace, an internet with a client, security groups and NAT; then it waits to be killed.
OWNER = """
import sys, time
from pathlib import Path
from harness.network import routes, security_groups as sg
from harness.network.netns import Owner
from harness.network.vpc import Vpc

root, target = Path(sys.argv[1]), sys.argv[2]
owner = Owner.current()  # the default tag: p<pid>
vpc = Vpc.create("vpc-k", "10.0.0.0/16", owner, state_root=root)
vpc.add_subnet("subnet-a", "10.0.1.0/24")
vpc.attach("eni-a", "subnet-a", "10.0.1.10", target, groups=["sg-a"])
internet = routes.Internet.create(owner, state_root=root)
internet.connect(vpc)
internet.client("op", "198.51.100.7")
sg.apply(vpc.ns, [{"GroupId": "sg-a", "IpPermissions": [], "IpPermissionsEgress": []}], vpc.ports())
routes.apply_edge(vpc, internet, {"eni-a": "54.0.0.1"})
print(owner.tag, flush=True)
time.sleep(600)
"""


def links(ns: str) -> list[str]:
    return [link["ifname"] for link in netns.links(ns)]


def test_sigkill_of_the_owner_leaves_nothing_after_a_sweep(owner, make_ns, tmp_path):
    _, root = owner
    target = make_ns("target")  # an instance's namespace: not the owner's, survives it
    proc = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(OWNER), str(root), target],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        tag = proc.stdout.readline().strip()
        assert tag == f"p{proc.pid}", proc.stderr.read() if proc.poll() is not None else tag
        theirs = sorted(n for n in netsweep.ours_in_netns() if n.startswith(f"fsnet-{tag}-"))
        assert theirs == [f"fsnet-{tag}-{w}" for w in ("client-op", "internet", "vpc-k")]
        vpc_ns = f"fsnet-{tag}-vpc-k"
        assert "igw0" in links(vpc_ns) and "eth0" in links(target)
        tables = json.loads(netns.run(["nsenter", f"--net=/run/netns/{vpc_ns}", "nft", "-j", "list", "tables"], "tables"))  # fmt: skip
        assert {t["table"]["name"] for t in tables["nftables"] if "table" in t} == {
            "filestore_sg",
            "filestore_edge",
        }
        assert netsweep.sweep(state_root=root, dry_run=True) == []  # its owner is alive
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        removed = netsweep.sweep(state_root=root)
        assert sorted(removed) == theirs
        assert not [n for n in netsweep.ours_in_netns() if n.startswith(f"fsnet-{tag}-")]
        assert links(target) == ["lo"]  # the veth into the surviving namespace went too
        assert sorted(p.name for p in root.iterdir()) == [f"{target}.json"]  # records gone
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        netsweep.sweep(state_root=root, owner_pid=proc.pid)


def test_a_lost_record_of_a_dead_default_owner_is_swept_by_its_name(owner, tmp_path):
    _, root = owner
    dead = subprocess.Popen(["true"])  # a pid that existed and is gone
    dead.wait()
    name = f"fsnet-p{dead.pid}-vpc-lost"
    netns.create(name, kind="vpc", state_root=root)
    netns.record_path(name, root).unlink()  # the record is lost
    try:
        assert name not in netsweep.sweep(state_root=root)  # not this root's business
        assert name in netsweep.sweep(state_root=root, strays=True)
        assert not netns.exists(name)
    finally:
        netns.destroy(name, state_root=root)


def test_destroying_a_vpc_removes_its_namespace_links_and_record(owner, make_ns):
    tag, root = owner
    target = make_ns("target")
    vpc = Vpc.create("vpc-d", "10.0.0.0/16", tag, state_root=root)
    vpc.add_subnet("subnet-a", "10.0.1.0/24")
    vpc.attach("eni-a", "subnet-a", "10.0.1.10", target)
    vpc.destroy()
    assert not netns.exists(vpc.ns) and not netns.record_path(vpc.ns, root).exists()
    assert links(target) == ["lo"]
