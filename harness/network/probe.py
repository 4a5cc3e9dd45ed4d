"""Reachability from inside namespaces: a TCP server in one, bounded client probes from
another. For the network's tests (component now, the integration suite's reachability
tests later): :func:`probe` tells apart a connection that works (and whose replies came
back), one dropped (``timeout``: a security group), refused, or unreachable (no route).
"""

from __future__ import annotations

import socket
import threading
import time

from harness.network import netns


class Server:
    """A TCP server inside a namespace: each client gets ``banner`` then an echo of its
    first line (a reply from the server proves replies pass)."""

    def __init__(self, ns: str | None, address: str, port: int, banner: str) -> None:
        self.banner = banner.encode() + b"\n"
        if ns is None:  # the host's own namespace: loopback only (a stand-in emulator)
            self.sock = socket.create_server((address, port), reuse_port=True)
        else:
            self.sock = netns.in_netns(ns, socket.create_server, (address, port), reuse_port=True)
        self.peers: list[str] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, peer = self.sock.accept()
            except OSError:
                return
            self.peers.append(peer[0])
            with conn:
                conn.settimeout(2)
                try:
                    conn.sendall(self.banner)
                    conn.sendall(conn.recv(100))
                except OSError:
                    pass

    def close(self) -> None:
        self.sock.close()


def _handshake(host: str, port: int, timeout: float) -> socket.socket | str:
    """A connected socket, or why not: ``timeout``, ``refused``, ``unreachable``."""
    try:
        return socket.create_connection((host, port), timeout=timeout)
    except TimeoutError:
        return "timeout"
    except ConnectionRefusedError:
        return "refused"
    except OSError as exc:
        if exc.errno in (101, 113):  # ENETUNREACH, EHOSTUNREACH
            return "unreachable"
        raise


def probe(ns: str | int, host: str, port: int, timeout: float = 0.5, reply: float = 5.0) -> str:
    """From namespace ``ns``: the server's banner when the connection works and its echo
    came back, else ``timeout`` (the connection dropped: a security group), ``refused``,
    ``unreachable`` (no route), or ``no reply`` (connected, but the server said nothing
    within ``reply`` seconds). Only the handshake is bounded by ``timeout``: a busy
    machine may be slow to run the server's thread, never the kernel's handshake."""

    def attempt() -> str:
        sock = _handshake(host, port, timeout)
        if isinstance(sock, str):
            return sock
        with sock:
            sock.settimeout(reply)
            data = b""
            try:
                sock.sendall(b"ping\n")
                while data.count(b"\n") < 2 and (chunk := sock.recv(100)):
                    data += chunk
            except TimeoutError:
                return "no reply"
            banner, _, echo = data.partition(b"\n")
            return banner.decode() if echo.startswith(b"ping") else f"no echo: {data!r}"

    return netns.in_netns(ns, attempt)


def until(ns: str | int, host: str, port: int, expected: str, limit: float = 5.0) -> float:
    """Seconds until ``probe`` answers ``expected`` (new connections, 0.1 s apart)."""
    t0 = time.monotonic()
    while True:
        got = probe(ns, host, port, timeout=0.2)
        if got == expected:
            return time.monotonic() - t0
        if time.monotonic() - t0 > limit:
            raise AssertionError(f"{host}:{port} from {ns}: {got!r}, not {expected!r}")
        time.sleep(0.05)


def connect(ns: str | int, host: str, port: int, timeout: float = 2.0) -> str:
    """From namespace ``ns``, to any TCP service: ``open`` (the handshake completed),
    ``timeout`` (dropped: a security group, a route to nowhere), ``refused`` or
    ``unreachable``."""

    def attempt() -> str:
        sock = _handshake(host, port, timeout)
        if isinstance(sock, str):
            return sock
        sock.close()
        return "open"

    return netns.in_netns(ns, attempt)
