"""CKV_FS_6: an S3 bucket policy denies every request not sent over TLS.

Accepted: a statement with Effect Deny, a principal of ``*``, actions ``s3:*``
(or ``*``) and the condition ``Bool``/``BoolIfExists`` ``aws:SecureTransport``
= false.  The policy may be inline JSON, ``jsonencode({...})`` or the ``.json``
of an ``aws_iam_policy_document`` (found through checkov's graph, also across
modules).  A policy we cannot resolve fails: the gate cannot prove it.
"""

from __future__ import annotations

from typing import Any

import fs_policy_lib as lib
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck


def _denies_insecure_transport_json(statements: list[dict[str, Any]]) -> bool:
    for st in statements:
        if lib.is_allow(st):
            continue
        if not _covers_all_s3(st["actions"]) or not _any_principal(st.get("principals")):
            continue
        condition = st.get("condition") or {}
        for test in ("Bool", "BoolIfExists"):
            block = condition.get(test) if isinstance(condition, dict) else None
            if isinstance(block, dict) and "aws:SecureTransport" in block:
                values = [str(v).lower() for v in lib.flatten(block["aws:SecureTransport"])]
                if "false" in values:
                    return True
    return False


def _denies_insecure_transport_document(statements: list[dict[str, Any]]) -> bool:
    for st in statements:
        if lib.is_allow(st):
            continue
        if not _covers_all_s3(st["actions"]):
            continue
        if not any("*" in p["identifiers"] for p in st["principals"]):
            continue
        for cond in st["conditions"]:
            if (
                cond["test"] in ("Bool", "BoolIfExists")
                and cond["variable"] == "aws:SecureTransport"
                and "false" in [str(v).lower() for v in cond["values"]]
            ):
                return True
    return False


def _covers_all_s3(actions: list[str]) -> bool:
    return any(a.strip() in ("*", "s3:*") for a in actions)


def _any_principal(principal: Any) -> bool:
    if principal == "*":
        return True
    if isinstance(principal, dict):
        return any(v == "*" or (isinstance(v, list) and "*" in v) for v in principal.values())
    return False


class S3BucketPolicyDeniesInsecureTransport(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="S3 bucket policy denies requests that are not sent over TLS (aws:SecureTransport false)",
            id="CKV_FS_6",
            categories=[CheckCategories.NETWORKING],
            supported_resources=["aws_s3_bucket_policy"],
            guideline="policies/README.md#ckv_fs_6",
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        self.evaluated_keys = ["policy"]
        policy = lib.attr(conf, "policy")
        if policy is None:  # a plan with the policy "known after apply"
            return CheckResult.UNKNOWN
        statements = lib.statements_from_json(policy)
        if statements is not None:
            if _denies_insecure_transport_json(statements):
                return CheckResult.PASSED
            self.details.append("no Deny statement for s3:* with Bool aws:SecureTransport = false")
            return CheckResult.FAILED
        # data.aws_iam_policy_document.<name>.json (or a module output/variable leading to one)
        documents = []
        for idx, _ in lib.entity_nodes(self, conf):
            documents += [
                node
                for _, node in lib.referenced_nodes(self, idx, "policy")
                if node.get("resource_type") == "data.aws_iam_policy_document"
            ]
        if documents:
            if all(
                _denies_insecure_transport_document(lib.statements_from_document(d))
                for d in documents
            ):
                return CheckResult.PASSED
            self.details.append(
                "the policy document has no Deny statement for Bool aws:SecureTransport = false"
            )
            return CheckResult.FAILED
        self.details.append(
            f"cannot resolve the bucket policy {str(policy)[:80]!r}; cannot prove TLS-only access"
        )
        return CheckResult.FAILED


check = S3BucketPolicyDeniesInsecureTransport()
