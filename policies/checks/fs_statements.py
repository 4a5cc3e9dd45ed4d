"""IAM policy statements for the CKV_FS_* checks, in one shape whatever their form.

A policy is inline JSON, ``jsonencode({...})`` (which checkov may leave half
rendered) or an ``aws_iam_policy_document``; each statement becomes
``{allow, actions, not_actions, resources, not_resources, principals, conditions}``
with ``principals`` as ``(type, identifier)`` and ``conditions`` as
``(test, variable, values)``.  ``PolicyCheck``/``DocumentCheck`` judge every policy
of a resource and every policy document with one ``problems(statements)`` function
(CKV_FS_15, CKV_FS_16).  Imported by checkov as a check module too: registers nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import fs_lib as lib
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.data.base_check import BaseDataCheck
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck


def loose_literal(text: str) -> Any:
    """Parse the Python-repr-like text checkov leaves for a ``jsonencode()`` it could
    not finish rendering, e.g. ``{'Resource': ''aws_s3_bucket.b.arn'/*'}`` (an
    interpolation inside a string).  A quote closes a string only when followed by
    ``, : ] } )`` or the end; other quotes are dropped.  ValueError if still unparsable."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        if text[i] in "'\"":
            j, chars = i + 1, []
            while j < n:
                if text[j] == "\\" and j + 1 < n:
                    chars.append(text[j + 1])
                    j += 2
                    continue
                if text[j] in "'\"" and text[j + 1 :].lstrip(" ")[:1] in (
                    "",
                    ",",
                    ":",
                    "]",
                    "}",
                    ")",
                ):
                    break
                if text[j] not in "'\"":
                    chars.append(text[j])
                j += 1
            out.append(json.dumps("".join(chars)))
            i = j + 1
            continue
        word = next((w for w in ("True", "False", "None") if text.startswith(w, i)), None)
        out.append({"True": "true", "False": "false", "None": "null"}.get(word or "", text[i]))
        i += len(word) if word else 1
    return json.loads("".join(out))


def _policy_document(value: Any) -> dict[str, Any] | None:
    if isinstance(value, dict) or not isinstance(value, str):
        return value if isinstance(value, dict) else None
    text = value.strip()
    if text.startswith("${") and text.endswith("}"):
        text = text[2:-1].strip()
    if text.startswith("jsonencode(") and text.endswith(")"):
        text = text[len("jsonencode(") : -1]
    elif not text.startswith("{"):
        return None  # e.g. data.aws_iam_policy_document.x.json
    for parse in (json.loads, loose_literal):
        try:
            loaded = parse(text)
        except ValueError:
            continue
        return loaded if isinstance(loaded, dict) else None
    return None


def _strings(value: Any) -> list[str]:
    return [str(v) for v in lib.flatten(value)]


def json_statements(value: Any) -> list[dict[str, Any]] | None:
    """Normalised statements of a JSON/jsonencode policy; None if it is not one."""
    policy = _policy_document(lib.first(value) if isinstance(value, list) else value)
    if policy is None:
        return None
    result = []
    for st in [s for s in lib.flatten(policy.get("Statement")) if isinstance(s, dict)]:
        principal, condition = st.get("Principal"), st.get("Condition")
        if isinstance(principal, dict):
            principals = [(k, i) for k, v in principal.items() for i in _strings(v)]
        else:
            principals = [("*", "*")] if principal == "*" else []
        conditions = [
            (test, variable, _strings(values))
            for test, block in (condition if isinstance(condition, dict) else {}).items()
            if isinstance(block, dict)
            for variable, values in block.items()
        ]
        result.append(_statement(st, "Effect", "Action", "NotAction", "Resource", "NotResource"))
        result[-1].update(principals=principals, conditions=conditions)
    return result


def document_statements(conf: dict[str, Any]) -> list[dict[str, Any]]:
    """Normalised statements of an ``aws_iam_policy_document`` (config or graph node)."""
    result = []
    for st in lib.blocks(conf, "statement"):
        result.append(
            _statement(st, "effect", "actions", "not_actions", "resources", "not_resources")
        )
        result[-1]["principals"] = [
            (str(lib.first(p.get("type"), "")), i)
            for p in lib.blocks(st, "principals")
            for i in _strings(p.get("identifiers"))
        ]
        result[-1]["conditions"] = [
            (
                str(lib.first(c.get("test"), "")),
                str(lib.first(c.get("variable"), "")),
                _strings(c.get("values")),
            )
            for c in lib.blocks(st, "condition")
        ]
    return result


def _statement(st: dict[str, Any], effect: str, *keys: str) -> dict[str, Any]:
    names = ("actions", "not_actions", "resources", "not_resources")
    normal = {name: _strings(st.get(key)) for name, key in zip(names, keys, strict=True)}
    allow = str(lib.first(st.get(effect), "Allow")).strip().lower() != "deny"
    return {"allow": allow, **normal}


def allowed(statements: list[dict[str, Any]]) -> list[tuple[int, dict[str, Any]]]:
    """``(number, statement)`` of the Allow statements."""
    return [(number, st) for number, st in enumerate(statements) if st["allow"]]


POLICY_RESOURCES = [
    "aws_iam_policy",
    "aws_iam_role_policy",
    "aws_iam_user_policy",
    "aws_iam_group_policy",
    "aws_s3_bucket_policy",
    "aws_iam_role",
]


class PolicyCheck(BaseResourceCheck):
    """A rule over the statements of every JSON/jsonencode policy a resource carries
    (``inline_policy`` blocks for a role).  A policy that is the ``.json`` of a policy
    document is judged on the document, by the DocumentCheck twin."""

    def __init__(self, check_id: str, name: str, problems: Callable[[list[dict]], list[str]]):
        what = lib.meta(check_id, name, CheckCategories.IAM)
        super().__init__(**what, supported_resources=POLICY_RESOURCES)
        self.problems = problems

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        self.evaluated_keys = ["policy", "inline_policy"]
        if self.entity_type == "aws_iam_role":
            policies = [b.get("policy") for b in lib.blocks(conf, "inline_policy")]
        else:
            policies = [conf.get("policy")]
        judged = [s for s in map(json_statements, policies) if s is not None]
        if not judged:
            return CheckResult.UNKNOWN
        return lib.verdict(self, [p for statements in judged for p in self.problems(statements)])


class DocumentCheck(BaseDataCheck):
    def __init__(self, check_id: str, name: str, problems: Callable[[list[dict]], list[str]]):
        what = lib.meta(check_id, name, CheckCategories.IAM)
        super().__init__(**what, supported_data=["aws_iam_policy_document"])
        self.problems = problems

    def scan_data_conf(self, conf: dict[str, Any]) -> CheckResult:
        self.evaluated_keys = ["statement"]
        return lib.verdict(self, self.problems(document_statements(conf)))
