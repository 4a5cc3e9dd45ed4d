"""CKV_FS_15: IAM policies allow no wildcard actions.

An Allow statement may not list ``*`` or a whole service (``s3:*``, ``ssm:*``,
``logs:*``...) as an action, nor use ``NotAction`` (an allow-list of everything
but).  Prefix wildcards such as ``s3:Get*`` are accepted.  Deny statements are
free to use wildcards (the TLS-only bucket policy denies ``s3:*``).  Covered:
``data "aws_iam_policy_document"`` statements, and the JSON/jsonencode ``policy``
of aws_iam_policy, aws_iam_role_policy, aws_iam_user_policy, aws_iam_group_policy,
aws_s3_bucket_policy and the ``inline_policy`` blocks of aws_iam_role.  The
built-ins CKV_AWS_49/63 see ``*`` only, not ``s3:*``.  Actions the scan cannot read
(``actions = var.actions`` scanned alone) leave the policy UNKNOWN, never PASSED.
"""

from __future__ import annotations

import re
from typing import Any

import fs_statements as policies

NAME = "IAM policy allows no wildcard actions ('*' or 'service:*', no NotAction)"
SERVICE_WILDCARD = re.compile(r"\*|[A-Za-z0-9-]+:\*")


def problems(statements: list[dict[str, Any]]) -> list[str]:
    allowed = policies.allowed(statements)
    found = [
        f"statement {number}: Allow {', '.join(wild)}"
        for number, st in allowed
        if (wild := [a for a in st["actions"] if SERVICE_WILDCARD.fullmatch(a.strip())])
    ]
    return found + [
        f"statement {n}: Allow with NotAction" for n, st in allowed if st["not_actions"]
    ]


def unresolved(statements: list[dict[str, Any]], _: policies.Follows) -> list[str]:
    return policies.unresolved_actions(statements)


check = policies.PolicyCheck("CKV_FS_15", NAME, problems, unresolved)
data_check = policies.DocumentCheck("CKV_FS_15", NAME, problems, unresolved)
