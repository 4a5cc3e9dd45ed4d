"""The data plane's networks: where each instance and each database sits, and who reaches it.

The EC2 API's VPCs are real networks (:mod:`harness.network`): a
:class:`~harness.network.plane.NetworkPlane` keeps the namespaces, routes and security
groups in step with the API. This module puts the data plane's things in them:

* **an instance** gets a namespace of its own (``fsnet-<owner>-<instance id>``) holding
  its primary ENI as ``eth0`` with the private IP the API assigned; the container boots on
  it (``systemd-nspawn --network-namespace-path``). It keeps it across stop and start, as
  an ENI keeps its address, and loses it at terminate;
* **a database** (an RDS instance with a subnet group) gets what RDS makes in the
  customer's VPC: a requester's ENI (``RDSNetworkInterface <id>``) in a subnet of its group,
  with the DB instance's VPC security groups, in a namespace where a forwarder of the
  harness listens on the ENI's address and the endpoint's port and relays to the stand-in
  server on the host's loopback (the same port). Modify the DB's groups: the ENI's follow;
* **each VPC** gets its resolver at its ``.2`` address: the RDS endpoint names and the
  instances' private DNS names resolve to private IPs inside the VPC only, the registries
  and nothing else outside it (:mod:`harness.network.services`);
* **the internet** holds the AWS APIs and the registries, and **clients** at addresses of
  the caller's choosing (an operator, a stranger): :meth:`connect` gives a program on the
  host a loopback port that reaches an address through such a client,
  :meth:`probe` tells whether a TCP port is reachable from a client or from an ENI's
  namespace. ``harness/instances/internet_access.py`` serves both over the emulator's HTTP.
"""

from __future__ import annotations

import contextlib
import ipaddress
import threading
from dataclasses import dataclass

from botocore.exceptions import ClientError

from harness.log import logger
from harness.network import netns, probe
from harness.network.forwarder import Forwarder
from harness.network.netns import NetworkError, Owner
from harness.network.plane import NetworkPlane
from harness.network.resolver import Resolver, resolver_address
from harness.network.services import InternetServices

log = logger("dataplane")
RDS_ENI = "RDSNetworkInterface"


@dataclass
class InstanceNet:
    ns: str
    eni_id: str
    gateway: str  # the subnet's router: where the instance's metadata service listens
    nameserver: str  # the VPC's resolver
    vpc_ns: str  # the VPC's namespace (the router's: the gateway's address is there)

    @property
    def path(self) -> str:
        return netns.ns_path(self.ns)


@dataclass
class DatabaseNet:
    ns: str
    eni_id: str
    address: str
    forwarder: Forwarder
    vpc_id: str


def _free_address(cidr: str, used: set[str]) -> str:
    """The highest free address of a subnet (AWS's reserved five excluded): far from the
    low ones the EC2 API hands out first."""
    network = ipaddress.IPv4Network(cidr)
    for offset in range(network.num_addresses - 2, 3, -1):
        address = str(network.network_address + offset)
        if address not in used:
            return address
    raise NetworkError(f"no free address left in {cidr}")


