"""The data plane's network wiring, without a namespace: the addresses it picks, the boot
files it writes, the emulator's /_filestore/network routes and their bad input."""

from __future__ import annotations

import io
import ipaddress
import json
import threading

import pytest

from harness.instances.instance import (
    API_CA_FILE,
    ENDPOINTS_DROPIN,
    RDS_CA_FILE,
    BootFiles,
    Instance,
)
from harness.instances.internet_access import PREFIX, NetworkAccessApp
from harness.instances.networking import _free_address
from harness.network.forwarder import Forwarder
from harness.network.netns import NetworkError
from harness.network.services import API_ADDRESS, InternetServices


def test_the_internet_services_have_addresses_of_their_own():
    records = InternetServices.records()
    assert set(records) == {"deb.debian.org", "pypi.org", "files.pythonhosted.org"}
    addresses = [API_ADDRESS, *records.values()]
    assert len(set(addresses)) == len(addresses)
    test_net_2 = ipaddress.ip_network("198.51.100.0/24")
    assert all(ipaddress.ip_address(a) in test_net_2 for a in addresses)
    assert InternetServices.api_url == f"https://{API_ADDRESS}"


def test_a_databases_address_is_the_highest_free_one_never_a_reserved_one():
    assert _free_address("10.0.10.0/24", set()) == "10.0.10.254"  # .255: broadcast
    assert _free_address("10.0.10.0/24", {"10.0.10.254"}) == "10.0.10.253"
    full = {f"10.0.10.{i}" for i in range(4, 15)}
    with pytest.raises(NetworkError, match="no free address left in 10.0.10.0/28"):
        _free_address("10.0.10.0/28", full)


def test_a_forwarder_on_the_host_listens_on_loopback_only():
    with pytest.raises(NetworkError, match="loopback only, not 0.0.0.0"):
        Forwarder(None, ("0.0.0.0", 0), ("198.51.100.10", 443))


def test_boot_files_name_the_vpcs_resolver_and_the_emulators_ca(tmp_path):
    inst = Instance("i-0123456789abcdef0", root=tmp_path)
    (inst.merged / "etc").mkdir(parents=True)
    (inst.merged / "etc/resolv.conf").symlink_to("/run/systemd/resolve/stub-resolv.conf")
    inst.write_boot_files(
        BootFiles(
            instance_id=inst.id,
            hostname="ip-10-0-0-4.ec2.internal",
            user_data=b"#!/bin/sh\n",
            environment={"AWS_CA_BUNDLE": "/" + API_CA_FILE},
            nameserver="10.0.0.2",
            ca=b"PEM",
        )
    )
    resolv = inst.merged / "etc/resolv.conf"
    assert not resolv.is_symlink() and resolv.read_text() == "nameserver 10.0.0.2\n"
    hosts = (inst.merged / "etc/hosts").read_text()
    assert "127.0.1.1\tip-10-0-0-4.ec2.internal ip-10-0-0-4" in hosts
    assert "rds" not in hosts  # names resolve in the VPC, not here
    assert (inst.merged / RDS_CA_FILE).read_bytes() == (inst.merged / API_CA_FILE).read_bytes()
    dropin = (inst.merged / ENDPOINTS_DROPIN).read_text()
    assert f'DefaultEnvironment="AWS_CA_BUNDLE=/{API_CA_FILE}"' in dropin


class FakeNetworks:
    def __init__(self, error: Exception | None = None) -> None:
        self.calls: list[tuple] = []
        self.error = error

    def connect(self, source, host, port):
        if self.error:
            raise self.error
        self.calls.append(("connect", source, host, port))
        return 40001

    def probe(self, source, host, port, timeout=2.0):
        self.calls.append(("probe", source, host, port, timeout))
        return "timeout"


def _get(app, path: str, query: str = "") -> tuple[str, dict | bytes]:
    seen: list[str] = []
    environ = {"PATH_INFO": path, "QUERY_STRING": query, "wsgi.input": io.BytesIO()}
    body = b"".join(app(environ, lambda status, headers: seen.append(status)))
    try:
        return seen[0], json.loads(body)
    except ValueError:
        return seen[0], body


def _moto(environ, start_response):
    start_response("200 OK", [])
    return [b"moto"]


def test_the_routes_connect_and_probe_for_the_caller():
    networks = FakeNetworks()
    app = NetworkAccessApp(_moto, networks)
    query = "from=203.0.113.10&host=54.1.2.3&port=80"
    assert _get(app, PREFIX + "connect", query) == ("200 OK", {"port": 40001})
    assert _get(app, PREFIX + "probe", query + "&timeout=0.2") == ("200 OK", {"result": "timeout"})
    assert networks.calls == [
        ("connect", "203.0.113.10", "54.1.2.3", 80),
        ("probe", "203.0.113.10", "54.1.2.3", 80, 0.2),
    ]
    assert _get(app, "/", "Action=DescribeVpcs") == ("200 OK", b"moto")  # the APIs: moto's


@pytest.mark.parametrize(
    ("path", "query", "status", "says"),
    [
        (PREFIX + "connect", "from=203.0.113.10&host=54.1.2.3", "400", "from, host and port"),
        (PREFIX + "probe", "from=x&host=y&port=eighty", "400", "from, host and port"),
        (PREFIX + "tunnel", "from=x&host=y&port=1", "404", "no route"),
        (PREFIX + "connect", "from=x&host=y&port=1", "500", "internet client x: bad address"),
    ],
)
def test_bad_requests_get_a_clear_error_and_change_nothing(path, query, status, says):
    networks = FakeNetworks(error=NetworkError("internet client x: bad address 'x'"))
    got_status, body = _get(NetworkAccessApp(_moto, networks), path, query)
    assert got_status.startswith(status) and says in body["error"]
    assert networks.calls == []


def test_one_databases_trouble_holds_up_no_other_database_and_no_instance(caplog):
    """A database whose interface cannot be made is said once and retried; the others
    (and the instances the data plane boots after ``sync``) go on."""
    from harness.instances.networking import DatabaseNet, InstanceNetworks

    class Networks(InstanceNetworks):
        def __init__(self) -> None:  # no plane, no namespace: the bookkeeping only
            self.databases, self.resolvers, self._errors = {}, {}, {}
            self._lock = threading.RLock()

        def _add_database(self, db):
            if db["DBInstanceIdentifier"] == "broken":
                raise NetworkError("subnet-1: no free address left in 10.0.10.0/28")
            return DatabaseNet("ns", "eni-1", "10.0.10.14", None, "vpc-1")

        def _follow_groups(self, net, db):
            pass

    def db(name: str) -> dict:
        return {
            "DBInstanceIdentifier": name,
            "Endpoint": {"Address": f"{name}.x.rds.amazonaws.com", "Port": 3306},
            "DBSubnetGroup": {"Subnets": [{"SubnetIdentifier": "subnet-1"}]},
        }

    networks = Networks()
    for _ in range(3):
        networks.sync([db("broken"), db("fine")], [])
    assert set(networks.databases) == {"fine"}
    said = [r.message for r in caplog.records if "broken" in r.message]
    assert said == ["broken: its network interface: subnet-1: no free address left in 10.0.10.0/28"]
