"""Small network helpers: free loopback ports and waiting for a TCP/HTTP service."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_until(
    predicate: Callable[[], bool],
    *,
    timeout: float,
    interval: float = 0.1,
    what: str = "condition",
    alive: Callable[[], str | None] | None = None,
) -> None:
    """Poll ``predicate`` until it is true; bounded by ``timeout`` seconds.

    ``alive`` may return an error string when the thing being waited for has died,
    which stops the wait early with that message.
    """
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return
        if alive is not None:
            err = alive()
            if err:
                raise RuntimeError(f"{what}: {err}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)
