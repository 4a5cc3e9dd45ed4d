"""moto's server, with the corrections the stack's provider needs to talk to it.

Two live here, as a WSGI middleware around moto's app; the others patch moto's own methods
and live in :mod:`harness.moto_patches` (bucket-policy conditions, ListObjectVersions'
``encoding-type=url``, unique RDS resource ids).

1. **Smithy RPC v2 CBOR.** The aws provider 6.x (aws-sdk-go-v2) speaks CloudWatch's newest
   protocol, ``smithy-rpc-v2-cbor`` (``POST /service/<Service>/operation/<Op>``, CBOR
   body). moto 5.2.5 only knows CloudWatch's JSON and query protocols and answers 404. A
   WSGI middleware translates: the CBOR request becomes the same operation in the JSON
   protocol (botocore's own serializer and model), moto answers, and the JSON answer is
   parsed with botocore's model and sent back as CBOR, typed by the output shape.
2. **Tags on CreateBucket.** The provider sends a bucket's tags inside
   ``CreateBucketConfiguration`` (S3's tag-on-create). moto ignores them, so the bucket
   ends up untagged (a drift on every plan, and invisible to a search by tag). The
   middleware applies them with a PutBucketTagging right after a successful create.

Everything else is moto's own behaviour. All are tested in tests/unit/harness/test_emulator.py.
Every error answer also gets a log line naming its operation (:mod:`harness.moto_errorlog`).

``--instances IMAGE`` also runs the EC2 data plane in this process (harness/dataplane.py):
instances boot as containers of that image, and it stops with the server.

    python -m harness.moto_server -H 127.0.0.1 -p 5000 [--instances IMAGE]
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import signal
import sys
from functools import cache

import botocore.session
import cbor2
from botocore.serialize import create_serializer

from harness.emulator_iam import mark_verified
from harness.moto_errorlog import ErrorLog
from harness.moto_patches import apply_patches

# ------------------------------------------------------------- CBOR translation

# Smithy service id (first path segment) -> botocore service name
CBOR_SERVICES = {"GraniteServiceVersion20100801": "cloudwatch"}


@cache
def _service_model(name: str):
    return botocore.session.get_session().get_service_model(name)


def _typed_for_cbor(value, shape):
    """Python value -> what the Go CBOR decoder expects for this Smithy shape."""
    if value is None or shape is None:
        return value
    kind = shape.type_name
    if kind == "structure":
        return {
            k: _typed_for_cbor(v, shape.members.get(k)) for k, v in value.items() if v is not None
        }
    if kind == "list":
        return [_typed_for_cbor(v, shape.member) for v in value]
    if kind == "map":
        return {k: _typed_for_cbor(v, shape.value) for k, v in value.items()}
    if kind == "timestamp":
        if isinstance(value, dt.datetime):
            value = value.timestamp()
        return cbor2.CBORTag(1, float(value))
    if kind in ("double", "float"):
        return float(value)
    if kind in ("integer", "long", "short", "byte"):
        return int(value)
    if kind == "boolean":
        return bool(value) if not isinstance(value, str) else value.lower() == "true"
    return value


def _json_to_python(value, shape):
    """moto's JSON answer -> typed Python values (timestamps as datetimes)."""
    if value is None or shape is None:
        return value
    kind = shape.type_name
    if kind == "structure":
        return {k: _json_to_python(v, shape.members.get(k)) for k, v in value.items()}
    if kind == "list":
        return [_json_to_python(v, shape.member) for v in value]
    if kind == "map":
        return {k: _json_to_python(v, shape.value) for k, v in value.items()}
    if kind == "timestamp":
        if isinstance(value, int | float):
            return dt.datetime.fromtimestamp(value, tz=dt.UTC)
        return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return value


