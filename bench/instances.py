"""Benchmark: the emulator's EC2 instances (image build, boot, lifecycle, memory).

    .venv/bin/python bench/instances.py [--cold] [--rounds 3]

Prints the image build time (cold: the cached image's own build, or a fresh build into a
temporary cache with ``--cold``; warm: finding it in the cache), then for ``--rounds``
instances, each in a public subnet of a VPC of its own (a real network: its namespace,
routes, security groups): RunInstances to the end of user_data (cloud-init finished) and to
its service answering an internet client at its public address, reboot and stop/start to
answering again, one instance's memory (its cgroup: systemd, journald, cloud-init's
leftovers, the service), and the time from a security group change in the API to its
enforcement (revoking the web port's rule: new connections dropped; authorizing it again:
they pass).
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harness.emulator.launcher import MotoServer  # noqa: E402
from harness.instances import image  # noqa: E402
from harness.instances.instance import Instance, wait_ready, web_user_data  # noqa: E402
from harness.instances.internet_access import probe  # noqa: E402
from harness.instances.public_subnet import public_subnet  # noqa: E402
from harness.wait import wait_for  # noqa: E402

PORT, CLIENT = 8080, "203.0.113.77"


def image_times(cold: bool) -> tuple[float, str, float]:
    """(cold seconds, how it was measured, warm seconds)."""
    if cold:
        with tempfile.TemporaryDirectory(prefix="image-bench-") as cache:
            t0 = time.monotonic()
            image.ensure(cache=Path(cache))
            cold_s, how = time.monotonic() - t0, "fresh build into a temporary cache"
    else:
        root = image.ensure()
        cold_s = json.loads((root.parent / "manifest.json").read_text())["built_in_s"]
        how = "the cached image's own build"
    t0 = time.monotonic()
    image.ensure()
    return cold_s, how, time.monotonic() - t0


def one_instance(moto: MotoServer) -> dict[str, float]:
    ec2 = moto.client("ec2")
    net = public_subnet(ec2, ingress_ports=(PORT,))
    address = {}

    def web(timeout: float = 0.5) -> str:
        if not address.get("ip"):  # read at launch and again after a start (a new public IP)
            desc = ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]
            address["ip"] = desc.get("PublicIpAddress", "")
        return probe(moto.url, CLIENT, address["ip"], PORT, timeout=timeout)

    def serving(what: str, since: float) -> float:
        wait_for(lambda: web() == "open", timeout=120, interval=0.1, what=what)
        return time.monotonic() - since

    t0 = time.monotonic()
    iid = ec2.run_instances(
        ImageId="ami-12c6146b",
        MinCount=1,
        MaxCount=1,
        UserData=gzip.compress(web_user_data(PORT).encode()),
        **net.launch_args(),
    )["Instances"][0]["InstanceId"]
    inst = Instance(iid)
    wait_for(inst.exists, timeout=30, what=f"{iid} on disk")
    wait_ready(inst, timeout=180, unit="web.service")
    row = {"user_data done": time.monotonic() - t0, "serving": serving("web", t0)}
    time.sleep(2)  # let the boot settle before measuring
    row["memory MiB"] = inst.memory_bytes() / 2**20
    rule = {"IpProtocol": "tcp", "FromPort": PORT, "ToPort": PORT, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}  # fmt: skip
    t0 = time.monotonic()
    ec2.revoke_security_group_ingress(GroupId=net.group_id, IpPermissions=[rule])
    wait_for(lambda: web(0.2) == "timeout", timeout=30, interval=0.05, what="the revoke")
    row["revoke enforced"] = time.monotonic() - t0
    t0 = time.monotonic()
    ec2.authorize_security_group_ingress(GroupId=net.group_id, IpPermissions=[rule])
    wait_for(lambda: web(0.2) == "open", timeout=30, interval=0.05, what="the authorize")
    row["authorize enforced"] = time.monotonic() - t0
    t0 = time.monotonic()
    ec2.reboot_instances(InstanceIds=[iid])
    wait_for(lambda: web() != "open", timeout=60, interval=0.1, what="web down")
    row["reboot"] = serving("web after reboot", t0)
    t0 = time.monotonic()
    ec2.stop_instances(InstanceIds=[iid])
    wait_for(lambda: not inst.mounted(), timeout=60, what="the stop")
    ec2.start_instances(InstanceIds=[iid])
    address.clear()  # as on EC2, the stop released its public IP: the start gives a new one
    row["stop+start"] = serving("web after start", t0)
    t0 = time.monotonic()
    ec2.terminate_instances(InstanceIds=[iid])
    wait_for(lambda: not inst.exists(), timeout=60, what="the terminate")
    row["terminate"] = time.monotonic() - t0
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cold", action="store_true", help="build a fresh image (minutes)")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    cold_s, how, warm_s = image_times(args.cold)
    print("\nemulator instance image (debootstrap bookworm + apt)")
    print(f"  cold build  {cold_s:8.1f} s   ({how})")
    print(f"  warm        {warm_s:8.3f} s   (found in the cache)")

    with MotoServer(instances=True) as moto:
        rows = [one_instance(moto) for _ in range(args.rounds)]
    print(f"\none instance at a time, median of {args.rounds}, seconds unless stated")
    for key in rows[0]:
        values = [r[key] for r in rows]
        print(f"  {key:<16}{statistics.median(values):8.1f}   (min {min(values):.1f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
