"""CKV_FS_8: database ingress only from security-group references, never CIDRs.

A rule is "database ingress" when its port range covers 3306 (MySQL/MariaDB)
or 5432 (PostgreSQL) -- "all protocols" covers them -- or when its security
group is attached to an ``aws_db_instance``/``aws_rds_cluster`` (any port).
checkov's graph tells which groups an instance uses, also when the group is
made in another module and handed over through outputs and variables.
Such a rule may name a source security group (or ``self``) and nothing else:
no ``cidr_blocks``/``cidr_ipv4``/``cidr_ipv6``/prefix lists, whatever their size.
"""

from __future__ import annotations

from typing import Any

import fs_policy_lib as lib
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

DB_PORTS = (3306, 5432)
DB_TYPES = ("aws_db_instance", "aws_rds_cluster")


def _covers_db_port(rule: dict[str, Any]) -> bool:
    rng = lib.port_range(rule)
    return rng is not None and any(rng[0] <= p <= rng[1] for p in DB_PORTS)


class DatabaseIngressOnlyFromSecurityGroups(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Database ingress (3306/5432 or a DB's security group) only from security-group references",
            id="CKV_FS_8",
            categories=[CheckCategories.NETWORKING],
            supported_resources=[
                "aws_security_group",
                "aws_security_group_rule",
                "aws_vpc_security_group_ingress_rule",
            ],
            guideline="policies/README.md#ckv_fs_8",
        )

    def _db_security_groups(self) -> set[int]:
        groups: set[int] = set()
        for db_type in DB_TYPES:
            for idx, _ in lib.nodes_of_type(self, db_type):
                groups.update(
                    i
                    for i, node in lib.referenced_nodes(self, idx, "vpc_security_group_ids")
                    if node.get("resource_type") == "aws_security_group"
                )
        return groups

    def _attached_to_db(self, conf: dict[str, Any]) -> bool:
        db_groups = self._db_security_groups()
        if not db_groups:
            return False
        for idx, _ in lib.entity_nodes(self, conf):
            if self.entity_type == "aws_security_group":
                if idx in db_groups:
                    return True
                continue
            if any(i in db_groups for i, _ in lib.referenced_nodes(self, idx, "security_group_id")):
                return True
        return False

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
        attached: bool | None = None
        failed = False
        for rule in rules:
            sources = [str(c) for c in rule["cidrs"]] + [
                f"prefix list {p}" for p in rule["prefix_lists"]
            ]
            if not sources:
                continue
            if _covers_db_port(rule):
                why = "a database port"
            else:
                if attached is None:
                    attached = self._attached_to_db(conf)
                if not attached:
                    continue
                why = "a security group attached to a database"
            failed = True
            self.details.append(f"{lib.describe_rule(rule)} on {why} from {', '.join(sources)}")
        return CheckResult.FAILED if failed else CheckResult.PASSED


check = DatabaseIngressOnlyFromSecurityGroups()
