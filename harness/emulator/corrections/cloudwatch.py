"""CloudWatch: Smithy RPC v2 CBOR, which the aws provider 6.x speaks, served by moto's JSON.

The aws provider 6.x (aws-sdk-go-v2) speaks CloudWatch's newest protocol,
``smithy-rpc-v2-cbor`` (``POST /service/<Service>/operation/<Op>``, CBOR body). moto 5.2.5
only knows CloudWatch's JSON and query protocols and answers 404. :class:`CborToJson`
translates: the CBOR request becomes the same operation in the JSON protocol (botocore's own
serializer and model), moto answers, and the JSON answer is parsed with botocore's model and
sent back as CBOR, typed by the output shape. Upstream: moto/core/responses.py (a protocol
of its own next to JSON and query), as moto has for other Smithy services.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from functools import cache

import botocore.session
import cbor2
from botocore.serialize import create_serializer
from werkzeug.test import run_wsgi_app

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


class CborToJson:
    """WSGI middleware: Smithy RPC v2 CBOR requests served by moto's JSON protocol."""

    def __init__(self, app) -> None:
        self.app = app

    def __call__(self, environ, start_response):
        parts = environ.get("PATH_INFO", "").strip("/").split("/")
        if (
            environ.get("HTTP_SMITHY_PROTOCOL") != "rpc-v2-cbor"
            or len(parts) != 4
            or parts[0] != "service"
            or parts[2] != "operation"
            or parts[1] not in CBOR_SERVICES
        ):
            return self.app(environ, start_response)
        return self._translate(environ, start_response, CBOR_SERVICES[parts[1]], parts[3])

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
        answer_iter, status, inner_headers = run_wsgi_app(self.app, inner, buffered=True)
        answer = b"".join(answer_iter)
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
