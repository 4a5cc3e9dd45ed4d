"""CKV_FS_10: RDS storage is encrypted at rest.

``storage_encrypted`` must be literally true (the provider default is false).
A replica or a restore inherits encryption from its source, so an instance
with ``replicate_source_db`` or ``snapshot_identifier`` is judged UNKNOWN.
"""

from __future__ import annotations

from typing import Any

import fs_policy_lib as lib
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck


class RdsStorageEncrypted(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="RDS storage is encrypted at rest (storage_encrypted = true)",
            id="CKV_FS_10",
            categories=[CheckCategories.ENCRYPTION],
            supported_resources=["aws_db_instance", "aws_rds_cluster"],
            guideline="policies/README.md#ckv_fs_10",
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        self.evaluated_keys = ["storage_encrypted"]
        if lib.as_bool(conf.get("storage_encrypted")) is True:
            return CheckResult.PASSED
        if lib.attr(conf, "replicate_source_db") or lib.attr(conf, "snapshot_identifier"):
            return CheckResult.UNKNOWN
        self.details.append(f"storage_encrypted = {lib.attr(conf, 'storage_encrypted')!r}")
        return CheckResult.FAILED


check = RdsStorageEncrypted()
