"""The emulator's outermost WSGI middleware for IAM (:class:`IamGuard`).

1. Refuses ``/moto-api/reset-auth``: moto's way to switch access control off on a running
   server (``INITIAL_NO_AUTH_ACTION_COUNT``). Enforcement has no off switch here.
2. Makes the bootstrap admin again after ``/moto-api/reset`` (which forgets every user).
   Serves :data:`EC2_ASSUME_PATH`, EC2's AssumeRole for an instance's metadata service
   outside the emulator's process (unit tests), to the bootstrap admin only.
3. **Checks the signature of a request before the server rewrites it.** The CBOR
   translation (harness/emulator/server.py) turns a Smithy RPC v2 CBOR request into the JSON
   protocol and the S3 tag-on-create into a second request, PutBucketTagging: moto would check
   the caller's signature against a request the caller never signed, and refuse every one.
   The signature of a CBOR request is checked here, on the request as sent (with moto's own
   :class:`moto.iam.access_control.IAMRequest`), and the rewritten request carries
   :data:`VERIFIED_HEADER` with this process's secret, which :mod:`.enforce` accepts in place
   of the signature check. Authorization still runs, on the rewritten request, for the
   caller's key. A client cannot send the header: it is removed from every request that
   comes in. Upstream: nothing (moto 5.2.5 has no CBOR; when it does, this goes).
"""

from __future__ import annotations

import io
import json
import secrets

import cbor2

from harness.emulator.iam.identities import bootstrap_admin

EC2_ASSUME_PATH = "/_emulator/iam/ec2-assume-role"
VERIFIED_HEADER = "X-Emulator-Signature-Verified"
VERIFIED_ENVIRON = "HTTP_" + VERIFIED_HEADER.upper().replace("-", "_")
VERIFIED_TOKEN = secrets.token_hex(16)  # this process's; never leaves it


def mark_verified(environ: dict) -> None:
    """For a request this process derived from one whose signature was checked."""
    environ[VERIFIED_ENVIRON] = VERIFIED_TOKEN


def _headers(environ: dict) -> dict[str, str]:
    headers = {}
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            name = key[5:]
        elif key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            name = key
        else:
            continue
        headers["-".join(p.capitalize() for p in name.split("_"))] = value
    return headers


def check_signature(environ: dict, body: bytes, action: str):
    """Raises moto's error (InvalidClientTokenId, SignatureDoesNotMatch) for a request
    whose key is unknown or whose signature is wrong."""
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.iam.access_control import IAMRequest

    headers = _headers(environ)
    if "Authorization" not in headers:
        from moto.core.exceptions import AccessDeniedError

        raise AccessDeniedError(user_arn="anonymous", action=action)
    path = environ.get("PATH_INFO", "")
    if environ.get("QUERY_STRING"):
        path += "?" + environ["QUERY_STRING"]
    request = IAMRequest(
        account_id=DEFAULT_ACCOUNT_ID,
        method=environ.get("REQUEST_METHOD", "POST"),
        path=path,
        data={},
        body=body,
        headers=headers,
        action=action,
    )
    request.check_signature()
    return request


class IamGuard:
    def __init__(self, app) -> None:
        self.app = app

    def __call__(self, environ, start_response):
        environ.pop(VERIFIED_ENVIRON, None)  # only this process may say so
        path = environ.get("PATH_INFO", "").rstrip("/")
        if path == "/moto-api/reset-auth":
            return _plain(
                start_response, "403 Forbidden", "IAM enforcement cannot be switched off\n"
            )
        if path == EC2_ASSUME_PATH:
            return _ec2_assume_role(environ, start_response)
        if environ.get("HTTP_SMITHY_PROTOCOL") == "rpc-v2-cbor":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length) if length else b""
            environ["wsgi.input"] = io.BytesIO(body)
            try:
                check_signature(environ, body, path.rsplit("/", 1)[-1])
            except Exception as exc:  # noqa: BLE001 - moto's HTTP errors, answered in CBOR
                error = getattr(exc, "error_type", "AccessDenied")
                data = cbor2.dumps({"__type": error, "message": getattr(exc, "message", "")})
                start_response(
                    "403 Forbidden",
                    [
                        ("Content-Type", "application/cbor"),
                        ("smithy-protocol", "rpc-v2-cbor"),
                        ("Content-Length", str(len(data))),
                    ],
                )
                return [data]
            mark_verified(environ)
        answer = self.app(environ, start_response)
        if path == "/moto-api/reset" and environ.get("REQUEST_METHOD") == "POST":
            answer = list(answer)
            bootstrap_admin()
        return answer


def _ec2_assume_role(environ, start_response):
    """EC2's AssumeRole for an instance (:class:`.identities.Ec2RoleCredentialsClient`):
    a request signed by the bootstrap admin only (the harness stands in for the hypervisor),
    answered with the role's session or ``AssumeRoleUnauthorizedAccess``."""
    from harness.emulator.iam.identities import ADMIN_USER, assume_role_as_service

    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    try:
        request = check_signature(environ, body, "AssumeRole")
        if not request._access_key.arn.endswith(f":user/{ADMIN_USER}"):
            raise PermissionError("only the emulator's bootstrap admin stands in for EC2")
        ask = json.loads(body)
        answer = assume_role_as_service(
            ask["RoleArn"],
            ask.get("Service", "ec2.amazonaws.com"),
            ask["RoleSessionName"],
            int(ask.get("DurationSeconds", 3600)),
            ask.get("Region", "us-east-1"),
        )
    except Exception as exc:  # noqa: BLE001 - every refusal is a 403 with a code
        code = getattr(exc, "code", None)
        error = code if isinstance(code, str) else getattr(exc, "error_type", "AccessDenied")
        data = json.dumps({"Code": error, "Message": getattr(exc, "message", str(exc))})
        return _plain(start_response, "403 Forbidden", data, "application/json")
    creds = dict(answer["Credentials"])
    creds["Expiration"] = creds["Expiration"].strftime("%Y-%m-%dT%H:%M:%SZ")
    return _plain(start_response, "200 OK", json.dumps({"Credentials": creds}), "application/json")


def _plain(start_response, status: str, text: str, ctype: str = "text/plain"):
    body = text.encode()
    start_response(status, [("Content-Type", ctype), ("Content-Length", str(len(body)))])
    return [body]
