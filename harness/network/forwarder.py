"""The one way out of the namespaces: a TCP forwarder of the harness.

A :class:`Forwarder` listens *inside* a namespace (the internet's, at an address given to
it there with :meth:`harness.network.routes.Internet.add_address`) and relays each
connection to a target that the harness process reaches from the host's own namespace
(the emulator on 127.0.0.1, a package registry through the host's proxy). An instance
reaches it as an internet address, through its route table and its egress rules; nothing
else leaves the namespaces, and the host's namespace gets no route, address or rule.
"""

from __future__ import annotations

import contextlib
import socket
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


class Forwarder:
    def __init__(
        self, ns: str, listen: tuple[str, int], target: tuple[str, int], timeout: float = 10.0
    ) -> None:
        self.ns, self.listen, self.target, self.timeout = ns, listen, target, timeout
        self.connections = 0
        self._sock: socket.socket | None = None

    def start(self) -> Forwarder:
        self._sock = netns.in_netns(self.ns, socket.create_server, self.listen)
        threading.Thread(target=self._accept, name=f"fwd-{self.listen}", daemon=True).start()
        log.info(f"forwarder {self.ns} {self.listen} -> {self.target}")
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
        """Connect to the target from this (host-namespace) thread; relay both ways."""
        with inside:
            try:
                outside = socket.create_connection(self.target, timeout=self.timeout)
            except OSError as exc:
                log.warning(f"forwarder {self.listen} -> {self.target}: {exc}")
                return
            with outside:
                outside.settimeout(None)
                back = threading.Thread(target=_pump, args=(outside, inside), daemon=True)
                back.start()
                _pump(inside, outside)
                back.join()
