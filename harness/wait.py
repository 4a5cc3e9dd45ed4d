"""The one way the harness waits: a :class:`Deadline`, and :func:`wait_for` built on it.

Every bounded loop of ours (a port opening, a container's processes gone, cloud-init done,
an app healthy, a tunnel up, a process group stopped) polls through :func:`wait_for`; a
loop that blocks in a call taking its own timeout (``Popen.communicate``) asks a
:class:`Deadline` how long is left.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class Deadline:
    """A point in monotonic time, ``seconds`` from now."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._end = time.monotonic() + seconds

    def left(self) -> float:
        return max(0.0, self._end - time.monotonic())

    def passed(self) -> bool:
        return time.monotonic() >= self._end


def wait_for(
    probe: Callable[[], T],
    *,
    timeout: float,
    interval: float = 0.1,
    backoff: float = 1.0,
    max_interval: float | None = None,
    what: str = "condition",
    alive: Callable[[], str | None] | None = None,
) -> T:
    """Call ``probe`` until it returns something truthy, and return that; bounded.

    The pause between calls starts at ``interval`` and is multiplied by ``backoff`` after
    each call, up to ``max_interval``, and never sleeps past the deadline. ``alive`` may
    return an error string when the thing waited for has died: the wait stops at once with
    ``RuntimeError``. Past ``timeout`` seconds: ``TimeoutError`` naming ``what``.
    """
    deadline = Deadline(timeout)
    pause = interval
    while True:
        result = probe()
        if result:
            return result
        if alive is not None and (err := alive()):
            raise RuntimeError(f"{what}: {err}")
        if deadline.passed():
            raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(min(pause, max(deadline.left(), 0.01)))
        pause = min(pause * backoff, max_interval) if max_interval else pause * backoff
