"""S3: where moto 5.2.5 differs from S3 in what the stack's provider and app do.

Conditions in bucket policies (the TLS-only ``aws:SecureTransport`` deny) are evaluated by
:mod:`harness.emulator.iam`, with every other condition.

1. **ListObjectVersions ignores ``encoding-type=url``.** See :func:`_list_object_versions`.
2. **S3 keys with a line break cannot be reached** on moto's server. See
   :func:`_s3_urls_with_line_breaks`.
3. **Tags on CreateBucket.** The provider sends a bucket's tags inside
   ``CreateBucketConfiguration`` (S3's tag-on-create). moto ignores them, so the bucket
   ends up untagged (a drift on every plan, and invisible to a search by tag).
   :class:`BucketTagsOnCreate` applies them with a PutBucketTagging right after a
   successful create. Upstream: moto/s3/responses.py, ``_bucket_response_put``.
4. **Deleting a key with a delete marker in a bucket whose versioning was suspended**
   answers 500: moto pops every version of the key and calls ``dispose()`` on each, which
   a ``FakeDeleteMarker`` lacks (``AttributeError``). Destroying a stack hits it when the
   provider suspends versioning (the versioning resource's delete) while objects deleted
   before left markers: the destroy retried for ever. A marker holds no data to dispose of.
   Upstream: moto/s3/models.py, ``FakeDeleteMarker`` (or ``_VersionedKeyStore.pop`` in
   moto/s3/utils.py skipping markers).
"""

from __future__ import annotations

import io
from urllib.parse import quote_plus
from xml.sax.saxutils import escape

from moto.core.responses import ActionResult
from moto.s3.models import FakeDeleteMarker, S3Backend
from moto.s3.responses import S3Response
from werkzeug.test import run_wsgi_app

from harness.emulator.iam.wsgi import mark_verified

# ------------------------------------------------------------- version listings

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


# ------------------------------------------------------------- tags on create


def _create_bucket_tags(body: bytes) -> list[tuple[str, str]]:
    import xml.etree.ElementTree as ET

    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        return []
    tags = []
    for tag in root.iter():
        if tag.tag.rsplit("}", 1)[-1] == "Tag":
            fields = {child.tag.rsplit("}", 1)[-1]: (child.text or "") for child in tag}
            if "Key" in fields:
                tags.append((fields["Key"], fields.get("Value", "")))
    return tags


class BucketTagsOnCreate:
    """WSGI middleware: the tags of a CreateBucket applied once the bucket exists."""

    def __init__(self, app) -> None:
        self.app = app

    def __call__(self, environ, start_response):
        if (
            environ.get("REQUEST_METHOD") == "PUT"
            and not environ.get("QUERY_STRING")
            and environ.get("PATH_INFO", "").count("/") == 1
            and int(environ.get("CONTENT_LENGTH") or 0) > 0
        ):
            return self._create_bucket(environ, start_response)
        return self.app(environ, start_response)

    def _create_bucket(self, environ, start_response):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length)
        environ = dict(environ, **{"wsgi.input": io.BytesIO(raw)})
        body_iter, status, headers = run_wsgi_app(self.app, environ, buffered=True)
        body = b"".join(body_iter)
        tags = _create_bucket_tags(raw) if b"CreateBucketConfiguration" in raw else []
        if tags and status.startswith("200"):
            tagging = (
                '<Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><TagSet>'
                + "".join(
                    f"<Tag><Key>{escape(k)}</Key><Value>{escape(v)}</Value></Tag>" for k, v in tags
                )
                + "</TagSet></Tagging>"
            ).encode()
            inner = dict(environ)
            mark_verified(inner)  # signed as the CreateBucket it follows (harness/emulator/iam)
            inner.update(
                {
                    "QUERY_STRING": "tagging",
                    "CONTENT_LENGTH": str(len(tagging)),
                    "CONTENT_TYPE": "application/xml",
                    "wsgi.input": io.BytesIO(tagging),
                }
            )
            inner.pop("HTTP_CONTENT_MD5", None)
            for key in [
                k
                for k in inner
                if k.startswith("HTTP_X_AMZ_CHECKSUM") or k == "HTTP_X_AMZ_SDK_CHECKSUM_ALGORITHM"
            ]:
                inner.pop(key)
            run_wsgi_app(self.app, inner, buffered=True)
        start_response(status, headers.to_wsgi_list())
        return [body]


def _dispose_marker(self, garbage: bool = False) -> None:
    """A delete marker holds no data: nothing to dispose of."""


def apply() -> None:
    if not hasattr(FakeDeleteMarker, "dispose"):
        FakeDeleteMarker.dispose = _dispose_marker
    S3Response.list_object_versions = _list_object_versions
    S3Backend._url_module = property(_s3_urls_with_line_breaks)
