"""Corrections to moto 5.2.5's own behaviour, applied in the emulator's process.

:mod:`harness.moto_server` applies them before it serves; each is a small wrapper around one
moto method, so an upgrade that fixes the original makes the wrapper a no-op, never a
conflict. Each says where upstream it belongs. All are tested in
``tests/unit/harness/test_emulator.py``; the RDS one also by
``tests/integration/test_shared_emulator.py`` (two stacks applied at once on one emulator).

1. **Conditions in bucket policies.** moto skips condition operators it does not implement
   (all but ``StringEquals``), so a ``Deny`` with ``"Bool": {"aws:SecureTransport":
   "false"}`` (the stack's TLS-only bucket policy) becomes a deny-all and every object
   request fails with 403. Every AWS endpoint is reached over TLS, so on AWS that statement
   never applies to the SDK's requests; here the emulator's requests count as TLS requests.
2. **ListObjectVersions ignores ``encoding-type=url``.** See :func:`_list_object_versions`.
3. **S3 keys with a line break cannot be reached** on moto's server. See
   :func:`_s3_urls_with_line_breaks`.
4. **Every RDS instance has the same ``DbiResourceId``.** See :func:`_unique_dbi_resource_id`.
5. **A new RDS instance's CA is ``rds-ca-default``.** See :func:`_current_default_ca`.
"""

from __future__ import annotations

from urllib.parse import quote_plus

from moto.core.responses import ActionResult
from moto.iam.access_control import IAMPolicyStatement, PermissionResult
from moto.moto_api._internal import mock_random
from moto.rds.models import DBInstance
from moto.s3.models import S3Backend
from moto.s3.responses import S3Response

# ------------------------------------------------------------- policy conditions

_original_permitted = IAMPolicyStatement.is_action_permitted


def _requires_plain_http(condition: dict) -> bool:
    for operator in ("Bool", "BoolIfExists"):
        value = (condition.get(operator) or {}).get("aws:SecureTransport")
        values = value if isinstance(value, list) else [value]
        if value is not None and all(str(v).lower() == "false" for v in values):
            return True
    return False


def _is_action_permitted(
    self, action, resource="*", principal=None, incoming_condition_values=None
):
    if _requires_plain_http(self._statement.get("Condition") or {}):
        return PermissionResult.NEUTRAL  # the request came over TLS: the statement does not apply
    return _original_permitted(self, action, resource, principal, incoming_condition_values)


# ------------------------------------------------------------- S3 version listings

_original_list_object_versions = S3Response.list_object_versions

# What S3 encodes in a ListObjectVersions answer when asked for encoding-type=url (API
# reference: "KeyMarker, NextKeyMarker, Prefix, Key, and Delimiter"; CommonPrefixes too).
_ENCODED_FIELDS = ("Prefix", "Delimiter", "KeyMarker", "NextKeyMarker")


def s3_url_encode(value: str) -> str:
    """A key as S3 writes it under ``encoding-type=url``.

    Measured on S3 (brekkylab/backlot#178): form encoding of the UTF-8 bytes with ``/``
    kept, so ``a b`` -> ``a+b``, ``a+b`` -> ``a%2Bb``, ``100%`` -> ``100%25``, ``한글/x`` ->
    ``%ED%95%9C%EA%B8%80/x``, a newline -> ``%0A``. Decoders (Go's ``url.QueryUnescape``,
    botocore's ``unquote_plus``) reverse it exactly.
    """
    return quote_plus(value, safe="/")


def _encode_version_listing(result: dict) -> dict:
    out = dict(result)
    for name in _ENCODED_FIELDS:
        if out.get(name):
            out[name] = s3_url_encode(out[name])
    for name in ("Versions", "DeleteMarkers"):
        out[name] = [{**item, "Key": s3_url_encode(item["Key"])} for item in out.get(name) or []]
    if out.get("CommonPrefixes"):
        out["CommonPrefixes"] = [
            {"Prefix": s3_url_encode(p["Prefix"])} for p in out["CommonPrefixes"]
        ]
    out["EncodingType"] = "url"
    return out


def _list_object_versions(self):
    """ListObjectVersions that honours ``encoding-type=url``, as S3 does.

    moto 5.2.5 ignores the parameter here (ListObjects and ListObjectsV2 honour it): keys
    come back raw and without ``<EncodingType>``. The aws provider's ``force_destroy``
    (``emptyBucket`` in internal/service/s3/delete.go) always asks for ``url`` and
    unescapes every key with ``url.QueryUnescape``, so a key ``a%0Ab`` becomes ``a<LF>b``, a
    DeleteObjects of a key that does not exist "succeeds", the bucket stays non-empty and
    ``tofu destroy`` retries DeleteBucket (409 BucketNotEmpty) until its timeout. Smallest
    request that shows it: ``GET /<bucket>?versions&encoding-type=url`` on a bucket holding
    ``100%`` answers ``<Key>100%</Key>`` (S3: ``100%25``).

    Upstream: moto/s3/responses.py, ``S3Response.list_object_versions`` (reached from
    ``_bucket_response_get`` for ``versions``) should read ``encoding-type`` as
    ``list_objects_v2`` does. The closest report upstream is getmoto/moto#1330 (open since
    2017, "Called get_bucket_versions with some of delimiter, encoding_type, ..."); no
    report of the ignored encoding was found.

    moto builds a new S3Response per request, so replacing ``serialized`` on the instance
    affects this one answer only.
    """
    if self.querystring.get("encoding-type", [None])[0] == "url":
        serialize = self.serialized

        def serialized(action_result: ActionResult):
            result = action_result.result
            if not isinstance(result, dict) or result.get("EncodingType"):
                return serialize(action_result)  # an error, or a moto that encodes by itself
            return serialize(ActionResult(_encode_version_listing(result)))

        self.serialized = serialized
    return _original_list_object_versions(self)


