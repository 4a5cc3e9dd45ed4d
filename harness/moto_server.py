"""Start moto's server with one correction to its IAM policy evaluation.

moto 5.2.5 skips any condition operator it does not implement (everything but
``StringEquals``), so a ``Deny`` with ``"Bool": {"aws:SecureTransport": "false"}`` (the
stack's TLS-only bucket policy) becomes an unconditional Deny and every object request
fails with 403. Every AWS endpoint is reached over TLS, so on AWS that statement never
applies to the SDK's requests. Here the emulator's requests are evaluated as TLS requests:
a statement whose ``aws:SecureTransport`` condition requires plain HTTP does not apply.
Everything else is moto's own behaviour. Verified by tests/unit/harness/test_emulator.py.

    python -m harness.moto_server -H 127.0.0.1 -p 5000
"""

from __future__ import annotations

import sys

from moto.iam.access_control import IAMPolicyStatement, PermissionResult

_original = IAMPolicyStatement.is_action_permitted


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
    return _original(self, action, resource, principal, incoming_condition_values)


def apply_patches() -> None:
    IAMPolicyStatement.is_action_permitted = _is_action_permitted


def main(argv: list[str] | None = None) -> None:
    apply_patches()
    from moto.server import main as moto_main

    moto_main(argv)


if __name__ == "__main__":
    main(sys.argv[1:])
