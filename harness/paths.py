"""Well-known locations shared by the harness, the Makefile and the tests."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT = "filestore"
REPO_ROOT = Path(__file__).resolve().parent.parent
MODULES_DIR = REPO_ROOT / "modules"
ENVIRONMENTS_DIR = REPO_ROOT / "environments"
APP_DIR = REPO_ROOT / "app"
POLICIES_DIR = REPO_ROOT / "policies"
STACK_STATE_DIR = Path(os.environ.get("FILESTORE_STACK_DIR") or REPO_ROOT / ".stack")


def cache_root() -> Path:
    """Cache outside the repository (survives clean clones), keyed further by version."""
    base = os.environ.get("FILESTORE_CACHE") or os.environ.get("XDG_CACHE_HOME")
    root = Path(base) if base else Path.home() / ".cache"
    if not os.environ.get("FILESTORE_CACHE"):
        root = root / PROJECT
    root.mkdir(parents=True, exist_ok=True)
    return root


# what a working copy of the HCL leaves behind: the CLI's own state, caches and the module
# tests (a copy is for init/plan/apply/validate, never for `tofu test`)
WORKING_COPY_IGNORE = (
    ".terraform", "*.tfstate*", ".terraform.lock.hcl", "__pycache__", "*.pyc", "tests"
)  # fmt: skip
