"""CKV_FS_7: no ingress from the whole internet except TCP 80 and 443.

One policy for the three ways of writing a rule: inline ``ingress`` blocks of
``aws_security_group``, ``aws_security_group_rule`` (type ingress,
``cidr_blocks``/``ipv6_cidr_blocks``) and ``aws_vpc_security_group_ingress_rule``
(``cidr_ipv4``/``cidr_ipv6``, ``ip_protocol`` "-1" meaning everything).
"The whole internet" is any CIDR of prefix length 0 (0.0.0.0/0, ::/0).
Allowed from there: protocol tcp with from_port == to_port in {80, 443};
anything else (other ports, port ranges, udp, icmp, all protocols) fails.
This replaces the built-in CKV_AWS_260, which forbids port 80 itself.
"""

from __future__ import annotations

from typing import Any

import fs_policy_lib as lib
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

PUBLIC_PORTS = {80, 443}


class NoWorldIngressButWeb(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Security group allows ingress from 0.0.0.0/0 or ::/0 only to TCP 80/443",
            id="CKV_FS_7",
            categories=[CheckCategories.NETWORKING],
            supported_resources=[
                "aws_security_group",
                "aws_security_group_rule",
                "aws_vpc_security_group_ingress_rule",
            ],
            guideline="policies/README.md#ckv_fs_7",
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        self.evaluated_keys = [
            "ingress",
            "cidr_blocks",
            "ipv6_cidr_blocks",
            "cidr_ipv4",
            "cidr_ipv6",
        ]
        rules = lib.ingress_rules(self.entity_type, conf)
        if not rules:
            return CheckResult.PASSED
        failed = False
        for rule in rules:
            world = [c for c in rule["cidrs"] if lib.is_world_cidr(c)]
            if not world:
                continue
            rng = lib.port_range(rule)
            if (
                rule["protocol"] in lib.TCP
                and rng is not None
                and rng[0] == rng[1]
                and rng[0] in PUBLIC_PORTS
            ):
                continue
            failed = True
            self.details.append(f"{lib.describe_rule(rule)} open to {', '.join(world)}")
        return CheckResult.FAILED if failed else CheckResult.PASSED


check = NoWorldIngressButWeb()
