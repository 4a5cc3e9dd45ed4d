"""CKV_FS_9: an RDS instance/cluster instance is not publicly accessible.

``publicly_accessible`` must be absent (provider default false) or false; a
value checkov cannot resolve (a variable without default) fails.
"""

from __future__ import annotations

from typing import Any

import fs_policy_lib as lib
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck


class RdsNotPublic(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="RDS database is not publicly accessible",
            id="CKV_FS_9",
            categories=[CheckCategories.NETWORKING],
            supported_resources=["aws_db_instance", "aws_rds_cluster_instance"],
            guideline="policies/README.md#ckv_fs_9",
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        self.evaluated_keys = ["publicly_accessible"]
        if "publicly_accessible" not in conf:
            return CheckResult.PASSED
        value = lib.as_bool(conf.get("publicly_accessible"))
        if value is False:
            return CheckResult.PASSED
        self.details.append(f"publicly_accessible = {lib.attr(conf, 'publicly_accessible')!r}")
        return CheckResult.FAILED


check = RdsNotPublic()
