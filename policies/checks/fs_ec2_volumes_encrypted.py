"""CKV_FS_13: EC2 volumes are encrypted, the root volume included.

``aws_instance`` must declare ``root_block_device { encrypted = true }`` (we do
not rely on the account's EBS-encryption-by-default setting, which the stack
does not manage) and every ``ebs_block_device`` must be encrypted too;
``aws_launch_template`` block-device mappings and ``aws_ebs_volume`` likewise.
"""

from __future__ import annotations

from typing import Any

import fs_policy_lib as lib
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck


class Ec2VolumesEncrypted(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="EC2 root and EBS volumes are encrypted (root_block_device.encrypted = true)",
            id="CKV_FS_13",
            categories=[CheckCategories.ENCRYPTION],
            supported_resources=["aws_instance", "aws_launch_template", "aws_ebs_volume"],
            guideline="policies/README.md#ckv_fs_13",
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        problems: list[str] = []
        if self.entity_type == "aws_instance":
            self.evaluated_keys = ["root_block_device/[0]/encrypted", "ebs_block_device"]
            roots = lib.blocks(conf, "root_block_device")
            if not roots:
                problems.append(
                    "no root_block_device block (the root volume is not declared encrypted)"
                )
            for block in roots:
                if lib.as_bool(block.get("encrypted")) is not True:
                    problems.append(
                        f"root_block_device.encrypted = {lib.first(block.get('encrypted'))!r}"
                    )
            for block in lib.blocks(conf, "ebs_block_device"):
                if lib.as_bool(block.get("encrypted")) is not True and not lib.first(
                    block.get("snapshot_id")
                ):
                    problems.append(
                        f"ebs_block_device {lib.first(block.get('device_name'))!r} is not encrypted"
                    )
        elif self.entity_type == "aws_launch_template":
            self.evaluated_keys = ["block_device_mappings"]
            for mapping in lib.blocks(conf, "block_device_mappings"):
                for ebs in lib.blocks(mapping, "ebs"):
                    if lib.as_bool(ebs.get("encrypted")) is not True and not lib.first(
                        ebs.get("snapshot_id")
                    ):
                        problems.append(
                            f"block device {lib.first(mapping.get('device_name'))!r} is not encrypted"
                        )
        else:  # aws_ebs_volume
            self.evaluated_keys = ["encrypted"]
            if lib.as_bool(conf.get("encrypted")) is not True and not lib.attr(conf, "snapshot_id"):
                problems.append(f"encrypted = {lib.attr(conf, 'encrypted')!r}")
        if problems:
            self.details.extend(problems)
            return CheckResult.FAILED
        return CheckResult.PASSED


check = Ec2VolumesEncrypted()
