"""CKV_FS_16: IAM statements granting S3 or SSM actions name their resources.

An Allow statement with any ``s3:``/``ssm:`` action may not have ``*`` (or an
all-buckets / all-parameters ARN such as ``arn:aws:s3:::*``,
``arn:aws:s3:::*/*``, ``arn:aws:ssm:*:*:parameter/*``) as a resource, nor use
``NotResource``.  Actions that AWS only grants on ``*`` (``s3:ListAllMyBuckets``,
``ssm:DescribeParameters``...) are exempt when they are all the statement has.
Same coverage as CKV_FS_15 (documents and JSON/jsonencode policies).  Actions, or the
resources of an s3:/ssm: statement, that the scan cannot read (variables scanned
alone) leave the policy UNKNOWN, never PASSED.
"""

from __future__ import annotations

import re
from typing import Any

import fs_statements as policies

NAME = "IAM statements granting S3/SSM actions are scoped to named resources (no '*')"
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
    for number, st in policies.allowed(statements):
        scoped = [a for a in st["actions"] if a.split(":", 1)[0].lower() in SERVICES]
        if not scoped or all(a.lower() in STAR_ONLY_ACTIONS for a in scoped):
            continue
        wide = [r for r in st["resources"] if _is_wide(r)]
        if wide:
            found.append(f"statement {number}: {', '.join(scoped[:3])} on {', '.join(wide)}")
        if st["not_resources"]:
            found.append(f"statement {number}: {', '.join(scoped[:3])} with NotResource")
    return found


def unresolved(statements: list[dict[str, Any]], follows: policies.Follows) -> list[str]:
    """Actions the scan cannot read (they may be s3:/ssm:), and the resources of the
    statements that grant s3:/ssm: actions."""
    found = policies.unresolved_actions(statements)
    wide = [
        st
        if any(a.split(":", 1)[0].lower() in SERVICES for a in st["actions"])
        and not all(a.lower() in STAR_ONLY_ACTIONS for a in st["actions"])
        else {**st, "allow": False}  # keeps the statement numbers
        for st in statements
    ]
    return found + policies.unresolved_resources(wide, follows)


check = policies.PolicyCheck("CKV_FS_16", NAME, problems, unresolved)
data_check = policies.DocumentCheck("CKV_FS_16", NAME, problems, unresolved)
