"""Planned inventories (harness/stack/plan_inventory.py): what each module example would create,
planned offline by tftest and compared with ``tests/inventory/<root>.yaml``; and how a
difference is reported. The environments read data sources that call an API, so they
plan on the emulator: tests/integration/test_environment_inventories.py.

By hand:  .venv/bin/python -m harness.stack.plan_inventory [--update] [ROOT ...]
"""

from __future__ import annotations

import re

import pytest
import tftest

from harness.stack import plan_inventory as pi

EXAMPLE = pi.Root("modules/compute/examples/standalone")
OFFLINE = [r for r in pi.roots() if not r.on_emulator]


@pytest.fixture(scope="module")
def planned():
    """root -> its planned inventory, one offline plan per root and module."""
    from harness.toolchain.locate import get_toolchain

    try:
        toolchain = get_toolchain(build=False)
    except Exception as exc:  # not built and nothing usable on PATH: a setup failure
        pytest.fail(f"no OpenTofu/Terraform toolchain ({exc}): run `make setup`")
    cache: dict[pi.Root, dict] = {}

    def get(root: pi.Root) -> dict[str, dict]:
        if root not in cache:
            cache[root] = pi.inventory(pi.plan(root, toolchain))
        return cache[root]

    return get


@pytest.mark.toolchain
@pytest.mark.xdist_group("plan-inventory")  # on one worker: one plan per root
@pytest.mark.parametrize("root", OFFLINE, ids=str)
def test_inventory_as_committed(planned, root):
    diff = pi.compare(root, planned(root), pi.load(root))
    assert not diff, diff.report()


@pytest.mark.toolchain
@pytest.mark.xdist_group("plan-inventory")  # on one worker: one plan per root
def test_a_resource_appearing_or_vanishing_is_named_with_the_command(planned):
    committed = {"module.web.aws_eip.this": {}}  # as if the PR dropped an EIP, added the instance
    report = pi.compare(EXAMPLE, planned(EXAMPLE), committed).report()
    assert "+ module.web.aws_instance.this  (appeared)" in report
    assert "- module.web.aws_eip.this  (vanished)" in report
    assert report.endswith(
        ".venv/bin/python -m harness.stack.plan_inventory --update modules/compute/examples/standalone"
    )


@pytest.mark.toolchain
@pytest.mark.xdist_group("plan-inventory")  # on one worker: one plan per root
def test_an_attribute_that_says_what_a_resource_is_is_compared(planned):
    now = planned(EXAMPLE)
    assert now["module.web.aws_instance.this"] == {"ami": pi.AMI_ID, "instance_type": "t3.micro"}
    committed = {"module.web.aws_instance.this": {"ami": pi.AMI_ID, "instance_type": "t3.nano"}}
    diff = pi.compare(EXAMPLE, now, committed)
    assert diff and not diff.appeared and not diff.vanished
    assert "~ module.web.aws_instance.this: " in diff.report()
    assert "'instance_type': 't3.nano'} -> {" in diff.report()


@pytest.mark.toolchain
def test_a_data_source_that_calls_an_api_offline_is_named_with_what_to_do(monkeypatch):
    from harness.toolchain.locate import get_toolchain

    refused = (  # what the provider says when a data source reaches the closed endpoint
        "Error running command plan: 1 Error: reading EC2 AMIs: operation error EC2: "
        'DescribeImages, request send failed, Post "http://127.0.0.1:1/": connection refused'
    )

    def plan(self, **kwargs):
        raise tftest.TerraformTestError(refused)

    monkeypatch.setattr(tftest.TerraformTest, "plan", plan)  # init runs for real
    with pytest.raises(tftest.TerraformTestError) as failed:
        pi.plan(EXAMPLE, get_toolchain(build=False))
    assert str(failed.value).startswith(f"{EXAMPLE}: a data source calls an API")
    assert "EMULATOR_ROOTS" in str(failed.value) and refused in str(failed.value)


def test_every_environment_and_example_has_inputs_and_a_committed_inventory():
    names = [r.name for r in pi.roots()]
    assert {"environments/dev", "environments/prod", EXAMPLE.name} <= set(names)
    for root in pi.roots():
        assert root.tf_vars["ami_id"] == pi.AMI_ID, f"{root}: the AMI must be explicit"
        assert root.inventory_path.is_file(), pi.compare(root, {}, None).report()
        assert pi.load(root), f"{root.inventory_path}: no resources"
    assert [r.on_emulator for r in pi.roots() if r.name.startswith("environments/")] == [
        True,
        True,
    ]
    assert EXAMPLE in OFFLINE
    files = {
        str(f.relative_to(pi.INVENTORY_DIR))[: -len(".yaml")]
        for f in pi.INVENTORY_DIR.rglob("*.yaml")
    }
    assert files == set(names), f"inventories of no root (delete them): {files - set(names)}"


def test_a_root_that_calls_an_api_does_not_plan_offline():
    with pytest.raises(ValueError, match="plan it on the emulator"):
        pi.plan(pi.Root("environments/dev"), toolchain=None)


def test_the_offline_provider_reaches_nothing(tmp_path):
    text = pi.offline_override(tmp_path / "state")
    urls = re.findall(r'=\s*"(https?://[^"]+)"', text)
    assert len(urls) == len(pi.EMULATED_SERVICES) and "sts" in pi.EMULATED_SERVICES
    assert set(urls) == {"http://127.0.0.1:1"}
    for setting in (
        "skip_credentials_validation",
        "skip_requesting_account_id",
        "skip_metadata_api_check",
        "skip_region_validation",
    ):
        assert re.search(rf"{setting}\s*=\s*true", text), setting
    assert 'backend "local"' in text


PLAN_JSON = {
    "resource_changes": [
        {
            "address": "module.web.aws_instance.this",
            "mode": "managed",
            "type": "aws_instance",
            "change": {
                "actions": ["create"],
                "after": {"instance_type": "t3.micro", "ami": None},
                "after_unknown": {"ami": True},
            },
        },
        {
            "address": "module.web.data.aws_ami.ubuntu[0]",
            "mode": "data",
            "type": "aws_ami",
            "change": {"actions": ["read"], "after": {}},
        },
        {
            "address": "aws_vpc.kept",
            "mode": "managed",
            "type": "aws_vpc",
            "change": {"actions": ["no-op"], "after": {}},
        },
    ]
}


def test_update_writes_what_the_comparison_then_accepts(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(pi, "INVENTORY_DIR", tmp_path)
    monkeypatch.setattr(pi, "plan", lambda *a: tftest.TerraformPlanOutput(PLAN_JSON))
    monkeypatch.setattr("harness.toolchain.locate.get_toolchain", lambda: None)
    assert pi.main([EXAMPLE.name]) == 1  # nothing committed yet
    assert "no committed inventory" in capsys.readouterr().out
    assert pi.main(["--update", EXAMPLE.name]) == 0
    written = (tmp_path / f"{EXAMPLE.name}.yaml").read_text()
    assert pi.load(EXAMPLE) == {
        "module.web.aws_instance.this": {"ami": pi.UNKNOWN, "instance_type": "t3.micro"}
    }, written
    assert (
        "Generated, do not edit: .venv/bin/python -m harness.stack.plan_inventory --update"
        in written
    )
    assert pi.main([EXAMPLE.name]) == 0
    assert "1 resources as committed" in capsys.readouterr().out
