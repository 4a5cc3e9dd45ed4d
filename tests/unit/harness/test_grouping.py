"""`--dist loadgroup` keeps a group on one worker: the integration suite relies on it (one
stack per group, its tests in order). pytest 9.2.0 broke it silently (pytest-xdist#1386),
hence the pin in requirements-dev.txt; this test fails if a version bump breaks it again."""

from __future__ import annotations

import re
import subprocess
import sys

GROUPED = """import pytest

@pytest.mark.xdist_group(name="one-stack")
@pytest.mark.parametrize("i", range(4))
def test_grouped(i):
    pass
"""


def test_a_group_runs_on_one_worker(tmp_path):
    for name in ("test_a.py", "test_b.py"):
        (tmp_path / name).write_text(GROUPED)
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-n", "2", "--dist", "loadgroup", "-v",
         "-p", "no:cacheprovider", str(tmp_path)],
        capture_output=True, text=True, cwd=tmp_path, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-2000:]
    workers = set(re.findall(r"\[(gw\d+)\].*PASSED", proc.stdout))
    assert len(re.findall(r"PASSED", proc.stdout)) == 8
    assert len(workers) == 1, f"one group ran on {sorted(workers)}:\n{proc.stdout[-2000:]}"
