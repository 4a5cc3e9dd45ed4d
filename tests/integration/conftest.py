"""Fixtures for the live lifecycle.

The main stack (``deployment``) is applied once per run and shared by the modules of
``MAIN_STACK``, which run on one xdist worker (one ``xdist_group``), in that order: design
and app, inside the instance, the instance role enforced, Prowler's scan, the browser, hostile
clients, reachability, a replaced instance, then
drift and destroy.
Every other integration module has a group of its own. TARGET=emulator (default) or
TARGET=aws picks what provides the endpoints; the test bodies are the same.
EMULATOR_URL=http://127.0.0.1:PORT uses an emulator that is already running (e.g. the one
`make up` left); KEEP_STACK=1 skips destroy (debugging).
"""

from __future__ import annotations

import os

import pytest

from harness.emulator.launcher import moto_from_env
from harness.stack.deployment import deploy
from harness.toolchain.locate import get_toolchain

TARGET = os.environ.get("TARGET", "emulator")
MAIN_STACK = (
    "test_lifecycle",
    "test_instance",
    "test_role",
    "test_prowler",
    "test_browser",
    "test_hostile",
    "test_network",
    "test_replace",
    "test_teardown",
)


def _module(item) -> str:
    return item.module.__name__.rsplit(".", 1)[-1]


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook reads the groups (else ignored)
def pytest_collection_modifyitems(items):
    for item in items:
        if "integration" in item.keywords:
            name = _module(item)
            group = "main-stack" if name in MAIN_STACK else f"stack-{name}"
            item.add_marker(pytest.mark.xdist_group(group))
    # the main stack's modules in their order (stable: file order within a module)
    order = {name: i for i, name in enumerate(MAIN_STACK)}
    items.sort(key=lambda it: order.get(_module(it), -1) if "integration" in it.keywords else -1)


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
    """The emulator with its EC2 data plane (one per worker), or the one at EMULATOR_URL."""
    if target != "emulator":
        yield None
        return
    with moto_from_env(instances=True) as server:
        yield server


@pytest.fixture(scope="session")
def deployment(target, moto):
    """plan -> the gate's plan scan -> apply that plan -> the MAIN_STACK modules -> destroy;
    destroy is registered before apply. The gate runs on the emulator too, as on AWS."""
    with deploy(target, moto=moto, gate=True) as dep:
        yield dep