_original_s3_url_module = S3Backend._url_module


def _s3_urls_with_line_breaks(self):
    """Route S3 object paths whose key holds a line break (``PUT /bucket/a%0Ab``).

    moto's server turns the key groups of moto/s3/urls.py (``(?P<key_name>.+)``) into
    werkzeug rules, and ``.`` does not match a newline: such a request answers a bare 404,
    so the object can be neither written nor deleted (S3 accepts any UTF-8 key).
    ``[\\s\\S]`` matches every character and survives moto's regex-to-rule conversion,
    which cuts a group at its first ``)`` (so no ``(?s:...)``). S3Backend reloads its urls
    module each time it is asked, hence a wrapper of ``S3Backend._url_module`` rather than an
    edit of the module. Upstream: moto/s3/urls.py, the ``key_name`` patterns.
    """
    module = _original_s3_url_module.fget(self)
    module.url_paths = {
        path.replace("(?P<key_name>.+)", r"(?P<key_name>[\s\S]+)").replace(
            "(?P<key_name>/.*)", r"(?P<key_name>/[\s\S]*)"
        ): handler
        for path, handler in module.url_paths.items()
    }
    return module


# ------------------------------------------------------------- RDS resource ids

_original_db_instance_init = DBInstance.__init__


def _unique_dbi_resource_id(self, *args, **kwargs) -> None:
    """Give every DB instance its own ``DbiResourceId``, as RDS does.

    moto 5.2.5 sets ``self.dbi_resource_id = "db-M5ENSHXFPU6XHZ4G4ZEI5QIO2U"`` in
    ``DBInstance.__init__`` (moto/rds/models.py), the same id for every instance. The aws
    provider stores that id as the resource's ``id`` and reads the instance back with
    ``DescribeDBInstances`` filtered on ``dbi-resource-id`` (``findDBInstanceByID`` in
    internal/service/rds/instance.go). With two instances on one emulator, e.g. two stacks
    applied at once, the filter matches both, ``AssertSingleValueResult`` answers "too many
    results", which the provider treats as not-found, falls back to an identifier lookup of
    ``db-M5EN...``, and fails with "reading RDS DB Instance (...): couldn't find resource".
    On destroy, the deletion waiter keeps finding the *other* stack's instance under the same
    id, ``available``, and polls until its 60-minute timeout. Nothing here is a thread
    race: the same happens with two stacks applied one after the other.

    Upstream: moto/rds/models.py, ``DBInstance.__init__`` should draw the id from
    ``mock_random`` as it does for ``DbClusterResourceId``. LocalStack, whose RDS is
    moto's, had the same report (localstack/localstack#9577); none was found on moto.
    """
    _original_db_instance_init(self, *args, **kwargs)
    self.dbi_resource_id = "db-" + mock_random.get_random_string(26).upper()


# What RDS gives a new DB instance created without CACertificateIdentifier (the RDS user
# guide, "Using SSL/TLS to encrypt a connection to a DB instance": the default CA).
RDS_DEFAULT_CA = "rds-ca-rsa2048-g1"


def _current_default_ca(init):
    """A DB instance created without a CA gets ``rds-ca-rsa2048-g1``, as on RDS.

    moto 5.2.5's ``DBInstance.__init__`` defaults ``ca_certificate_identifier`` to
    ``"rds-ca-default"``, a name RDS never used. The aws provider compares the created
    instance's CA with ``ca_cert_identifier`` and, when they differ, sends a
    ModifyDBInstance and waits for the instance again (internal/service/rds/instance.go,
    resourceInstanceCreate): on the emulator every apply of the stack, which pins
    ``rds-ca-rsa2048-g1``, took about 75 s longer than on AWS, where the default matches.

    Upstream: moto/rds/models.py, ``DBInstance.__init__``'s default.
    """

    def wrapper(self, *args, **kwargs) -> None:
        init(self, *args, **kwargs)
        if self.ca_certificate_identifier == "rds-ca-default":
            self.ca_certificate_identifier = RDS_DEFAULT_CA

    return wrapper


def apply_patches() -> None:
    IAMPolicyStatement.is_action_permitted = _is_action_permitted
    S3Response.list_object_versions = _list_object_versions
    DBInstance.__init__ = _current_default_ca(_unique_dbi_resource_id)
    S3Backend._url_module = property(_s3_urls_with_line_breaks)
