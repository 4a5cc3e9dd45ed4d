"""Corrections to moto 5.2.5's access control (moto/iam/access_control.py,
moto/core/authorization.py), applied in the emulator's process by :func:`install`.

Each one names where upstream it belongs. With them, every request is authorized as IAM
would authorize it, as far as this stack's policies go:

1. **Enforcement always on**: ``settings.INITIAL_NO_AUTH_ACTION_COUNT = 0`` (moto's default,
   and its env variable, is "never"); the server's ``/moto-api/reset-auth``, which can switch
   it off, is refused by :class:`harness.emulator.iam.IamGuard`.
2. **Action prefixes**: moto names the action after the signing name of the credential
   scope, so CloudWatch's ``PutMetricData`` is checked as ``monitoring:PutMetricData`` and
   no policy naming ``cloudwatch:PutMetricData`` ever allows it (also ``tagging`` for
   ``tag:``). Upstream: ``IAMRequestBase.__init__``.
3. **Resources**: moto authorizes every service but S3, IAM roles and STS against the
   resource ``*``, so a statement scoped to a parameter, a key or a log group never applies
   (the instance role could not read its own DB password), and IAM actions on a role, a
   profile or a user that does not exist yet are checked against ``*``. :func:`resources_of`
   names the resource(s) as the Service Authorization Reference does. Upstream:
   ``_determine_resource`` of each service's responses class (as sts/iam/sqs have).
   Also S3 Control's bucket tags (the bucket's ARN).
4. **Request context** for conditions (``cloudwatch:namespace``, ``iam:PassedToService``,
   ``aws:SecureTransport``, ``aws:PrincipalArn``...; :mod:`.conditions`). Upstream:
   ``IAMRequestBase.check_action_permitted``.
5. **Actions a call also needs**: EC2 RunInstances/AssociateIamInstanceProfile with a
   profile, VPC flow logs and RDS enhanced monitoring with a role also need ``iam:PassRole``
   on that role (with ``iam:PassedToService``); a create with tags also needs the tagging
   action (``iam:TagRole``, ``ec2:CreateTags``, ``rds:AddTagsToResource``,
   ``logs:TagResource``, ``ssm:AddTagsToResource``, ``cloudwatch:TagResource``:
   :data:`TAG_ON_CREATE`). moto checks only the called action (its own TODO list).
6. **Errors in the caller's protocol**: moto answers authorization errors in XML, which a
   JSON-protocol SDK cannot read (its code becomes ``403``). Here they are JSON for JSON
   requests. Upstream: ``ActionAuthenticatorMixin._authenticate_and_authorize_action``.
7. **S3 Control's signature** is checked with S3's signer (:func:`_create_auth`).
8. **S3 actions**: moto's ``ACTION_MAP`` (moto/s3/responses.py) maps the bucket
   sub-resources it does not list (``encryption``, ``ownershipControls``,
   ``publicAccessBlock``...) to ``ListBucket``/``CreateBucket``/``DeleteBucket``, HeadBucket
   to ``s3:HeadBucket`` (no such action: S3 checks ``s3:ListBucket``), and checks
   DeleteObjects as ``s3:DeleteObject`` on the bucket, and when that is denied deletes
   anyway, checking only the bucket policy. Here each key is checked
   (``s3:DeleteObjectVersion`` when a version is named); when one is denied, nothing is
   deleted and every key is answered AccessDenied (S3 deletes the keys that are allowed:
   stricter here, never more permissive).
"""

from __future__ import annotations

import contextvars
import json
import os
import xml.etree.ElementTree as ET

from botocore.auth import S3SigV4Auth
from moto import settings
from moto.core.authorization import ActionAuthenticatorMixin
from moto.core.exceptions import JsonRESTError, _RESTError
from moto.iam.access_control import (
    IAMPolicyStatement,
    IAMRequest,
    IAMRequestBase,
    PermissionResult,
)
from moto.s3 import responses as s3_responses
from moto.s3.exceptions import S3AccessDeniedError

from harness.emulator.iam.policy import Result, statement_result
from harness.emulator.iam.resources import (
    existing_arn,
    pass_role_checks,
    request_param,
    resources_of,
    tag_checks,
)