class InstanceNetworks:
    def __init__(self, ec2, emulator: tuple[str, int], *, interval: float = 1.0) -> None:
        self.ec2, self.interval = ec2, interval
        self.owner = Owner.current()
        self.plane = NetworkPlane(ec2, self.owner)
        self.emulator = emulator
        self.services: InternetServices | None = None
        self.instances: dict[str, InstanceNet] = {}
        self.databases: dict[str, DatabaseNet] = {}
        self.resolvers: dict[str, Resolver] = {}
        self.clients: dict[str, str] = {}  # internet client address -> its namespace
        self.access: dict[tuple[str, str, int], Forwarder] = {}
        self._lock = threading.RLock()
        self._errors: dict[str, str] = {}  # database id -> the last error said of it

    @property
    def api_url(self) -> str:
        return InternetServices.api_url

    def start(self) -> InstanceNetworks:
        netns.require()
        internet = self.plane.ensure_internet()
        self.services = InternetServices(internet, self.emulator).start()
        self.plane.start(self.interval, first=False)  # the API starts after us
        return self

    # ---------------------------------------------------------------- instances
    def attach(self, desc: dict) -> InstanceNet:
        """The instance's namespace with its primary ENI in force (kept across stop/start)."""
        iid = desc["InstanceId"]
        with self._lock:
            if iid in self.instances:
                return self.instances[iid]
            enis = [e for e in desc.get("NetworkInterfaces", []) if e["Attachment"]["DeviceIndex"] == 0]  # fmt: skip
            if not enis:
                raise NetworkError(f"{iid}: no primary network interface in the EC2 API")
            eni_id = enis[0]["NetworkInterfaceId"]
            ns = netns.create(
                netns.namespace_name(self.owner, iid), kind="instance", instance_id=iid
            )
            try:
                iface = self.plane.attach(eni_id, ns)
                vpc = self.plane.vpcs[desc["VpcId"]]
            except Exception:
                netns.destroy(ns)
                raise
            net = InstanceNet(
                ns,
                eni_id,
                str(vpc.subnets[iface.subnet_id].gateway),
                self._resolver(desc["VpcId"]).address,
                vpc.ns,
            )
            self.instances[iid] = net
            return net

    def release(self, iid: str) -> None:
        with self._lock:
            net = self.instances.pop(iid, None)
            if net is not None:
                self.plane.detach(net.eni_id)
                netns.destroy(net.ns)

    def _resolver(self, vpc_id: str) -> Resolver:
        resolver = self.resolvers.get(vpc_id)
        if resolver is None:
            vpc = self.plane.vpcs[vpc_id]
            address = resolver_address(str(vpc.cidr))
            resolver = Resolver(vpc.ns, address, InternetServices.records()).start()
            self.resolvers[vpc_id] = resolver
        return resolver

    # ---------------------------------------------------------------- databases
    def sync(self, databases: list[dict], instances: list[dict]) -> None:
        """The databases' ENIs and forwarders, and every resolver's names, as the APIs say."""
        with self._lock:
            wanted = {
                db["DBInstanceIdentifier"]: db
                for db in databases
                if db.get("Endpoint", {}).get("Address")
                and db.get("DBSubnetGroup", {}).get("Subnets")
                and db.get("DBInstanceStatus") != "deleting"
            }
            for dbid in set(self.databases) - set(wanted):
                self._remove_database(dbid)
            for dbid, db in wanted.items():  # one database's trouble holds up nothing else
                try:
                    if dbid not in self.databases:
                        self.databases[dbid] = self._add_database(db)
                    self._follow_groups(self.databases[dbid], db)
                except Exception as exc:
                    if self._errors.get(dbid) != str(exc):  # said once, retried each round
                        log.warning(f"{dbid}: its network interface: {exc}")
                    self._errors[dbid] = str(exc)
                else:
                    self._errors.pop(dbid, None)
            for vpc_id, resolver in self.resolvers.items():
                records = InternetServices.records()
                for inst in instances:
                    if inst.get("VpcId") == vpc_id and inst.get("PrivateDnsName"):
                        records[inst["PrivateDnsName"]] = inst["PrivateIpAddress"]
                for dbid, net in self.databases.items():
                    if net.vpc_id == vpc_id and dbid in wanted:
                        records[wanted[dbid]["Endpoint"]["Address"]] = net.address
                resolver.set_records(records)

    def _add_database(self, db: dict) -> DatabaseNet:
        dbid, endpoint = db["DBInstanceIdentifier"], db["Endpoint"]
        group = db["DBSubnetGroup"]
        subnets = group["Subnets"]
        az = db.get("AvailabilityZone")
        chosen = next(
            (s for s in subnets if s.get("SubnetAvailabilityZone", {}).get("Name") == az),
            subnets[0],
        )["SubnetIdentifier"]
        subnet = self.ec2.describe_subnets(SubnetIds=[chosen])["Subnets"][0]
        found = self.ec2.describe_network_interfaces(
            Filters=[{"Name": "subnet-id", "Values": [chosen]}]
        )["NetworkInterfaces"]
        mine = [e for e in found if e.get("Description") == f"{RDS_ENI} {dbid}"]
        if mine:
            eni = mine[0]
        else:
            eni = self.ec2.create_network_interface(
                SubnetId=chosen,
                PrivateIpAddress=_free_address(
                    subnet["CidrBlock"], {e["PrivateIpAddress"] for e in found}
                ),
                Groups=[g["VpcSecurityGroupId"] for g in db.get("VpcSecurityGroups", [])],
                Description=f"{RDS_ENI} {dbid}",
            )["NetworkInterface"]
        eni_id, address = eni["NetworkInterfaceId"], eni["PrivateIpAddress"]
        ns = netns.namespace_name(self.owner, f"rds-{dbid}")
        if not netns.exists(ns):
            netns.create(ns, kind="database", db_instance=dbid, eni=eni_id)
        try:
            self.plane.attach(eni_id, ns)
            port = int(endpoint["Port"])
            forwarder = Forwarder(ns, (address, port), ("127.0.0.1", port)).start()
        except Exception:
            netns.destroy(ns)
            raise
        log.info(f"{dbid}: {endpoint['Address']} is {address}:{port} in {subnet['SubnetId']}")
        return DatabaseNet(ns, eni_id, address, forwarder, subnet["VpcId"])

    def _follow_groups(self, net: DatabaseNet, db: dict) -> None:
        wanted = sorted(g["VpcSecurityGroupId"] for g in db.get("VpcSecurityGroups", []))
        eni = self.ec2.describe_network_interfaces(NetworkInterfaceIds=[net.eni_id])
        current = sorted(g["GroupId"] for g in eni["NetworkInterfaces"][0]["Groups"])
        if wanted and wanted != current:
            self.ec2.modify_network_interface_attribute(NetworkInterfaceId=net.eni_id, Groups=wanted)  # fmt: skip

    def _remove_database(self, dbid: str) -> None:
        net = self.databases.pop(dbid)
        net.forwarder.stop()
        self.plane.detach(net.eni_id)
        netns.destroy(net.ns)
        with contextlib.suppress(ClientError):  # its subnet or the ENI went already
            self.ec2.delete_network_interface(NetworkInterfaceId=net.eni_id)
        log.info(f"{dbid}: its network interface {net.eni_id} removed")

    # ----------------------------------------------------------------- clients
    def _client(self, source: str) -> str:
        if source not in self.clients:
            internet = self.plane.ensure_internet()
            self.clients[source] = internet.client(source.replace(".", "-"), source)
        return self.clients[source]

    def _namespace_of(self, source: str) -> str:
        """An internet client's namespace (``source`` an IPv4 address), or the namespace
        holding ENI ``source`` (an instance's, a database's)."""
        if source.startswith("eni-"):
            for net in [*self.instances.values(), *self.databases.values()]:
                if net.eni_id == source:
                    return net.ns
            raise NetworkError(f"{source}: no instance or database of this emulator holds it")
        return self._client(source)

    def connect(self, source: str, host: str, port: int) -> int:
        """A loopback port on the host that reaches ``host:port`` from internet client
        ``source``."""
        with self._lock:
            key = (source, host, port)
            if key not in self.access:
                ns = self._client(source)
                forwarder = Forwarder(None, ("127.0.0.1", 0), (host, port), connect_ns=ns)
                self.access[key] = forwarder.start()
            return self.access[key].port

    def probe(self, source: str, host: str, port: int, timeout: float = 2.0) -> str:
        with self._lock:
            ns = self._namespace_of(source)
        return probe.connect(ns, host, port, timeout=timeout)

    # ------------------------------------------------------------------ closing
    def close(self) -> None:
        with self._lock:
            for forwarder in self.access.values():
                forwarder.stop()
            for resolver in self.resolvers.values():
                resolver.stop()
            for dbid in list(self.databases):
                with contextlib.suppress(Exception):
                    self._remove_database(dbid)
            for iid in list(self.instances):
                with contextlib.suppress(Exception):
                    self.release(iid)
            if self.services is not None:
                self.services.stop()
            for ns in self.clients.values():
                with contextlib.suppress(NetworkError):
                    netns.destroy(ns)
            self.plane.close()
