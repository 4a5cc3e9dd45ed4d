"""Every test module has a name of its own: `make test` collects tests/ in one session, and
pytest (rootdir imports, no packages) cannot import two modules of the same basename."""

from __future__ import annotations

from collections import Counter

from harness.paths import REPO_ROOT


def test_no_two_test_modules_share_a_name():
    names = Counter(p.name for p in (REPO_ROOT / "tests").rglob("test_*.py"))
    assert [n for n, count in names.items() if count > 1] == []
