"""Detailed monitoring of EC2 instances on moto 5.2.5 (MonitorInstances, UnmonitorInstances).

moto answers both with ``NotImplementedError`` (HTTP 500; moto/ec2/responses/monitoring.py).
The aws provider calls MonitorInstances after RunInstances when an instance has
``monitoring = true`` and moto reports it ``disabled`` (prod's ``detailed_monitoring``), and
retries the 500 until the apply's bound: prod could not be applied on the emulator at all.
Here both set the instance's ``monitoring_state`` (which DescribeInstances already reports)
and answer as EC2 does. Applied by :mod:`harness.emulator.server`; tested in
``tests/component/harness/test_emulator_iam.py`` (``test_detailed_monitoring_can_be_switched``).
Upstream: moto/ec2/responses/monitoring.py and a ``monitor_instances`` on the EC2 backend.
"""

from __future__ import annotations

from moto.core.responses import ActionResult
from moto.ec2.responses.monitoring import Monitoring


def _switch(response, state: str) -> ActionResult:
    response.error_on_dryrun()
    ids = response._get_param("InstanceIds", [])
    instances = response.ec2_backend.get_multi_instances_by_id(ids)
    for instance in instances:
        instance.monitoring_state = state
    return ActionResult(
        {
            "InstanceMonitorings": [
                {"InstanceId": instance.id, "Monitoring": {"State": state}}
                for instance in instances
            ]
        }
    )


def apply() -> None:
    Monitoring.monitor_instances = lambda self: _switch(self, "enabled")
    Monitoring.unmonitor_instances = lambda self: _switch(self, "disabled")
