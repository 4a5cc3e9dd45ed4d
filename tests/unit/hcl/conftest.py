"""Fixtures of the HCL unit tests: every module and environment, parsed once per
session (a second or two) into the small summaries of ``hcl_summary``."""

from __future__ import annotations

import hcl_summary
import pytest


@pytest.fixture(scope="session")
def hcl() -> dict[str, hcl_summary.Root]:
    """{"modules/storage": Root, ..., "environments/dev": Root, ...}."""
    return hcl_summary.load()


@pytest.fixture(scope="session")
def stack(hcl) -> hcl_summary.Root:
    """modules/stack, the root module both environments call."""
    return hcl["modules/stack"]