def _python_params(value):
    """CBOR-decoded request values -> what botocore's serializer accepts."""
    if isinstance(value, dict):
        return {k: _python_params(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_python_params(v) for v in value]
    if isinstance(value, cbor2.CBORTag) and value.tag == 1:
        return dt.datetime.fromtimestamp(value.value, tz=dt.UTC)
    return value


def _call(app, environ) -> tuple[str, list, bytes]:
    captured: dict = {}

    def capture(status, headers, exc_info=None):
        captured["status"], captured["headers"] = status, headers
        return lambda data: None

    chunks = app(environ, capture)
    try:
        body = b"".join(chunks)
    finally:
        if hasattr(chunks, "close"):
            chunks.close()
    return captured["status"], captured["headers"], body


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


class CborToJson:
    """WSGI middleware: Smithy RPC v2 CBOR requests served by moto's JSON protocol,
    and tag-on-create for S3 buckets."""

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
        path = environ.get("PATH_INFO", "")
        parts = path.strip("/").split("/")
        if (
            environ.get("HTTP_SMITHY_PROTOCOL") != "rpc-v2-cbor"
            or len(parts) != 4
            or parts[0] != "service"
            or parts[2] != "operation"
            or parts[1] not in CBOR_SERVICES
        ):
            return self.app(environ, start_response)
        return self._translate(environ, start_response, CBOR_SERVICES[parts[1]], parts[3])

    def _create_bucket(self, environ, start_response):
        from xml.sax.saxutils import escape

        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length)
        environ = dict(environ, **{"wsgi.input": io.BytesIO(raw)})
        status, headers, body = _call(self.app, environ)
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
            mark_verified(inner)  # signed as the CreateBucket it follows (emulator_iam/wsgi.py)
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
            _call(self.app, inner)
        start_response(status, headers)
        return [body]

    def _translate(self, environ, start_response, service: str, operation: str):
        model = _service_model(service)
        op = model.operation_model(operation)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b""
        params = _python_params(cbor2.loads(raw)) if raw else {}

        request = create_serializer("json").serialize_to_request(params, op)
        body = request["body"] if isinstance(request["body"], bytes) else request["body"].encode()
        inner = dict(environ)
        inner.update(
            {
                "PATH_INFO": "/",
                "REQUEST_METHOD": "POST",
                "CONTENT_TYPE": request["headers"]["Content-Type"],
                "CONTENT_LENGTH": str(len(body)),
                "HTTP_X_AMZ_TARGET": request["headers"]["X-Amz-Target"],
                "wsgi.input": io.BytesIO(body),
            }
        )
        inner.pop("HTTP_SMITHY_PROTOCOL", None)
        status, inner_headers, answer = _call(self.app, inner)
        code = int(status.split()[0])
        doc = json.loads(answer or b"{}")
        if code < 300:
            out = _json_to_python(doc, op.output_shape) if op.output_shape else {}
            payload = _typed_for_cbor(out, op.output_shape) if op.output_shape else {}
        else:
            error = str(doc.get("__type", "InternalFailure")).split("#")[-1]
            payload = {"__type": error, "message": doc.get("message", doc.get("Message", ""))}
        data = cbor2.dumps(payload)
        start_response(
            status,
            [
                ("Content-Type", "application/cbor"),
                ("smithy-protocol", "rpc-v2-cbor"),
                ("Content-Length", str(len(data))),
                *[(k, v) for k, v in inner_headers if k.lower().startswith("x-amz")],
            ],
        )
        return [data]


# ------------------------------------------------------------------------- server


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, default=5000)
    parser.add_argument("--instances", metavar="IMAGE", help="boot EC2 instances (dataplane.py)")
    parser.add_argument("--extra-host", action="append", default=[], metavar="NAME=ADDRESS")
    args = parser.parse_args(argv)

    import os

    os.environ.setdefault("MOTO_PORT", str(args.port))
    apply_patches()
    from harness.emulator_iam import IamGuard, install
    from harness.moto_monitoring import apply_monitoring_patch

    apply_monitoring_patch()  # MonitorInstances, UnmonitorInstances (prod)

    install()  # IAM enforced, always (harness/emulator_iam)
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import run_simple

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    app, plane = CborToJson(DomainDispatcherApplication(create_backend_app)), None
    app = IamGuard(ErrorLog(app))  # a log line naming the operation and code of every error answer
    if args.instances:  # EC2 instances boot as containers (harness/dataplane.py)
        from harness.dataplane import attach_data_plane

        url = f"http://{args.host}:{args.port}"
        app, plane = attach_data_plane(app, url, args.instances, args.extra_host)
    try:
        run_simple(args.host, args.port, app, threaded=True, request_handler=MotoRequestHandler)
    finally:
        if plane is not None:
            plane.stop()  # on SIGTERM and Ctrl-C too: no container outlives the emulator


if __name__ == "__main__":
    main(sys.argv[1:])
