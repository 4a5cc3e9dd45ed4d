"""Reachability on the main stack: what the internet, the instance and the database reach.

On the emulator every VPC is a real network (harness/instances/networking.py): the probes
are TCP handshakes from an internet client at an address of our choosing (the operator's,
inside operator_cidr, or a stranger's), from the instance's namespace, or from the
database's ENI. A dropped packet (a security group, a route to nowhere) reads ``timeout``,
no route ``unreachable``.

On AWS the runner plays the operator (its address is operator_cidr there): the internet
tests from the operator run there too. A stranger's address, and probes from inside the
instance or the database subnet, need a vantage point the runner has not: emulator only.
"""

from __future__ import annotations

import socket

import pytest

from harness.instances import internet_access
from harness.instances.networking import RDS_ENI
from harness.network.services import API_ADDRESS
from harness.stack.deployment import OPERATOR_ADDRESS

pytestmark = pytest.mark.integration
STRANGER = "192.0.2.200"  # TEST-NET-1: outside operator_cidr


def _from_runner(host: str, port: int) -> str:
    try:
        socket.create_connection((host, port), timeout=5).close()
    except TimeoutError:
        return "timeout"
    except ConnectionRefusedError:
        return "refused"
    return "open"


def reach(deployment, source: str, host: str, port: int) -> str:
    if deployment.moto is None:  # AWS: the runner is the operator
        assert source == OPERATOR_ADDRESS, "AWS: only the operator's view can be probed"
        return _from_runner(host, port)
    return internet_access.probe(deployment.moto.url, source, host, port)


@pytest.fixture(scope="module")
def public_ip(deployment) -> str:
    return deployment.outputs["instance_public_ip"]


def test_http_is_open_to_the_operator(deployment, public_ip):
    assert reach(deployment, OPERATOR_ADDRESS, public_ip, 80) == "open"


@pytest.mark.emulator_only
def test_http_is_open_to_a_stranger(deployment, public_ip):
    assert reach(deployment, STRANGER, public_ip, 80) == "open"


def test_ssh_is_open_to_the_operator(deployment, public_ip):
    assert reach(deployment, OPERATOR_ADDRESS, public_ip, 22) == "open"


@pytest.mark.emulator_only
def test_ssh_is_closed_to_a_stranger(deployment, public_ip):
    assert reach(deployment, STRANGER, public_ip, 22) == "timeout"


@pytest.mark.parametrize("port", ["db", 443, 8080])
def test_every_other_port_of_the_instance_is_closed(deployment, public_ip, port):
    port = int(deployment.outputs["db_port"]) if port == "db" else port
    assert reach(deployment, OPERATOR_ADDRESS, public_ip, port) == "timeout"


@pytest.mark.emulator_only
def test_the_database_is_not_on_the_internet(deployment):
    """It has no public address: its private one is routed nowhere from outside."""
    db = _db_eni(deployment)
    got = reach(deployment, OPERATOR_ADDRESS, db["PrivateIpAddress"], int(deployment.outputs["db_port"]))  # fmt: skip
    assert got in ("unreachable", "timeout")


# ------------------------------------------------------------ from the inside


def _from_instance(deployment, host: str, port: int) -> str:
    """A TCP handshake from inside the instance (its namespace, its security groups)."""
    script = (
        "import socket,sys\n"
        "try:\n"
        f"    socket.create_connection(({host!r}, {port}), timeout=3).close(); print('open')\n"
        "except TimeoutError: print('timeout')\n"
        "except ConnectionRefusedError: print('refused')\n"
        "except OSError as e: print('unreachable' if e.errno in (101, 113) else e)\n"
    )
    return deployment.instance.exec("python3", "-c", script, check=True).stdout.strip()


def _db_eni(deployment) -> dict:
    dbid = deployment.outputs["db_address"].split(".")[0]
    enis = deployment.client("ec2").describe_network_interfaces()["NetworkInterfaces"]
    mine = [e for e in enis if e.get("Description") == f"{RDS_ENI} {dbid}"]
    assert len(mine) == 1, [e.get("Description") for e in enis]
    return mine[0]


@pytest.mark.emulator_only
def test_the_instance_reaches_the_database_by_its_endpoint_name(deployment):
    out = deployment.outputs
    assert _from_instance(deployment, out["db_address"], int(out["db_port"])) == "open"


@pytest.mark.emulator_only
def test_the_instance_reaches_https_on_the_internet_and_nothing_else(deployment):
    assert _from_instance(deployment, API_ADDRESS, 443) == "open"
    assert _from_instance(deployment, API_ADDRESS, 25) == "timeout"  # no egress rule


@pytest.mark.emulator_only
def test_the_database_subnet_reaches_nothing_outside_the_vpc(deployment):
    eni = _db_eni(deployment)["NetworkInterfaceId"]
    assert internet_access.probe(deployment.moto.url, eni, API_ADDRESS, 443) == "unreachable"
