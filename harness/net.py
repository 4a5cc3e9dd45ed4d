"""Small network helpers: free loopback ports, is a TCP port open (waiting: :mod:`harness.wait`)."""

from __future__ import annotations

import socket

from harness.wait import wait_for


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def wait_port(host: str, port: int, *, timeout: float, what: str = "", alive=None) -> None:
    """Until something listens on ``host:port`` (bounded; ``alive`` as for ``wait_for``)."""
    wait_for(
        lambda: port_open(host, port),
        timeout=timeout,
        interval=0.05,
        what=what or f"{host}:{port}",
        alive=alive,
    )


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False
