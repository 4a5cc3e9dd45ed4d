"""CKV_FS_6 and CKV_FS_17: what an S3 bucket policy must deny, and must not allow.

CKV_FS_6: the policy denies every request not sent over TLS -- a statement with
Effect Deny, principal ``*``, actions ``s3:*`` (or ``*``) and the condition
``Bool``/``BoolIfExists`` ``aws:SecureTransport`` = false.  No built-in checks a
bucket policy for this (CKV_AWS_379 looks at buckets with public ACLs only).

CKV_FS_17: no Allow statement names the principal ``*`` (``"Principal": "*"``,
``{"AWS": "*"}``, or ``principals { type = "*" }`` in a policy document): the
bucket is private, every reader is named.  The built-ins CKV_AWS_70 (JSON policies)
and CKV_AWS_283 (policy documents, type "AWS" only) pass both of our fixtures:
CKV_AWS_70 gives up on a policy document and on a ``jsonencode()`` that refers to
the bucket's ARN, CKV_AWS_283 ignores ``type = "*"``.

The policy may be inline JSON, ``jsonencode({...})`` or the ``.json`` of an
``aws_iam_policy_document`` (found through checkov's graph, also across modules).
A policy that cannot be resolved fails CKV_FS_6 (the gate cannot prove TLS-only).
"""

from __future__ import annotations

from typing import Any

import fs_lib as lib
import fs_statements as policies
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck


class BucketPolicyCheck(BaseResourceCheck):
    def __init__(self, check_id: str, name: str, category: CheckCategories) -> None:
        what = lib.meta(check_id, name, category)
        super().__init__(**what, supported_resources=["aws_s3_bucket_policy"])

    def statements(self, conf: dict[str, Any]) -> list[dict[str, Any]] | None:
        statements = policies.json_statements(conf.get("policy"))
        if statements is not None:
            return statements
        referenced = lib.referenced(self, lib.entity_nodes(self, conf), "policy").values()
        documents = [
            n for n in referenced if n.get("resource_type") == "data.aws_iam_policy_document"
        ]
        if not documents:
            return None
        return [st for document in documents for st in policies.document_statements(document)]


def _denies_plain_http(st: dict[str, Any]) -> bool:
    return (
        not st["allow"]
        and any(a.strip() in ("*", "s3:*") for a in st["actions"])
        and any(identifier == "*" for _, identifier in st["principals"])
        and any(
            test in ("Bool", "BoolIfExists")
            and variable == "aws:SecureTransport"
            and "false" in [v.lower() for v in values]
            for test, variable, values in st["conditions"]
        )
    )


class DeniesPlainHttp(BucketPolicyCheck):
    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        self.evaluated_keys = ["policy"]
        if lib.first(conf.get("policy")) is None:  # a plan with the policy "known after apply"
            return CheckResult.UNKNOWN
        statements = self.statements(conf)
        if statements is None:
            return lib.verdict(self, ["cannot resolve the bucket policy to prove TLS-only access"])
        if any(_denies_plain_http(st) for st in statements):
            return CheckResult.PASSED
        return lib.verdict(
            self, ["no Deny statement for s3:* with Bool aws:SecureTransport = false"]
        )


class AllowsNothingToEveryone(BucketPolicyCheck):
    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        self.evaluated_keys = ["policy"]
        statements = self.statements(conf)
        if statements is None:
            return CheckResult.UNKNOWN  # CKV_FS_6 fails an unresolvable policy
        return lib.verdict(
            self,
            [
                f"statement {number}: Allow {', '.join(st['actions']) or '?'} to {kind} '*'"
                for number, st in policies.allowed(statements)
                for kind, identifier in st["principals"]
                if identifier == "*"
            ],
        )


check = DeniesPlainHttp(
    "CKV_FS_6",
    "S3 bucket policy denies requests that are not sent over TLS (aws:SecureTransport false)",
    CheckCategories.NETWORKING,
)
public_check = AllowsNothingToEveryone(
    "CKV_FS_17",
    "S3 bucket policy allows nothing to the principal '*' (anyone, any AWS account)",
    CheckCategories.IAM,
)