# Every AWS endpoint is reached over TLS: the SDKs' requests count as TLS requests.
BASE_CONTEXT = {"aws:SecureTransport": "true"}
SIGNING_NAME_TO_PREFIX = {"monitoring": "cloudwatch", "tagging": "tag"}
S3_BUCKET_ACTIONS = {
    "HEAD": {"DEFAULT": "ListBucket"},  # HeadBucket needs s3:ListBucket (no s3:HeadBucket)
    "GET": {
        "encryption": "GetEncryptionConfiguration",
        "ownershipControls": "GetBucketOwnershipControls",
        "publicAccessBlock": "GetBucketPublicAccessBlock",
        "public_access_block": "GetBucketPublicAccessBlock",
        "requestPayment": "GetBucketRequestPayment",
        "replication": "GetReplicationConfiguration",
        "object-lock": "GetBucketObjectLockConfiguration",
    },
    "PUT": {
        "encryption": "PutEncryptionConfiguration",
        "ownershipControls": "PutBucketOwnershipControls",
        "publicAccessBlock": "PutBucketPublicAccessBlock",
        "public_access_block": "PutBucketPublicAccessBlock",
        "requestPayment": "PutBucketRequestPayment",
        "replication": "PutReplicationConfiguration",
        "object-lock": "PutBucketObjectLockConfiguration",
    },
    "DELETE": {
        "encryption": "PutEncryptionConfiguration",
        "ownershipControls": "PutBucketOwnershipControls",
        "publicAccessBlock": "PutBucketPublicAccessBlock",
        "public_access_block": "PutBucketPublicAccessBlock",
        "replication": "PutReplicationConfiguration",
    },
}

S3_KEY_HEAD_ACTIONS = {"versionId": "GetObjectVersion"}  # HeadObject of a version

# the request being authorized: its context keys and the extra checks it needs
_REQUEST: contextvars.ContextVar[dict | None] = contextvars.ContextVar("iam_request", default=None)


def current_context() -> dict:
    request = _REQUEST.get() or {}
    return {**BASE_CONTEXT, **request.get("context", {})}


# ------------------------------------------------------------------ moto patches

_original_normal = ActionAuthenticatorMixin._authenticate_and_authorize_normal_action
_original_s3 = ActionAuthenticatorMixin._authenticate_and_authorize_s3_action
_original_request_init = IAMRequestBase.__init__
_original_check = IAMRequestBase.check_action_permitted
_original_signature = IAMRequestBase.check_signature
_original_create_auth = IAMRequest._create_auth


def _check_signature(self) -> None:
    """Skipped only for a request this process rewrote after checking the signature of the
    one the caller sent (harness/emulator/iam/wsgi.py)."""
    from harness.emulator.iam.wsgi import VERIFIED_HEADER, VERIFIED_TOKEN

    if self._headers.get(VERIFIED_HEADER) == VERIFIED_TOKEN:
        return
    _original_signature(self)


def _authorize_normal(self, resource: str = "*") -> None:
    service = getattr(self, "service_name", "") or ""
    try:
        action = self._get_action()
    except Exception:  # noqa: BLE001
        action = ""
    account, region = self.current_account, getattr(self, "region", "us-east-1")
    context: dict = {}
    if service == "cloudwatch" and action == "PutMetricData":
        context["cloudwatch:namespace"] = request_param(self, "Namespace")
    if resource == "*":
        resources = resources_of(self, service, action, account, region)
    else:
        resources = [resource]
    extra = pass_role_checks(self, service, action, account) + tag_checks(self, service, action)
    token = _REQUEST.set({"context": context, "extra": extra})
    try:
        for one in resources:
            _original_normal(self, one)
    except _RESTError as exc:
        if isinstance(exc, JsonRESTError) or not _speaks_json(self):
            raise
        # moto answers an authorization error in XML whatever the protocol: a JSON client
        # (ssm, logs, kms, CloudWatch through the CBOR translation) cannot read its code
        # or message. Upstream: ActionAuthenticatorMixin._authenticate_and_authorize_action.
        error = JsonRESTError(exc.error_type, exc.message)
        error.code = exc.code
        raise error from exc
    finally:
        _REQUEST.reset(token)


def _speaks_json(response) -> bool:
    headers = response.headers
    return bool(headers.get("X-Amz-Target")) or "json" in str(headers.get("Content-Type", ""))


def _delete_keys(body: bytes) -> list[tuple[str, str | None]]:
    root = ET.fromstring(body)
    out = []
    for obj in root.iter():
        if obj.tag.rsplit("}", 1)[-1] == "Object":
            fields = {c.tag.rsplit("}", 1)[-1]: c.text or "" for c in obj}
            out.append((fields.get("Key", ""), fields.get("VersionId")))
    return out


