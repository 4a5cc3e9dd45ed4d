"""Progress lines: the standard :mod:`logging`, one logger per part of the harness.

Every module logs through ``logger("<part>")`` (``harness.<part>``); an entry point (a
``main()``, the emulator's process) calls :func:`configure` once, which prints
``[<part>] message`` on stderr, the format the harness has always shown. Under pytest
nothing is configured here: pytest captures the records (``log_level`` in
``pyproject.toml``) and shows them with a failing test.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import time
from collections.abc import Iterator

ROOT = "harness"


def logger(part: str) -> logging.Logger:
    return logging.getLogger(f"{ROOT}.{part}")


class _PartFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        part = record.name.removeprefix(f"{ROOT}.")
        line = f"[{part}] {record.getMessage()}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def configure(level: int = logging.INFO, stream=None) -> None:
    """Send the harness's records to ``stream`` (stderr); idempotent."""
    root = logging.getLogger(ROOT)
    if any(getattr(h, "_harness", False) for h in root.handlers):
        return
    handler = logging.StreamHandler(stream or sys.stderr)
    handler._harness = True  # type: ignore[attr-defined]
    handler.setFormatter(_PartFormatter())
    root.addHandler(handler)
    root.setLevel(level)


@contextlib.contextmanager
def timed(log: logging.Logger, label: str) -> Iterator[None]:
    """Log ``label ...`` and, at the end, ``label done in N.Ns``."""
    t0 = time.monotonic()
    log.info("%s ...", label)
    try:
        yield
    finally:
        log.info("%s done in %.1fs", label, time.monotonic() - t0)
