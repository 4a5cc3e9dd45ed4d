"""Fixtures of the HCL unit tests: the repository's HCL, parsed at most once per session.

The raw python-hcl2 output is cached as JSON under a file lock, named after a digest of
the files' content (see ``hclmodel.load``): in pytest's cache directory when it is on,
otherwise in the run's temporary directory shared by the pytest-xdist workers. So the
first worker parses and the others (and, with the cache, later runs) just read it.
"""

from __future__ import annotations

from pathlib import Path

import hclmodel
import pytest


@pytest.fixture(scope="session")
def stack(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """Every module and environment, as a :class:`hclmodel.Stack`."""
    cache_dir: Path | None = None
    cache = getattr(request.config, "cache", None)
    if cache is not None:
        cache_dir = Path(cache.mkdir("hcl-parse"))
    elif hasattr(request.config, "workerinput"):  # xdist worker without the cache plugin
        cache_dir = tmp_path_factory.getbasetemp().parent
    return hclmodel.load(cache_dir=cache_dir)


@pytest.fixture(scope="session")
def dev(stack):
    """environments/dev."""
    return stack.env("dev")


@pytest.fixture(scope="session")
def prod(stack):
    """environments/prod."""
    return stack.env("prod")
