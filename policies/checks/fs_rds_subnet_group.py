"""CKV_FS_11: an RDS instance lives in a DB subnet group of our own.

``db_subnet_group_name`` must be set and not the account's ``default`` group
(which spans the default VPC's public subnets).  Which subnets the group has
is the network module's business (the HCL unit tests check that the private
subnets have no route to the internet).
"""

from __future__ import annotations

from typing import Any

import fs_policy_lib as lib
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck


class RdsInSubnetGroup(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="RDS database is placed in a DB subnet group (db_subnet_group_name set, not 'default')",
            id="CKV_FS_11",
            categories=[CheckCategories.NETWORKING],
            supported_resources=["aws_db_instance", "aws_rds_cluster"],
            guideline="policies/README.md#ckv_fs_11",
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        self.evaluated_keys = ["db_subnet_group_name"]
        if lib.attr(conf, "replicate_source_db"):
            return (
                CheckResult.UNKNOWN
            )  # a replica takes its source's placement unless told otherwise
        name = lib.attr(conf, "db_subnet_group_name")
        if isinstance(name, str) and name.strip() and name.strip().lower() != "default":
            return CheckResult.PASSED
        self.details.append(
            "db_subnet_group_name is missing"
            if name is None
            else f"db_subnet_group_name = {name!r}"
        )
        return CheckResult.FAILED


check = RdsInSubnetGroup()
