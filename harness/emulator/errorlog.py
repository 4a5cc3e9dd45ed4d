"""One log line per error answer of the emulator: which operation, which AWS error code,
and which attempt of which SDK call it was.

werkzeug logs ``"POST / HTTP/1.1" 400`` and nothing else: for the query protocol (EC2,
IAM, RDS, STS) every call is ``POST /``, so a failed apply's emulator log cannot say what
failed, nor whether the SDK had sent the same call before (a retry after a lost answer).
This middleware adds, for each 4xx/5xx answer::

    [moto] 400 POST / EC2:AuthorizeSecurityGroupEgress code=InvalidPermission.Duplicate
        attempt=1; max=25 invocation=83e58957-...

from the form body's ``Action`` (query protocol), ``X-Amz-Target`` (JSON protocol) or the
path (REST), the answer's ``<Code>``/``__type``, and the SDK's ``amz-sdk-request`` and
``amz-sdk-invocation-id`` headers (the invocation id is the same on every retry).
"""

from __future__ import annotations

import io
import re
import sys
from urllib.parse import parse_qs

from werkzeug.test import run_wsgi_app

_FORM = "application/x-www-form-urlencoded"
_MAX_FORM = 1 << 20  # query-protocol bodies are small; larger ones are not buffered
_CODE = re.compile(rb"<Code>([^<]{1,200})</Code>|\"__type\"\s*:\s*\"(?:[^\"#]*#)?([^\"]{1,200})\"")


_FORM_KEY = "harness.query_form"


def query_form(environ: dict) -> dict[str, list[str]]:
    """The form of a query-protocol request (EC2, IAM, RDS, STS: a url-encoded POST), read
    once and kept in ``environ`` for every middleware that asks (this log, the data plane's
    Ec2ActionHook); the body is put back for the app. ``{}`` for any other request."""
    if _FORM_KEY not in environ:
        form: dict[str, list[str]] = {}
        length = int(environ.get("CONTENT_LENGTH") or 0)
        if (
            environ.get("REQUEST_METHOD") == "POST"
            and environ.get("CONTENT_TYPE", "").startswith(_FORM)
            and 0 < length <= _MAX_FORM
        ):
            raw = environ["wsgi.input"].read(length)
            environ["wsgi.input"] = io.BytesIO(raw)  # the app reads the same bytes
            form = parse_qs(raw.decode("utf-8", "replace"))
        environ[_FORM_KEY] = form
    return environ[_FORM_KEY]


def _operation(environ: dict) -> str:
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        return target
    action = query_form(environ).get("Action", [""])[0]
    if not action:
        return ""
    service = environ.get("HTTP_AUTHORIZATION", "").split("/")
    return (f"{service[3].upper()}:" if len(service) > 3 else "") + action


class ErrorLog:
    """WSGI middleware: a line on ``stream`` for every error answer (see the module)."""

    def __init__(self, app, stream=None) -> None:
        self.app, self.stream = app, stream

    def __call__(self, environ, start_response):
        operation = _operation(environ)
        chunks, status, headers = run_wsgi_app(self.app, environ)
        start_response(status, headers.to_wsgi_list())
        if status[:1] not in ("4", "5"):
            return chunks  # streamed on, unread (large S3 objects)
        try:
            body = b"".join(chunks)
        finally:
            if hasattr(chunks, "close"):  # run_wsgi_app may hand back a plain chain
                chunks.close()
        found = _CODE.search(body[:8192])
        code = (found[1] or found[2]).decode("utf-8", "replace") if found else "-"
        print(
            f"[moto] {status.split()[0]} {environ.get('REQUEST_METHOD')} "
            f"{environ.get('PATH_INFO')} {operation or '-'} code={code} "
            f"{environ.get('HTTP_AMZ_SDK_REQUEST') or 'attempt=-'} "
            f"invocation={environ.get('HTTP_AMZ_SDK_INVOCATION_ID', '-')}",
            file=self.stream or sys.stderr,
            flush=True,
        )
        return [body]
