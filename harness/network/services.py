"""What "the internet" holds for the emulator's instances: the AWS APIs and the registries.

On AWS an instance reaches the service endpoints and the package mirrors over the
internet: through its subnet's route to the internet gateway and its security groups'
egress rules (HTTPS 443; HTTP 80 where the stack allows it). Here both are addresses in the
owner's internet namespace (:class:`harness.network.routes.Internet`), each served by a
:class:`~harness.network.forwarder.Forwarder` of the harness:

* the **AWS APIs**: ``https://198.51.100.10`` (TLS terminated with a certificate of the
  emulator's CA for that address, which the data plane gives each instance as
  ``AWS_CA_BUNDLE``), relayed to the emulator on the host's loopback. An IP literal, so
  that the SDK addresses S3 by path and no per-bucket name is needed;
* the **package registries** the host's apt and pip use, one address each, ports 80 and
  443, relayed by *name* from the host's namespace (TLS passes through untouched: the
  instance checks the registry's own certificate). No other name is served.

:meth:`InternetServices.records` are the names the VPCs' resolvers answer with these
addresses; any other outside name is NXDOMAIN, so an instance reaches nothing else.
Addresses are from TEST-NET-2 (RFC 5737), which no VPC or public IP here uses.
"""

from __future__ import annotations

import ipaddress
import ssl
import tempfile
from pathlib import Path

from harness.emulator.ca import emulator_ca, issue_server_cert
from harness.network.forwarder import Forwarder
from harness.network.routes import Internet

API_ADDRESS = "198.51.100.10"
REGISTRY_BASE = ipaddress.IPv4Address("198.51.100.20")
# Where an instance installs from: Debian's archive (the image's apt sources, http) and PyPI
# (pip: the index, and the files it links to). The host's own apt and pip use these names.
REGISTRIES = ("deb.debian.org", "pypi.org", "files.pythonhosted.org")
REGISTRY_PORTS = (80, 443)


def _server_context(address: str) -> ssl.SSLContext:
    cert, key = issue_server_cert(emulator_ca(), [address])
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    with tempfile.TemporaryDirectory(prefix="api-tls-") as tmp:
        cert_file, key_file = Path(tmp, "cert.pem"), Path(tmp, "key.pem")
        cert_file.write_bytes(cert)
        key_file.touch(mode=0o600)
        key_file.write_bytes(key)
        context.load_cert_chain(cert_file, key_file)
    return context


class InternetServices:
    def __init__(
        self,
        internet: Internet,
        emulator: tuple[str, int],
        registries: tuple[str, ...] = REGISTRIES,
    ) -> None:
        self.internet, self.emulator, self.registries = internet, emulator, registries
        self.forwarders: list[Forwarder] = []

    api_url = f"https://{API_ADDRESS}"

    @staticmethod
    def records(registries: tuple[str, ...] = REGISTRIES) -> dict[str, str]:
        """Registry name -> its address on the internet."""
        return {name: str(REGISTRY_BASE + i) for i, name in enumerate(registries)}

    def start(self) -> InternetServices:
        ns = self.internet.ns
        self.internet.add_address(API_ADDRESS)
        tls = _server_context(API_ADDRESS)
        self.forwarders.append(Forwarder(ns, (API_ADDRESS, 443), self.emulator, tls=tls).start())
        for name, address in self.records(self.registries).items():
            self.internet.add_address(address)
            for port in REGISTRY_PORTS:
                self.forwarders.append(Forwarder(ns, (address, port), (name, port)).start())
        return self

    def stop(self) -> None:
        for forwarder in self.forwarders:
            forwarder.stop()
        self.forwarders.clear()
