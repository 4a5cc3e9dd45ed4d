"""One policy statement, evaluated as IAM evaluates it: action, resource, principal, conditions.

Replaces ``IAMPolicyStatement.is_action_permitted`` of moto 5.2.5 (moto/iam/access_control.py),
which differs from IAM in four ways that matter to this stack (upstream: that method and
``_check_principal`` / ``_check_conditions`` / ``_match`` beside it):

1. **A statement whose conditions are not met is DENIED** (moto returns ``DENIED`` whatever
   the statement's effect), so an ``Allow`` with an unmet condition becomes an explicit deny
   of the whole request. In IAM such a statement simply does not apply.
2. **Service principals crash it**: ``_check_principal`` reads only ``Principal.AWS``; for a
   trust policy naming ``{"Service": "ec2.amazonaws.com"}`` it evaluates ``arn in None`` and
   AssumeRole answers HTTP 500 (``TypeError: argument of type 'NoneType' is not iterable``).
   An account principal (``arn:aws:iam::ACCOUNT:root`` or the bare account id) matches only
   that exact string, where IAM lets every principal of that account in.
3. **Conditions** are ignored (see :mod:`harness.emulator.iam.conditions`).
4. **Wildcards** are turned into regular expressions without escaping (``.`` and ``?`` of an
   ARN are regex syntax), and matching of actions is case-sensitive (IAM: case-insensitive).

A principal here is an ARN (an IAM user, a role, an assumed-role session) or a
``{"Service": name}`` (a service acting for itself: EC2 assuming an instance's role).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from enum import Enum

from harness.emulator.iam.conditions import conditions_met


class Result(Enum):
    PERMITTED = 1
    DENIED = 2
    NEUTRAL = 3


def _list(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


@functools.lru_cache(maxsize=4096)
def _compiled(pattern: str, case: bool) -> re.Pattern:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(regex, re.DOTALL | (0 if case else re.IGNORECASE))


def wildcard(pattern: str, value: str, case: bool = True) -> bool:
    """IAM's wildcards: ``*`` any run of characters, ``?`` one; nothing else is special."""
    return _compiled(pattern, case).fullmatch(value) is not None


def _account(arn: str) -> str:
    parts = arn.split(":")
    return parts[4] if len(parts) > 5 else ""


def _session_role_arn(arn: str) -> str | None:
    """``arn:aws:sts::A:assumed-role/R/S`` -> ``arn:aws:iam::A:role/R`` (what IAM matches)."""
    m = re.fullmatch(r"arn:([^:]+):sts::(\d{12}):assumed-role/([^/]+)/.+", arn)
    return f"arn:{m.group(1)}:iam::{m.group(2)}:role/{m.group(3)}" if m else None


def principal_matches(element, principal) -> bool | None:
    """Does a statement's ``Principal`` name this principal? ``None``: cannot tell (the
    caller is not known here, e.g. a bucket policy evaluated without a caller)."""
    if element == "*":
        return True
    if not isinstance(element, Mapping):
        return False
    if principal is None:
        return True if _list(element.get("AWS")) == ["*"] else None
    if isinstance(principal, Mapping):  # a service
        wanted = set(_list(element.get("Service")))
        return principal.get("Service") in wanted
    candidates = {principal}
    if role := _session_role_arn(principal):
        candidates.add(role)
    for name in _list(element.get("AWS")):
        if name == "*" or name in candidates:
            return True
        if re.fullmatch(r"\d{12}", name) or re.fullmatch(r"arn:[^:]+:iam::\d{12}:root", name):
            account = name if name.isdigit() else _account(name)
            if account == _account(principal):
                return True
    return False


def _matches(patterns, value: str, case: bool) -> bool:
    return any(wildcard(p, value, case) for p in _list(patterns))


def statement_result(
    statement: Mapping,
    action: str,
    resource: str = "*",
    principal=None,
    context: Mapping | None = None,
) -> Result:
    """PERMITTED / DENIED when the statement applies to the request, else NEUTRAL."""
    effect = statement.get("Effect", "Allow")
    if "NotAction" in statement:
        concerned = not _matches(statement["NotAction"], action, case=False)
    else:
        concerned = _matches(statement.get("Action"), action, case=False)
    if not concerned:
        return Result.NEUTRAL
    if "Resource" in statement:
        if not _matches(statement["Resource"], resource, case=True):
            return Result.NEUTRAL
    elif "NotResource" in statement and _matches(statement["NotResource"], resource, True):
        return Result.NEUTRAL
    if "Principal" in statement or "NotPrincipal" in statement:
        if "NotPrincipal" in statement:
            match = principal_matches(statement["NotPrincipal"], principal)
            match = None if match is None else not match
        else:
            match = principal_matches(statement["Principal"], principal)
        if match is None:  # unknown caller: fail closed
            return Result.DENIED if effect == "Deny" else Result.NEUTRAL
        if not match:
            return Result.NEUTRAL
    if not conditions_met(statement.get("Condition"), context or {}, effect):
        return Result.NEUTRAL
    return Result.DENIED if effect == "Deny" else Result.PERMITTED


def policy_result(
    document: Mapping,
    action: str,
    resource: str = "*",
    principal=None,
    context: Mapping | None = None,
) -> Result:
    """An explicit deny wins; else any allow; else NEUTRAL (an implicit deny)."""
    permitted = False
    for statement in _list(document.get("Statement")):
        result = statement_result(statement, action, resource, principal, context)
        if result is Result.DENIED:
            return Result.DENIED
        permitted = permitted or result is Result.PERMITTED
    return Result.PERMITTED if permitted else Result.NEUTRAL