def _authorize_s3(self, bucket_name: str | None = None, key_name: str | None = None) -> None:
    context = {}
    if prefix := (self.querystring.get("prefix") or [None])[0]:
        context["s3:prefix"] = prefix
    token = _REQUEST.set({"context": context, "extra": []})
    try:
        if self.data.get("Action") == "DeleteObject" and key_name is None and bucket_name:
            try:
                keys = _delete_keys(self.body or b"")
            except ET.ParseError:
                keys = []
            for key, version in keys or [("", None)]:
                self.data["Action"] = "DeleteObjectVersion" if version else "DeleteObject"
                try:
                    _original_s3(self, bucket_name=bucket_name, key_name=key)
                except Exception as exc:
                    if getattr(exc, "code", 0) == 403:  # not the bucket error: moto would
                        raise S3AccessDeniedError() from exc  # delete it unauthenticated
                    raise
            self.data["Action"] = "DeleteObject"
            return
        _original_s3(self, bucket_name=bucket_name, key_name=key_name)
    finally:
        _REQUEST.reset(token)


def _create_auth(self, credentials):
    """S3 Control (``/v20180820/...``, reached by the provider for bucket tags) is signed as
    S3 is, with the path not encoded twice; moto checks it with the generic signer and
    refuses every such request (SignatureDoesNotMatch). Upstream: ``IAMRequest._create_auth``
    should pick ``S3SigV4Auth`` for the signing name ``s3``."""
    if self._service == "s3":
        return S3SigV4Auth(credentials, self._service, self._region)
    return _original_create_auth(self, credentials)


def _request_init(self, *args, **kwargs) -> None:
    try:
        _original_request_init(self, *args, **kwargs)
    finally:
        if getattr(self, "_action", None) and ":" in self._action:
            prefix, name = self._action.split(":", 1)
            self._action = f"{SIGNING_NAME_TO_PREFIX.get(prefix, prefix)}:{name}"


def _check_action_permitted(self, resource: str) -> None:
    request = _REQUEST.get() or {"context": {}, "extra": []}
    principal = self._access_key.arn
    identity = {
        "aws:PrincipalArn": principal,
        "aws:PrincipalAccount": self.account_id,
        "aws:RequestedRegion": self._region,
    }
    token = _REQUEST.set({**request, "context": {**request["context"], **identity}})
    try:
        _recorded(_original_check, self, principal, resource)
        action = self._action
        for extra_action, extra_resource, extra_context in request.get("extra", []):
            _REQUEST.set({"context": {**request["context"], **identity, **extra_context}})
            self._action = extra_action
            try:
                if extra_resource is None:  # tags on create: the created resource itself
                    target = resource
                else:
                    target = existing_arn("role", extra_resource, self.account_id)
                _recorded(_original_check, self, principal, target)
            finally:
                self._action = action
    finally:
        _REQUEST.reset(token)


def _recorded(check, request, principal: str, resource: str) -> None:
    """``EMULATOR_IAM_RECORD=FILE`` in the emulator's environment: one line per decision
    (principal, action, resource, allowed/denied), to see what a principal needs (how the
    deployer policy was drawn up: docs/EMULATED_INSTANCES.md). It decides nothing."""
    path = os.environ.get("EMULATOR_IAM_RECORD")
    verdict = "denied"
    try:
        check(request, resource)
        verdict = "allowed"
    finally:
        if path:
            with open(path, "a", encoding="utf-8") as out:
                out.write(f"{principal}\t{request._action}\t{resource}\t{verdict}\n")


_RESULTS = {
    Result.PERMITTED: PermissionResult.PERMITTED,
    Result.DENIED: PermissionResult.DENIED,
    Result.NEUTRAL: PermissionResult.NEUTRAL,
}


def _statement_permitted(
    self, action, resource="*", principal=None, incoming_condition_values=None
):
    context = {**current_context(), **(incoming_condition_values or {})}
    statement = self._statement
    if isinstance(statement, str):
        statement = json.loads(statement)
    return _RESULTS[statement_result(statement, action, resource, principal, context)]


def install() -> None:
    """Switch enforcement on, for good, with the corrections above."""
    settings.INITIAL_NO_AUTH_ACTION_COUNT = 0
    ActionAuthenticatorMixin._authenticate_and_authorize_normal_action = _authorize_normal
    ActionAuthenticatorMixin._authenticate_and_authorize_s3_action = _authorize_s3
    IAMRequestBase.__init__ = _request_init
    IAMRequestBase.check_action_permitted = _check_action_permitted
    IAMRequestBase.check_signature = _check_signature
    IAMRequest._create_auth = _create_auth
    IAMPolicyStatement.is_action_permitted = _statement_permitted
    for method, extra in S3_BUCKET_ACTIONS.items():
        s3_responses.ACTION_MAP["BUCKET"][method].update(extra)
    s3_responses.ACTION_MAP["KEY"]["HEAD"].update(S3_KEY_HEAD_ACTIONS)
