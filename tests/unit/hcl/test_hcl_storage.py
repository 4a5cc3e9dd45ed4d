"""The S3 bucket: ACLs disabled, SSE AES-256, versioning, every public-access block,
TLS-only bucket policy, kept on destroy unless the caller opts in."""

from __future__ import annotations

import pytest
from hclmodel import ENVIRONMENTS, Expr

BUCKET_REF = Expr("aws_s3_bucket.this.id")


def _for_bucket(stack, type_):
    res = stack.resource("storage", type_)
    assert res["bucket"] == BUCKET_REF, f"{res.where}: bucket must be aws_s3_bucket.this.id"
    return res


def test_ownership_controls_disable_acls(stack):
    res = _for_bucket(stack, "aws_s3_bucket_ownership_controls")
    assert res.block("rule")["object_ownership"] == "BucketOwnerEnforced", res.where


def test_default_encryption_is_aes256(stack):
    res = _for_bucket(stack, "aws_s3_bucket_server_side_encryption_configuration")
    default = [
        d for rule in res.blocks("rule") for d in rule["apply_server_side_encryption_by_default"]
    ]
    assert [d["sse_algorithm"] for d in default] == ["AES256"], res.where


def test_versioning_is_enabled(stack):
    res = _for_bucket(stack, "aws_s3_bucket_versioning")
    assert res.block("versioning_configuration")["status"] == "Enabled", res.where


@pytest.mark.parametrize(
    "setting",
    ["block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"],
)
def test_public_access_block(stack, setting):
    res = _for_bucket(stack, "aws_s3_bucket_public_access_block")
    assert res.get(setting) is True, f"{res.where}: {setting} must be the literal true"


def test_no_acl_grants_public_access(stack):
    assert not stack.resources(type="aws_s3_bucket_acl"), "ACLs are disabled: no aws_s3_bucket_acl"
    bucket = stack.resource("storage", "aws_s3_bucket", "this")
    assert "acl" not in bucket and not bucket.blocks("grant"), bucket.where


def test_bucket_policy_denies_insecure_transport(stack):
    storage = stack.module("storage")
    policy = _for_bucket(stack, "aws_s3_bucket_policy")
    doc_ref = str(policy["policy"])
    assert doc_ref.startswith("data.aws_iam_policy_document.") and doc_ref.endswith(".json"), (
        f"{policy.where}: policy must come from an aws_iam_policy_document"
    )
    doc = storage.data_source("aws_iam_policy_document", doc_ref.split(".")[2])
    deny_tls = [
        s
        for s in doc.blocks("statement")
        if s.get("effect") == "Deny"
        and any(
            c.get("variable") == "aws:SecureTransport"
            and c.get("test") == "Bool"
            and c.get("values") == ["false"]
            for c in s.get("condition", [])
        )
    ]
    assert len(deny_tls) == 1, f"{doc.where}: no Deny on aws:SecureTransport = false"
    stmt = deny_tls[0]
    assert stmt["actions"] == ["s3:*"], f"{doc.where}: the TLS deny must cover s3:*"
    assert set(stmt["resources"]) == {
        Expr("aws_s3_bucket.this.arn"),
        "${aws_s3_bucket.this.arn}/*",
    }, f"{doc.where}: the TLS deny must cover the bucket and its objects"
    assert [(p["type"], p["identifiers"]) for p in stmt["principals"]] == [("*", ["*"])], (
        f"{doc.where}: the TLS deny must apply to every principal"
    )


def test_force_destroy_is_opt_in(stack):
    storage = stack.module("storage")
    bucket = storage.resource("aws_s3_bucket", "this")
    assert storage.resolve(bucket.get("force_destroy", False)) is False, (
        f"{bucket.where}: force_destroy must default to false"
    )


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_environment_buckets_use_the_storage_module(stack, env):
    """Every bucket of an environment comes from modules/storage (so gets all the above)."""
    root = stack.env(env)
    buckets = [c for c in root.module_calls if root.module_root(c).name == "storage"]
    assert "storage" in buckets, f'environments/{env}: no module "storage" (the files bucket)'
    assert root.outputs["bucket_name"]["value"] == Expr("module.storage.bucket_name")
    assert not [r.where for r in stack.resources(type="aws_s3_bucket") if r.file.startswith("env")]
