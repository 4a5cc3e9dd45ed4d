"""`--dist loadgroup` keeps a group on one worker: the integration suite relies on it (one
stack per group, its tests in order). Two ways it silently stopped working:

* pytest 9.2.0 ignores every ``xdist_group`` (pytest-xdist#1386): hence the pin in
  requirements-dev.txt;
* a group added by a conftest's ``pytest_collection_modifyitems`` (how
  tests/integration/conftest.py adds them) is ignored unless that hook runs before
  xdist's own (``tryfirst``).
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

MARKED = """import pytest

@pytest.mark.xdist_group(name="one-stack")
@pytest.mark.parametrize("i", range(4))
def test_grouped(i):
    pass
"""
PLAIN = """import pytest

@pytest.mark.parametrize("i", range(4))
def test_grouped(i):
    pass
"""
HOOK = """import pytest

@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    for item in items:
        item.add_marker(pytest.mark.xdist_group("one-stack"))
"""


@pytest.mark.parametrize(
    ("module", "conftest"), [(MARKED, ""), (PLAIN, HOOK)], ids=["mark", "hook"]
)
def test_a_group_runs_on_one_worker(tmp_path, module, conftest):
    for name in ("test_a.py", "test_b.py"):
        (tmp_path / name).write_text(module)
    (tmp_path / "conftest.py").write_text(conftest)
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-n", "2", "--dist", "loadgroup", "-v",
         "-p", "no:cacheprovider", str(tmp_path)],
        capture_output=True, text=True, cwd=tmp_path, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-2000:]
    workers = set(re.findall(r"\[(gw\d+)\].*PASSED", proc.stdout))
    assert len(re.findall(r"PASSED", proc.stdout)) == 8
    assert len(workers) == 1, f"one group ran on {sorted(workers)}:\n{proc.stdout[-2000:]}"


def test_the_suite_adds_its_groups_before_xdist_reads_them():
    from tests.integration import conftest

    assert conftest.pytest_collection_modifyitems.pytest_impl["tryfirst"] is True
