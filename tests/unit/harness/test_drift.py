"""The second plan's drift check: exemptions are per target, type and attribute, with a
reason; ``tags_all`` is never exempt on AWS, nor on the emulator unless listed."""

from __future__ import annotations

import pytest

from harness.stack.drift import EMULATOR_DRIFT, unexplained_drift


def plan_of(rtype: str, before: dict, after: dict, actions=("update",)) -> dict:
    return {
        "resource_changes": [
            {
                "address": f"module.x.{rtype}.this",
                "type": rtype,
                "change": {"actions": list(actions), "before": before, "after": after},
            }
        ]
    }


TAGS = {"Project": "filestore", "run_id": "r1"}


@pytest.mark.parametrize("target", ["aws", "emulator"])
def test_a_tags_all_change_alone_is_drift(target):
    plan = plan_of("aws_s3_bucket", {"tags_all": {}}, {"tags_all": TAGS})
    assert unexplained_drift(plan, target) == {
        "module.x.aws_s3_bucket.this": (["update"], ["tags_all"])
    }


def test_an_emulator_exemption_applies_on_the_emulator_only():
    rtype = "aws_vpc_security_group_ingress_rule"
    plan = plan_of(rtype, {"description": None}, {"description": "web to db"})
    assert unexplained_drift(plan, "emulator") == {}
    assert unexplained_drift(plan, "aws") == {
        f"module.x.{rtype}.this": (["update"], ["description"])
    }


def test_every_exemption_gives_its_reason():
    for (rtype, attr), reason in EMULATOR_DRIFT.items():
        assert rtype.startswith("aws_") and attr
        assert len(reason) > 30 and "moto" in reason, (rtype, attr)


def test_a_replacement_is_never_explained():
    rtype = "aws_vpc_security_group_ingress_rule"
    plan = plan_of(rtype, {"description": None}, {"description": "x"}, ("delete", "create"))
    assert unexplained_drift(plan, "emulator") == {
        f"module.x.{rtype}.this": (["delete", "create"], ["*"])
    }


def test_no_change_is_no_drift():
    plan = plan_of("aws_s3_bucket", {"tags_all": TAGS}, {"tags_all": TAGS}, ("no-op",))
    assert unexplained_drift(plan, "aws") == {}
