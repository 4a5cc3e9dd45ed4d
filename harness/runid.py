"""Run ids: the tag that ties every resource of one test run together.

A run id embeds its creation time (``t2611290530abcde`` = 2026-11-29 05:30 UTC, then five
random hex digits), so a sweep can tell an abandoned run from one still in progress without
any other record. Every resource of a run carries ``Project`` and ``run_id`` tags (the
provider's ``default_tags``); :mod:`harness.sweeper.sweep` finds leftovers by them.
"""

from __future__ import annotations

import argparse
import os
import re
import time
from datetime import UTC, datetime, timedelta

RUN_ID_TAG = "run_id"
PROJECT_TAG = "Project"
RUN_ID_TIME = re.compile(r"^[a-z](\d{10})[0-9a-f]{5}$")
_AGE = re.compile(r"(\d+)([smhd])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def new_run_id(prefix: str = "t") -> str:
    """Short, lowercase, unique, with its creation time (UTC) embedded."""
    if not re.fullmatch(r"[a-z]", prefix):
        raise ValueError(f"run id prefix must be one lowercase letter, not {prefix!r}")
    return f"{prefix}{time.strftime('%y%m%d%H%M', time.gmtime())}{os.urandom(3).hex()[:5]}"


def run_id_created(run_id: str) -> datetime | None:
    """When a run id was made, or None for an id the harness did not make."""
    match = RUN_ID_TIME.match(run_id or "")
    if not match:
        return None
    try:
        return datetime.strptime(match.group(1), "%y%m%d%H%M").replace(tzinfo=UTC)
    except ValueError:
        return None


def parse_age(text: str) -> timedelta:
    """``30m``, ``6h``, ``2d`` -> a timedelta (argparse type: a bad value is a usage error)."""
    match = _AGE.fullmatch(text.strip())
    if not match:
        raise argparse.ArgumentTypeError(f"age like 30m, 6h, 2d: {text!r}")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
