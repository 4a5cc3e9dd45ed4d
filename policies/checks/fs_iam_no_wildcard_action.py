"""CKV_FS_15: IAM policies allow no wildcard actions.

An Allow statement may not list ``*`` or a whole service (``s3:*``,
``ssm:*``, ``logs:*``...) as an action, nor use ``NotAction`` (an allow-list
of everything but).  Prefix wildcards such as ``s3:Get*`` are accepted.
Deny statements are free to use wildcards (the TLS-only bucket policy denies
``s3:*``).  Covered: ``data "aws_iam_policy_document"`` statements, and the
JSON/jsonencode ``policy`` of aws_iam_policy, aws_iam_role_policy,
aws_iam_user_policy, aws_iam_group_policy, aws_s3_bucket_policy and the
``inline_policy`` blocks of aws_iam_role.  A policy that is the ``.json`` of a
policy document is judged on the document.
"""

from __future__ import annotations

from typing import Any

import fs_policy_lib as lib
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.data.base_check import BaseDataCheck
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

ID = "CKV_FS_15"
NAME = "IAM policy allows no wildcard actions ('*' or 'service:*', no NotAction)"
GUIDE = "policies/README.md#ckv_fs_15"


def problems(statements: list[dict[str, Any]]) -> list[str]:
    found = []
    for number, st in enumerate(statements):
        if not lib.is_allow(st):
            continue
        bad = lib.wildcard_actions(st["actions"])
        if bad:
            found.append(f"statement {number}: Allow {', '.join(bad)}")
        if st["not_actions"]:
            found.append(f"statement {number}: Allow with NotAction")
    return found


class NoWildcardActionInPolicy(BaseResourceCheck):
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
                continue  # a policy document's .json (judged there) or unresolvable
            judged = True
            found += problems(statements)
        if found:
            self.details.extend(found)
            return CheckResult.FAILED
        return CheckResult.PASSED if judged else CheckResult.UNKNOWN


class NoWildcardActionInDocument(BaseDataCheck):
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


check = NoWildcardActionInPolicy()
data_check = NoWildcardActionInDocument()
