"""Planned inventories of the environments (harness/stack/plan_inventory.py): tftest plans each
one on the emulator (modules/storage reads ``aws_caller_identity`` and modules/network
``aws_availability_zones``: both call an API whatever the inputs) and compares what it
would create with ``tests/inventory/environments/<name>.yaml``. The module examples plan
offline, in tests/unit/hcl/test_plan_inventory.py.

By hand:  .venv/bin/python -m harness.stack.plan_inventory [--update] environments/dev
"""

from __future__ import annotations

import pytest

from harness.emulator.launcher import moto_from_env
from harness.stack import plan_inventory as pi

pytestmark = [pytest.mark.integration, pytest.mark.emulator_only, pytest.mark.toolchain]

ON_EMULATOR = [r for r in pi.roots() if r.on_emulator]


@pytest.fixture(scope="module")
def plain_emulator():
    """A plan reads data sources only: an emulator without the EC2 data plane (no image,
    no container), or the one at EMULATOR_URL."""
    with moto_from_env() as server:
        yield server


def test_every_environment_plans_on_the_emulator():
    assert {r.name for r in ON_EMULATOR} == {"environments/dev", "environments/prod"}


@pytest.mark.parametrize("root", ON_EMULATOR, ids=str)
def test_inventory_as_committed(plain_emulator, toolchain, root):
    planned = pi.inventory(pi.plan(root, toolchain, plain_emulator.url))
    diff = pi.compare(root, planned, pi.load(root))
    assert not diff, diff.report()
