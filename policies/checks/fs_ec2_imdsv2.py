"""CKV_FS_12: EC2 instances and launch templates require IMDSv2.

``metadata_options { http_tokens = "required" }`` (or the metadata endpoint
disabled altogether).  A missing block fails: Ubuntu AMIs default to
"optional", i.e. IMDSv1 stays open to SSRF.
"""

from __future__ import annotations

from typing import Any

import fs_policy_lib as lib
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck


class Imdsv2Required(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="EC2 instance metadata requires IMDSv2 (metadata_options.http_tokens = required)",
            id="CKV_FS_12",
            categories=[CheckCategories.GENERAL_SECURITY],
            supported_resources=["aws_instance", "aws_launch_template"],
            guideline="policies/README.md#ckv_fs_12",
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        self.evaluated_keys = [
            "metadata_options/[0]/http_tokens",
            "metadata_options/[0]/http_endpoint",
        ]
        options = lib.blocks(conf, "metadata_options")
        if not options:
            self.details.append("no metadata_options block (http_tokens defaults to optional)")
            return CheckResult.FAILED
        block = options[0]
        if str(lib.first(block.get("http_endpoint"), "")).lower() == "disabled":
            return CheckResult.PASSED
        tokens = lib.first(block.get("http_tokens"))
        if str(tokens).lower() == "required":
            return CheckResult.PASSED
        self.details.append(f"metadata_options.http_tokens = {tokens!r}")
        return CheckResult.FAILED


check = Imdsv2Required()
