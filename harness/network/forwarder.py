"""The one way out of the namespaces, and the one way in: a TCP forwarder of the harness.

A :class:`Forwarder` listens in one namespace and connects, for each client, from another;
``None`` is the host's own namespace:

* **out** (the default): it listens *inside* a namespace (the internet's, at an address
  given to it there with :meth:`harness.network.routes.Internet.add_address`) and relays each
  connection to a target that the harness reaches from the host's namespace (the emulator
  on 127.0.0.1, a package registry by its name). An instance reaches it as an internet
  address, through its route table and its egress rules. With ``tls`` it terminates TLS
  (the emulator's API as ``https``, as AWS's endpoints are) and relays the plain stream.
* **in** (``listen_ns=None``, ``connect_ns`` a client's namespace): it listens on the
  host's loopback and connects from an internet client's namespace, so a program on this
  machine (a test, a browser, a person) reaches an instance's public address as that
  client would: through the internet gateway and the instance's security groups.

Nothing else crosses between the host's namespace and ours, and the host's namespace gets
no route, address or rule.
"""

from __future__ import annotations

import contextlib
import select
import socket
import ssl
import threading

from harness.log import logger
from harness.network import netns

log = logger("network")


def _pump(src: socket.socket, dst: socket.socket) -> None:
    with contextlib.suppress(OSError):
        while data := src.recv(65536):
            dst.sendall(data)
    with contextlib.suppress(OSError):
        dst.shutdown(socket.SHUT_WR)


def _shuttle(tls: ssl.SSLSocket, plain: socket.socket) -> None:
    """Both directions in one thread (an SSL socket must not be read and written from two
    threads at once): whichever side has data, including what the TLS layer holds."""
    open_ends = {tls, plain}
    while open_ends:
        ready = [tls] if tls in open_ends and tls.pending() else []
        ready = ready or select.select(list(open_ends), [], [], 300)[0]
        if not ready:
            return  # idle for 5 minutes: let go
        for src in ready:
            dst = plain if src is tls else tls
            try:
                data = src.recv(65536)
                if data:
                    dst.sendall(data)
                    continue
            except OSError:
                return
            if src is plain:
                return  # the target closed: so does the client's TLS session
            open_ends.discard(src)  # the client half-closed: pass it on
            with contextlib.suppress(OSError):
                plain.shutdown(socket.SHUT_WR)


def _in(ns: str | None, fn, *args, **kwargs):
    return fn(*args, **kwargs) if ns is None else netns.in_netns(ns, fn, *args, **kwargs)


class Forwarder:
    def __init__(
        self,
        ns: str | None,
        listen: tuple[str, int],
        target: tuple[str, int],
        timeout: float = 10.0,
        *,
        connect_ns: str | None = None,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        if ns is None and not listen[0].startswith("127."):
            raise netns.NetworkError(f"forwarder: on the host, loopback only, not {listen[0]}")
        self.ns, self.listen, self.target, self.timeout = ns, listen, target, timeout
        self.connect_ns, self.tls = connect_ns, tls
        self.connections = 0
        self._sock: socket.socket | None = None

    @property
    def port(self) -> int:
        return self._sock.getsockname()[1] if self._sock is not None else self.listen[1]

    def start(self) -> Forwarder:
        self._sock = _in(self.ns, socket.create_server, self.listen)
        threading.Thread(target=self._accept, name=f"fwd-{self.listen}", daemon=True).start()
        where = f"{self.ns or 'host'} {self.listen[0]}:{self.port}"
        log.info(f"forwarder {where} -> {self.connect_ns or 'host'} {self.target}")
        return self

    def stop(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def _accept(self) -> None:
        sock = self._sock
        while sock is not None:
            try:
                inside, _ = sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._relay, args=(inside,), daemon=True).start()

    def _relay(self, inside: socket.socket) -> None:
        """Connect to the target (from ``connect_ns``); relay both ways."""
        with inside:
            try:
                if self.tls is not None:
                    inside.settimeout(self.timeout)
                    inside = self.tls.wrap_socket(inside, server_side=True)
                    inside.settimeout(None)
                outside = _in(self.connect_ns, socket.create_connection, self.target, self.timeout)
            except (OSError, ssl.SSLError) as exc:
                log.warning(f"forwarder {self.listen} -> {self.target}: {exc}")
                return
            with outside:
                outside.settimeout(None)
                if isinstance(inside, ssl.SSLSocket):
                    _shuttle(inside, outside)
                    return
                back = threading.Thread(target=_pump, args=(outside, inside), daemon=True)
                back.start()
                _pump(inside, outside)
                back.join()
