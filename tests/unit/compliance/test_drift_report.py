"""make drift without a cloud: refresh-only plans (show -json) with resource_drift, mapped to
the catalogue's controls, and the exit status of each case (0 none, 2 drift, 1 no verdict)."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest

from harness.compliance import catalogue, drift, drift_cli
from harness.stack.stack import StackError, StageTimer

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "drift"


@pytest.fixture(scope="module")
def cat() -> catalogue.Catalogue:
    return catalogue.load()


def plan(name: str) -> dict:
    """A refresh-only plan recorded on a `make up` stack (see each file's ``recorded``)."""
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def entry(data: dict, rtype: str, name: str = "this") -> dict:
    return next(r for r in data["resource_drift"] if (r["type"], r["name"]) == (rtype, name))


def db_port(data: dict) -> int:
    rules = data["prior_state"]["values"]["root_module"]["child_modules"][0]["child_modules"]
    found = [r for m in rules for r in m["resources"] if r["name"] == "db_from_web"]
    return found[0]["values"]["from_port"]


def test_a_fresh_stack_has_no_drift_on_the_emulator(cat):
    data = plan("no_drift")
    # the CLI's own verdict is "changed": a fresh stack's state comes from each create
    assert data["recorded"]["plan_exitcode"] == 2 and len(data["resource_drift"]) > 30
    report = drift.analyse(data, cat, "emulator", exitcode=2)
    assert report.exitcode == 0 and report.drifted == [], drift.render(report)
    reasons = [e["reason"] for e in report.explained]
    assert any(r.startswith("managed by aws_s3_bucket_versioning") for r in reasons)
    assert any(r.startswith("emulator: moto") for r in reasons)
    assert "drift: none" in drift.render(report)


def test_what_the_emulator_cannot_round_trip_is_drift_on_aws(cat):
    report = drift.analyse(plan("no_drift"), cat, "aws")
    assert {(d.type, d.attribute.split("[")[0]) for d in report.drifted} == {
        ("aws_vpc_security_group_ingress_rule", "description"),
        ("aws_vpc_security_group_egress_rule", "description"),
        ("aws_db_parameter_group", "parameter"),
    }
    assert report.controls == ["FS-NET-01", "FS-NET-02", "FS-NET-04", "FS-NET-05", "FS-RDS-09"]


def test_the_db_group_opened_to_the_world_touches_the_network_controls(cat):
    data = plan("db_open_to_the_world")
    report = drift.analyse(data, cat, "emulator")
    port = db_port(data)
    # the rule managed as a resource of its own (db_from_web) is no drift of the group
    assert [(d.address, d.attribute, d.before, d.after) for d in report.drifted] == [
        ("module.stack.module.security.aws_security_group.db", "ingress", [],
         [f"tcp {port}-{port} 0.0.0.0/0"]),
    ]  # fmt: skip
    assert report.controls == ["FS-NET-01", "FS-NET-02"] and report.exitcode == 2
    assert "FS-NET-01, FS-NET-02" in drift.render(report)


def test_the_web_group_opened_touches_the_internet_control_only(cat):
    data = plan("db_open_to_the_world")
    group = entry(data, "aws_security_group", "db")
    group["name"], group["address"] = "web", group["address"].replace(".db", ".web")
    assert drift.analyse(data, cat, "emulator").controls == ["FS-NET-01"]


def test_suspended_versioning_touches_the_versioning_control(cat):
    report = drift.analyse(plan("versioning_suspended"), cat, "emulator")
    assert [(d.address, d.attribute, d.before, d.after, d.controls) for d in report.drifted] == [
        ("module.stack.module.storage.aws_s3_bucket_versioning.this",
         "versioning_configuration[0].status", "Enabled", "Suspended", ["FS-S3-03"]),
    ]  # fmt: skip
    assert report.exitcode == 2


def test_unmapped_drift_fails(cat):
    report = drift.analyse(plan("unmapped_tag"), cat, "emulator")
    assert [(d.address, d.attribute, d.after) for d in report.unmapped] == [
        ("module.stack.module.compute.aws_instance.this", "tags.Owner", "someone"),
        ("module.stack.module.compute.aws_instance.this", "tags_all.Owner", "someone"),
    ]
    assert report.drifted == report.unmapped and report.exitcode == 2 and report.controls == []
    assert "UNMAPPED DRIFT" in drift.render(report)


def _db_instance_drift(before: dict, after: dict, sensitive: dict) -> dict:
    address = "module.stack.module.database.aws_db_instance.this"
    change = {"actions": ["update"], "before": before, "after": after}
    change.update(before_sensitive=sensitive, after_sensitive=sensitive)
    return {"resource_drift": [
        {"address": address, "type": "aws_db_instance", "name": "this", "change": change}
    ]}  # fmt: skip


def test_what_the_service_changes_by_itself_is_set_aside(cat):
    data = _db_instance_drift(
        {"latest_restorable_time": "2026-12-06T13:20:00Z", "status": "available"},
        {"latest_restorable_time": "2026-12-06T13:25:00Z", "status": "backing-up"},
        {},
    )
    report = drift.analyse(data, cat, "aws")
    assert report.exitcode == 0
    assert [e["attribute"] for e in report.explained] == ["latest_restorable_time", "status"]


def test_a_sensitive_value_is_never_shown(cat, tmp_path):
    data = _db_instance_drift(
        {"password": "fixture-value-a", "users": [{"p": "fixture-value-b"}]},
        {"password": "fixture-value-c", "users": []},
        {"password": True, "users": [{"p": True}]},  # a set holding one: masked whole
    )
    report = drift.analyse(data, cat, "aws")
    assert [(d.attribute, d.before, d.after) for d in report.drifted] == [
        ("password", drift.SENSITIVE, drift.SENSITIVE),
        ("users", drift.SENSITIVE, drift.SENSITIVE),
    ]
    written = drift.write(report, tmp_path).read_text(encoding="utf-8")
    assert "fixture-value" not in written + drift.render(report)


def test_the_emulators_known_losses_are_set_aside_on_the_emulator_only(cat):
    rule = {
        "address": "module.stack.module.security.aws_vpc_security_group_ingress_rule.db_from_web",
        "type": "aws_vpc_security_group_ingress_rule",
        "name": "db_from_web",
        "change": {
            "actions": ["update"],
            "before": {"description": "MySQL"},
            "after": {"description": None},
        },
    }
    data = {"resource_drift": [rule]}
    assert drift.analyse(data, cat, "emulator").exitcode == 0
    on_aws = drift.analyse(data, cat, "aws")
    assert on_aws.exitcode == 2
    assert on_aws.controls == ["FS-NET-01", "FS-NET-02", "FS-NET-05"]


def test_a_resource_deleted_out_of_band_touches_every_control_of_its_type(cat):
    data = plan("versioning_suspended")
    entry(data, "aws_s3_bucket_versioning")["change"].update(actions=["delete"], after=None)
    report = drift.analyse(data, cat, "emulator")
    assert [(d.attribute, d.action) for d in report.drifted] == [("*", "delete")]
    assert report.controls == ["FS-S3-03"]


def test_a_nested_set_reports_what_it_lost_and_gained():
    before = {"rule": [{"id": "a", "days": 30}, {"id": "b", "days": 7}]}
    after = {"rule": [{"id": "b", "days": 7}, {"id": "a", "days": 1}]}
    assert drift.diff(before, after) == [
        (("rule",), [{"id": "a", "days": 30}], [{"id": "a", "days": 1}])
    ]
    reordered = {"rule": list(reversed(before["rule"]))}
    assert drift.diff(before, reordered) == [], "a set in another order is the same set"


@pytest.mark.parametrize(
    ("selector", "rtype", "name", "path", "hit"),
    [
        ("aws_security_group[db].ingress", "aws_security_group", "db", ("ingress",), True),
        ("aws_security_group[db].ingress", "aws_security_group", "web", ("ingress",), False),
        (
            "aws_s3_bucket_versioning.versioning_configuration",
            "aws_s3_bucket_versioning",
            "this",
            ("versioning_configuration", "status"),
            True,
        ),  # fmt: skip
        (
            "aws_s3_bucket_versioning.versioning_configuration.status",
            "aws_s3_bucket_versioning",
            "this",
            ("versioning_configuration",),
            False,
        ),  # fmt: skip
        (
            "aws_vpc_security_group_ingress_rule[db_*].*",
            "aws_vpc_security_group_ingress_rule",
            "db_from_web",
            ("cidr_ipv4",),
            True,
        ),  # fmt: skip
    ],
)
def test_selectors(selector, rtype, name, path, hit):
    assert drift.Selector.parse(selector).matches(rtype, name, path) is hit


# ------------------------------------------------------------- the check and its CLI


class FakeStack:
    """What check() uses of a Stack: tf(), the working copy, the timer, the target."""

    def __init__(self, tmp_path: Path, code: int, shown: dict | None, fail: bool = False):
        self.workdir, self.run_id, self.environment = tmp_path, "r1", "dev"
        self.target = SimpleNamespace(name="emulator")
        self.timer = StageTimer()
        self.code, self.shown, self.fail, self.calls = code, shown, fail, []

    def tf(self, *args: str, check: bool = True):
        self.calls.append(args)
        if self.fail:
            raise StackError("`tofu plan` failed (exit 1): Error: No valid credential sources")
        if args[0] == "plan":
            Path(next(a for a in args if a.startswith("-out="))[5:]).write_text("plan")
            return SimpleNamespace(returncode=self.code, stdout="", stderr="")
        return SimpleNamespace(returncode=0, stdout=json.dumps(self.shown), stderr="")


def test_check_runs_a_refresh_only_plan_and_writes_the_report(tmp_path, cat, capsys):
    stack = FakeStack(tmp_path, 2, plan("versioning_suspended"))
    report = drift.check(stack, cat, tmp_path / "out")
    plan_args = stack.calls[0]
    assert plan_args[0] == "plan" and {"-refresh-only", "-detailed-exitcode"} <= set(plan_args)
    assert stack.calls[1][:2] == ("show", "-json")
    assert not (tmp_path / "drift.tfplan").exists(), "the saved plan holds refreshed secrets"
    written = json.loads((tmp_path / "out" / "drift.json").read_text(encoding="utf-8"))
    assert written["exitcode"] == report.exitcode == 2 and written["controls"] == ["FS-S3-03"]
    assert (
        "versioning_configuration[0].status (update): Enabled -> Suspended"
        in capsys.readouterr().out
    )


def test_a_failed_plan_is_no_verdict(tmp_path, cat):
    with pytest.raises(drift.DriftError, match="No valid credential sources"):
        drift.check(FakeStack(tmp_path, 1, None, fail=True), cat, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_the_cli_exit_codes(tmp_path, monkeypatch, capsys):
    shown = plan("db_open_to_the_world")
    stacks = {
        "drift": FakeStack(tmp_path, 2, shown),
        "none": FakeStack(tmp_path, 0, plan("no_drift")),
    }
    for case, expected in (("drift", 2), ("none", 0)):
        monkeypatch.setattr(drift_cli, "emulator_stack", lambda case=case: stacks[case])
        assert drift_cli.main(["--out", str(tmp_path / case)]) == expected
    failing = FakeStack(tmp_path, 1, None, fail=True)
    monkeypatch.setattr(drift_cli, "emulator_stack", lambda: failing)
    assert drift_cli.main(["--out", str(tmp_path / "failed")]) == 1
    assert "no verdict" in capsys.readouterr().err


def test_the_cli_refuses_without_a_deployment(tmp_path, monkeypatch, capsys):
    from harness.stack import up

    monkeypatch.setattr(up, "STATE_FILE", tmp_path / "up.env")
    assert drift_cli.main(["--target", "emulator"]) == 1
    monkeypatch.delenv("TF_BACKEND_CONFIG", raising=False)
    assert drift_cli.main(["--target", "aws", "--env", "prod"]) == 1
    err = capsys.readouterr().err
    assert "run `make up` first" in err and "TF_BACKEND_CONFIG" in err


def test_the_report_keeps_its_input_untouched(cat):
    data = plan("db_open_to_the_world")
    kept = copy.deepcopy(data)
    drift.analyse(data, cat, "aws")
    assert data == kept


# ---------------------------------------------- what a parent shows of its children


def _drifted(rtype, name, before, after, state=()):
    prefix = "module.stack.module.x"
    return {
        "prior_state": {
            "values": {"root_module": {"resources": [{"type": t, "values": v} for t, v in state]}}
        },  # fmt: skip
        "resource_drift": [
            {
                "address": f"{prefix}.{rtype}.{name}",
                "type": rtype,
                "name": name,
                "change": {"actions": ["update"], "before": before, "after": after},
            }
        ],  # fmt: skip
    }


def test_a_bucket_attribute_its_child_manages_is_set_aside_else_drift(cat):
    bucket = {"bucket": "b1", "id": "b1", "versioning": [{"enabled": False, "mfa_delete": False}]}
    read = copy.deepcopy(bucket)
    read["versioning"][0]["enabled"] = True
    child = ("aws_s3_bucket_versioning", {"bucket": "b1", "versioning_configuration": []})
    managed = drift.analyse(_drifted("aws_s3_bucket", "this", bucket, read, [child]), cat, "aws")
    assert managed.exitcode == 0
    assert "managed by aws_s3_bucket_versioning" in managed.explained[0]["reason"]
    alone = drift.analyse(_drifted("aws_s3_bucket", "this", bucket, read), cat, "aws")
    assert [(d.attribute, d.controls) for d in alone.drifted] == [
        ("versioning[0].enabled", ["FS-S3-03"])
    ]


def test_a_policy_or_route_added_by_hand_is_drift_those_of_the_stack_are_not(cat):
    role = {"name": "r1", "inline_policy": []}
    read = dict(role, inline_policy=[{"name": "ours", "policy": "{}"}, {"name": "by-hand"}])
    child = ("aws_iam_role_policy", {"role": "r1", "name": "ours", "policy": "{}"})
    report = drift.analyse(_drifted("aws_iam_role", "this", role, read, [child]), cat, "aws")
    assert [(d.attribute, d.before, d.after, d.controls) for d in report.drifted] == [
        ("inline_policy", [], ["by-hand"], ["FS-IAM-01"])
    ]
    table = {"id": "rtb-1", "route": []}
    igw = {"cidr_block": "0.0.0.0/0", "gateway_id": "igw-1"}
    read = dict(table, route=[igw])
    route = ("aws_route", {"route_table_id": "rtb-1", "destination_cidr_block": "0.0.0.0/0"})
    public = drift.analyse(_drifted("aws_route_table", "public", table, read, [route]), cat, "aws")
    assert public.exitcode == 0
    private = drift.analyse(_drifted("aws_route_table", "private", table, read), cat, "aws")
    assert [(d.attribute, d.after, d.controls) for d in private.drifted] == [
        ("route", ["0.0.0.0/0"], ["FS-NET-06"])
    ]


def test_null_and_empty_are_the_same_nothing():
    assert drift.diff({"tags": None, "a": [], "p": ""}, {"tags": {}, "a": None, "p": None}) == []
    assert drift.diff({"tags": None}, {"tags": {"Owner": "x"}}) == [
        (("tags",), None, {"Owner": "x"})
    ]


def test_the_aws_target_checks_the_environment_on_its_remote_state(tmp_path, monkeypatch):
    from harness.stack.stack import Stack

    calls = []
    monkeypatch.setenv("TF_BACKEND_CONFIG", str(tmp_path / "backend.hcl"))
    monkeypatch.setenv("TF_VAR_run_id", "nightly1")
    monkeypatch.setattr(Stack, "prepare", lambda self: calls.append("prepare") or self)
    monkeypatch.setattr(Stack, "init", lambda self: calls.append(self.target.init_args))
    stack = drift_cli.aws_stack("prod")
    shutil.rmtree(stack.workdir)
    assert (stack.environment, stack.run_id, stack.target.name) == ("prod", "nightly1", "aws")
    assert calls == ["prepare", (f"-backend-config={tmp_path / 'backend.hcl'}",)]
