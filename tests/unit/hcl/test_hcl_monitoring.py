"""CloudWatch: a log group with a retention, CPU and status-check alarms on the instance."""

from __future__ import annotations

import pytest
from hclmodel import ENVIRONMENTS, Expr

CLOUDWATCH_RETENTIONS = {1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096}
CLOUDWATCH_RETENTIONS |= {1827, 2192, 2557, 2922, 3288, 3653}


def test_every_log_group_has_a_retention(stack):
    groups = stack.resources(type="aws_cloudwatch_log_group")
    assert any(g.file.startswith("modules/monitoring/") for g in groups), (
        "modules/monitoring: no aws_cloudwatch_log_group"
    )
    for group in groups:
        root = stack.roots[group.file.rsplit("/", 1)[0]]
        days = root.resolve(group.get("retention_in_days"))
        assert days in CLOUDWATCH_RETENTIONS, (
            f"{group.where}: retention_in_days resolves to {days!r} (0/absent keeps logs forever)"
        )


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_environment_log_retention(stack, env):
    root = stack.env(env)
    days = root.effective("monitoring", "log_retention_days")
    assert days in CLOUDWATCH_RETENTIONS, f"environments/{env}: log retention {days!r}"


def _alarm(stack, metric: str):
    alarms = [
        a
        for a in stack.resources(module="monitoring", type="aws_cloudwatch_metric_alarm")
        if str(a.get("metric_name", "")).startswith(metric)
    ]
    assert len(alarms) == 1, f"modules/monitoring: want one {metric} alarm, found {len(alarms)}"
    alarm = alarms[0]
    assert alarm["namespace"] == "AWS/EC2", alarm.where
    assert alarm["dimensions"] == {"InstanceId": Expr("var.instance_id")}, (
        f"{alarm.where}: must watch the instance (dimensions = {{ InstanceId = var.instance_id }})"
    )
    return alarm


def test_cpu_alarm(stack):
    alarm = _alarm(stack, "CPUUtilization")
    assert alarm["comparison_operator"].startswith("GreaterThan"), alarm.where


def test_status_check_alarm(stack):
    alarm = _alarm(stack, "StatusCheckFailed")
    assert alarm["comparison_operator"] == "GreaterThanOrEqualToThreshold", alarm.where
    assert alarm["threshold"] == 1, alarm.where


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_environment_alarms_watch_the_web_server(stack, env):
    root = stack.env(env)
    assert root.effective("monitoring", "instance_id") == Expr("module.compute.instance_id")
    assert root.effective("compute", "log_group_name") == Expr("module.monitoring.log_group_name")
