"""``Condition`` blocks of IAM policies, evaluated as IAM evaluates them.

moto 5.2.5 evaluates ``StringEquals`` on ``sts:ExternalId`` in trust policies and nothing
else: every other operator counts as met (``TrustCondition.verify_condition`` in
moto/iam/policy_conditions.py: "If the evaluation operation is not supported, ignore
condition evaluation"), and identity policies are evaluated without any request context, so
every condition of an identity policy counts as met. An ``Allow`` scoped by
``cloudwatch:namespace`` then allows every namespace, and a ``Deny`` scoped by
``aws:SecureTransport`` denies everything. Upstream this belongs in
moto/iam/policy_conditions.py (the operators) and moto/iam/access_control.py
(``IAMRequestBase.check_action_permitted`` should pass a request context to
``IAMPolicy.is_action_permitted``).

:func:`conditions_met` takes a statement's ``Condition`` block, the request's context (key ->
value or list of values; keys are case-insensitive as in IAM) and the statement's effect,
and says whether the statement applies. What it cannot evaluate (an operator or a key it
does not know, see :data:`KNOWN_KEYS`) is never more permissive than AWS: an ``Allow``
with it does not apply, a ``Deny`` with it applies.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

# The keys the emulator puts into a request's context (see harness.emulator.iam.context).
# A key outside this list is unknown: statements conditioned on it fail closed.
KNOWN_KEYS = frozenset(
    {
        "aws:securetransport",
        "aws:requestedregion",
        "aws:principalarn",
        "aws:principalaccount",
        "aws:principaltype",
        "aws:username",
        "aws:sourceaccount",
        "aws:sourcearn",
        "cloudwatch:namespace",
        "kms:viaservice",
        "kms:calleraccount",
        "iam:passedtoservice",
        "ssm:parameter",
        "s3:prefix",
        "sts:externalid",
    }
)


class Unknown(Exception):
    """An operator or key the evaluator does not know."""


def _values(value) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list | tuple) else [value]
    return [str(v).lower() if isinstance(v, bool) else str(v) for v in items]


def _like(pattern: str, value: str, case: bool = True) -> bool:
    from harness.emulator.iam.policy import wildcard

    return wildcard(pattern, value, case)


def _arn_like(pattern: str, value: str) -> bool:
    # ArnLike compares the six colon-separated parts, each with wildcards
    p, v = pattern.split(":", 5), value.split(":", 5)
    return len(p) == len(v) == 6 and all(_like(a, b) for a, b in zip(p, v, strict=True))


def _number(text: str) -> float:
    return float(text)


_MATCHERS = {
    "StringEquals": lambda e, a: e == a,
    "StringEqualsIgnoreCase": lambda e, a: e.lower() == a.lower(),
    "StringLike": _like,
    "ArnEquals": lambda e, a: e == a,
    "ArnLike": _arn_like,
    "Bool": lambda e, a: e.lower() == a.lower(),
    "NumericEquals": lambda e, a: _number(a) == _number(e),
    "NumericLessThan": lambda e, a: _number(a) < _number(e),
    "NumericLessThanEquals": lambda e, a: _number(a) <= _number(e),
    "NumericGreaterThan": lambda e, a: _number(a) > _number(e),
    "NumericGreaterThanEquals": lambda e, a: _number(a) >= _number(e),
}
_NEGATED = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
    "NumericNotEquals": "NumericEquals",
}


def _one(operator: str, expected: list[str], actual: list[str], present: bool) -> bool:
    """One key of one operator. ``present``: the key is in the request's context."""
    qualifier = ""
    if ":" in operator:
        qualifier, operator = operator.split(":", 1)
        if qualifier not in ("ForAnyValue", "ForAllValues"):
            raise Unknown(qualifier)
    if_exists = operator.endswith("IfExists") and operator != "IfExists"
    if if_exists:
        operator = operator[: -len("IfExists")]
    if operator == "Null":
        want_absent = [e.lower() == "true" for e in expected]
        return any(w == (not present) for w in want_absent)
    if not present:
        # absent key: IfExists -> met; ForAllValues -> met (vacuously); else not met
        return if_exists or qualifier == "ForAllValues"
    negated = operator in _NEGATED
    base = _NEGATED.get(operator, operator)
    match = _MATCHERS.get(base)
    if match is None:
        raise Unknown(operator)

    def hit(value: str) -> bool:
        return any(match(e, value) for e in expected)

    if qualifier == "ForAllValues":
        result = all(hit(a) for a in actual)
        return not result if negated else result
    if negated:  # every value differs from every expected value
        return not any(hit(a) for a in actual)
    return any(hit(a) for a in actual)


def conditions_met(
    block: Mapping | None, context: Mapping[str, object], effect: str = "Allow"
) -> bool:
    """Does a statement with this ``Condition`` block apply to a request with ``context``?

    Every operator and every key in it must be met (AND); several values of one key are
    alternatives (OR). Unknown operators and keys: an ``Allow`` does not apply, a ``Deny``
    does (fail closed, never more permissive than AWS).
    """
    if not block:
        return True
    ctx = {str(k).lower(): v for k, v in context.items()}
    try:
        for operator, keys in block.items():
            if not isinstance(keys, Mapping):
                raise Unknown(operator)
            for key, expected in keys.items():
                name = key.lower()
                if name not in KNOWN_KEYS:
                    raise Unknown(key)
                present = ctx.get(name) is not None
                if not _one(operator, _values(expected), _values(ctx.get(name)), present):
                    return False
    except (Unknown, ValueError):
        return effect == "Deny"
    return True


def unknown_keys(block: Mapping | None) -> Iterable[str]:
    """The keys of a ``Condition`` block that the evaluator does not know (for messages)."""
    for keys in (block or {}).values():
        if isinstance(keys, Mapping):
            yield from (k for k in keys if k.lower() not in KNOWN_KEYS)


__all__ = ["KNOWN_KEYS", "Unknown", "conditions_met", "unknown_keys"]
