"""Fixtures for the live lifecycle: one deployment per test module, destroyed at its end.

TARGET=emulator (default) or TARGET=aws picks the fixture that provides the endpoints;
the test bodies are the same. EMULATOR_URL=http://127.0.0.1:PORT uses a moto server that
is already running instead of starting one. KEEP_STACK=1 skips destroy (debugging).
"""

from __future__ import annotations

import os

import pytest

from harness.deployment import deploy
from harness.emulator import moto_from_env
from harness.toolchain import get_toolchain

TARGET = os.environ.get("TARGET", "emulator")


def pytest_collection_modifyitems(items):
    # one stack per module: keep each module's tests on one xdist worker, in file order
    for item in items:
        if "integration" in item.keywords:
            item.add_marker(pytest.mark.xdist_group(f"stack-{item.module.__name__}"))


@pytest.fixture(scope="session")
def target() -> str:
    if TARGET not in ("emulator", "aws"):
        pytest.fail(f"TARGET must be emulator or aws, not {TARGET!r}")
    return TARGET


@pytest.fixture(scope="session")
def toolchain():
    return get_toolchain(build=False)


@pytest.fixture(scope="session")
def moto(target, toolchain):
    if target != "emulator":
        yield None
        return
    with moto_from_env() as server:
        yield server


@pytest.fixture(scope="module")
def deployment(target, moto):
    """apply -> tests -> destroy; destroy is registered before apply (harness.stack)."""
    with deploy(target, moto=moto) as dep:
        yield dep
