"""CKV_FS_16: IAM statements granting S3 or SSM actions name their resources.

An Allow statement with any ``s3:``/``ssm:`` action may not have ``*`` (or an
all-buckets / all-parameters ARN such as ``arn:aws:s3:::*``,
``arn:aws:s3:::*/*``, ``arn:aws:ssm:*:*:parameter/*``) as a resource, nor use
``NotResource``.  Actions that AWS only grants on ``*`` (``s3:ListAllMyBuckets``,
``ssm:DescribeParameters``...) are exempt when they are all the statement has.
Same coverage as CKV_FS_15 (documents and JSON/jsonencode policies).
"""

from __future__ import annotations

import re
from typing import Any

import fs_policy_lib as lib
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.data.base_check import BaseDataCheck
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

ID = "CKV_FS_16"
NAME = "IAM statements granting S3/SSM actions are scoped to named resources (no '*')"
GUIDE = "policies/README.md#ckv_fs_16"
SERVICES = ("s3", "ssm")
STAR_ONLY_ACTIONS = {
    "s3:listallmybuckets",
    "s3:getaccountpublicaccessblock",
    "s3:listaccesspoints",
    "s3:listjobs",
    "s3:liststoragelensconfigurations",
    "ssm:describeparameters",
    "ssm:listdocuments",
    "ssm:listcommands",
    "ssm:listcommandinvocations",
}
WIDE_ARN = re.compile(
    r"^arn:[^:]*:(?:s3|ssm):[^:]*:[^:]*:(?:\*|\*/\*|parameter/\*|parameter\*|document/\*)$",
    re.IGNORECASE,
)


def _is_wide(resource: str) -> bool:
    r = resource.strip()
    return r == "*" or bool(WIDE_ARN.match(r))


def problems(statements: list[dict[str, Any]]) -> list[str]:
    found = []
    for number, st in enumerate(statements):
        if not lib.is_allow(st):
            continue
        scoped = [a for a in st["actions"] if a.split(":", 1)[0].lower() in SERVICES]
        if not scoped or all(a.lower() in STAR_ONLY_ACTIONS for a in scoped):
            continue
        wide = [r for r in st["resources"] if _is_wide(r)]
        if wide:
            found.append(f"statement {number}: {', '.join(scoped[:3])} on {', '.join(wide)}")
        if st["not_resources"]:
            found.append(f"statement {number}: {', '.join(scoped[:3])} with NotResource")
    return found


class S3SsmScopedInPolicy(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name=NAME,
            id=ID,
            categories=[CheckCategories.IAM],
            supported_resources=lib.POLICY_RESOURCES,
            guideline=GUIDE,
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        self.evaluated_keys = ["policy", "inline_policy"]
        judged = False
        found: list[str] = []
        for policy in lib.policies_of(self.entity_type, conf):
            statements = lib.statements_from_json(policy)
            if statements is None:
                continue
            judged = True
            found += problems(statements)
        if found:
            self.details.extend(found)
            return CheckResult.FAILED
        return CheckResult.PASSED if judged else CheckResult.UNKNOWN


class S3SsmScopedInDocument(BaseDataCheck):
    def __init__(self) -> None:
        super().__init__(
            name=NAME,
            id=ID,
            categories=[CheckCategories.IAM],
            supported_data=["aws_iam_policy_document"],
            guideline=GUIDE,
        )

    def scan_data_conf(self, conf: dict[str, Any]) -> CheckResult:
        self.evaluated_keys = ["statement"]
        found = problems(lib.statements_from_document(conf))
        if found:
            self.details.extend(found)
            return CheckResult.FAILED
        return CheckResult.PASSED


check = S3SsmScopedInPolicy()
data_check = S3SsmScopedInDocument()
