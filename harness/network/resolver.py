"""The VPC's resolver (AWS's ``.2``): names that resolve inside the VPC only.

A :class:`Resolver` answers DNS over UDP on a socket made *inside* the VPC's namespace, at
the VPC's base address + 2 (:func:`resolver_address`), which the namespace holds on its
loopback: every subnet reaches it through its gateway, nothing outside the VPC can (no
route), and, being the router's own input path, no security group filters it, as on AWS.
It answers ``A`` queries for its records (an RDS endpoint -> the database's private IP);
any other name is passed, from the harness process in the host's namespace, to
``upstream`` (the host's resolver) when given, else answered NXDOMAIN. Not yet used by the
data plane (docs/EMULATED_INSTANCES.md, "Network (in progress)").
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import struct
import threading

from harness.log import logger
from harness.network import netns

A, AAAA, IN = 1, 28, 1
NXDOMAIN = 3
TTL = 5
log = logger("network")


def resolver_address(vpc_cidr: str) -> str:
    return str(ipaddress.IPv4Network(vpc_cidr).network_address + 2)


def question(packet: bytes) -> tuple[str, int, int]:
    """(name, type, end offset of the question) of a query; ValueError if malformed."""
    if len(packet) < 12 or struct.unpack("!H", packet[4:6])[0] != 1:
        raise ValueError("not a query with one question")
    labels, pos = [], 12
    while True:
        length = packet[pos]
        if length == 0:
            pos += 1
            break
        if length > 63:
            raise ValueError("compressed or bad label in a question")
        labels.append(packet[pos + 1 : pos + 1 + length].decode("ascii", "replace"))
        pos += 1 + length
    qtype, qclass = struct.unpack("!HH", packet[pos : pos + 4])
    if qclass != IN:
        raise ValueError("not class IN")
    return ".".join(labels).lower(), qtype, pos + 4


def answer(query: bytes, address: str | None, *, rcode: int = 0) -> bytes:
    """The response to ``query``: one A record for ``address`` (None: no answer)."""
    _, _, end = question(query)
    flags = 0x8000 | (struct.unpack("!H", query[2:4])[0] & 0x0100) | 0x0400 | 0x0080 | rcode
    header = query[:2] + struct.pack("!HHHHH", flags, 1, 1 if address else 0, 0, 0)
    body = query[12:end]
    if address:
        body += struct.pack("!HHHIH", 0xC00C, A, IN, TTL, 4) + socket.inet_aton(address)
    return header + body


def query(name: str, qtype: int = A, ident: int = 0x1234) -> bytes:
    """A recursive query for ``name`` (for tests and probes)."""
    labels = b"".join(bytes([len(p)]) + p.encode() for p in name.rstrip(".").split("."))
    return struct.pack("!HHHHHH", ident, 0x0100, 1, 0, 0, 0) + labels + b"\0" + struct.pack("!HH", qtype, IN)  # fmt: skip


def addresses(response: bytes) -> list[str]:
    """The A records of a response (the answers follow our one question)."""
    _, _, pos = question(response)
    count = struct.unpack("!H", response[6:8])[0]
    found = []
    for _ in range(count):
        pos += 2  # a compressed name pointer
        rtype, _, _, length = struct.unpack("!HHIH", response[pos : pos + 10])
        pos += 10
        if rtype == A:
            found.append(socket.inet_ntoa(response[pos : pos + length]))
        pos += length
    return found


def rcode(response: bytes) -> int:
    return struct.unpack("!H", response[2:4])[0] & 0x000F


class Resolver:
    def __init__(
        self,
        ns: str,
        address: str,
        records: dict[str, str] | None = None,
        upstream: tuple[str, int] | None = None,
    ) -> None:
        self.ns, self.address, self.upstream = ns, address, upstream
        self.records = {k.lower().rstrip("."): v for k, v in (records or {}).items()}
        self._sock: socket.socket | None = None

    def start(self) -> Resolver:
        with contextlib.suppress(netns.NetworkError):  # held already (a restart)
            netns.ip(self.ns, "addr", "add", f"{self.address}/32", "dev", "lo", what="resolver")

        def bind() -> socket.socket:
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sock.bind((self.address, 53))
            return sock

        self._sock = netns.in_netns(self.ns, bind)
        threading.Thread(target=self._serve, name=f"dns-{self.ns}", daemon=True).start()
        return self

    def set_records(self, records: dict[str, str]) -> None:
        self.records = {k.lower().rstrip("."): v for k, v in records.items()}

    def stop(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def _serve(self) -> None:
        sock = self._sock
        while sock is not None:
            try:
                packet, peer = sock.recvfrom(4096)
            except OSError:
                return
            try:
                name, qtype, _ = question(packet)
            except (ValueError, IndexError, struct.error):
                continue  # not a query we can read: dropped, as a resolver may
            if name in self.records:
                reply = answer(packet, self.records[name] if qtype == A else None)
            elif self.upstream is not None:
                threading.Thread(target=self._forward, args=(packet, peer), daemon=True).start()
                continue
            else:
                reply = answer(packet, None, rcode=NXDOMAIN)
            with contextlib.suppress(OSError):
                sock.sendto(reply, peer)

    def _forward(self, packet: bytes, peer) -> None:
        """Ask upstream from the host's namespace (this thread's); relay its answer."""
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as out:
            out.settimeout(3)
            try:
                out.sendto(packet, self.upstream)
                reply, _ = out.recvfrom(4096)
            except OSError as exc:
                log.info(f"resolver {self.ns}: upstream {self.upstream}: {exc}")
                return
        sock = self._sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.sendto(reply, peer)
