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
import re
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


DOCUMENT_JSON = re.compile(
    r"(?:\$\{)?data\.aws_iam_policy_document\.[\w-]+(?:\[[^\]]*\])?\.(?:minified_)?json\}?"
)
POLICY_RESOURCES = [
    "aws_iam_policy",
    "aws_iam_role_policy",
    "aws_iam_user_policy",
    "aws_iam_group_policy",
    "aws_s3_bucket_policy",
    "aws_iam_role",
]


ACTION = re.compile(r"\*|[A-Za-z0-9-]+:[A-Za-z0-9*?]+")


def unresolved_actions(statements: list[dict[str, Any]]) -> list[str]:
    """What the scan could not read in the actions of Allow statements: an action that
    is not ``service:Name`` (``var.actions`` scanned alone), or none at all (checkov
    renders an unresolved ``Action = var.x`` in a ``jsonencode()`` as ``[]``)."""
    found = []
    for number, st in allowed(statements):
        if not st["actions"] and not st["not_actions"]:
            found.append(f"statement {number}: the actions")
        found += [
            f"statement {number}: action {a}"
            for a in st["actions"] + st["not_actions"]
            if not ACTION.fullmatch(a.strip())
        ]
    return found


def unresolved_resources(statements: list[dict[str, Any]], follows: Follows) -> list[str]:
    """Resources of Allow statements the scan could not read: a variable or local that
    checkov's graph does not lead to a resource (``var.bucket_arn`` set by the caller to
    ``module.storage.bucket_arn``, the output of ``aws_s3_bucket.this.arn``, is one
    bucket: resolved; with no caller, scanned alone, it is not)."""
    found = []
    for number, st in allowed(statements):
        if not st["resources"] and not st["not_resources"]:
            found.append(f"statement {number}: the resources")
        for kind in ("resources", "not_resources"):
            found += [
                f"statement {number}: resource {r}"
                for k, r in enumerate(st[kind])
                if lib.is_unresolved(r) and not follows(f"statement.{number}.{kind}.{k}")
            ]
    return found


Judge = Callable[[list[dict]], list[str]]
Follows = Callable[[str], bool]  # does this attribute lead to a resource in the graph?
Unresolved = Callable[[list[dict], Follows], list[str]]


class PolicyCheck(BaseResourceCheck):
    """A rule over the statements of every JSON/jsonencode policy a resource carries
    (``inline_policy`` blocks for a role).  A policy that is the ``.json`` of a policy
    document is judged on the document, by the DocumentCheck twin.  ``unresolved``
    says what the rule needs but the scan could not read: the verdict is then UNKNOWN,
    never PASSED."""

    def __init__(self, check_id: str, name: str, problems: Judge, unresolved: Unresolved):
        what = lib.meta(check_id, name, CheckCategories.IAM)
        super().__init__(**what, supported_resources=POLICY_RESOURCES)
        self.problems, self.unresolved = problems, unresolved

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        self.evaluated_keys = ["policy", "inline_policy"]
        if self.entity_type == "aws_iam_role":
            policies = [b.get("policy") for b in lib.blocks(conf, "inline_policy")]
        else:
            policies = [conf.get("policy")]
        if not any(lib.flatten(p) for p in policies):
            return CheckResult.PASSED  # a role without inline policies
        if all(DOCUMENT_JSON.fullmatch(str(lib.first(p, "")).strip()) for p in policies):
            return CheckResult.PASSED  # judged on the document, by the DocumentCheck twin
        judged = [s for s in map(json_statements, policies) if s is not None]
        if len(judged) < len(policies):
            return lib.verdict(self, [], ["a policy that is neither JSON nor a document"])
        nodes = lib.entity_nodes(self, conf)
        key = "inline_policy" if self.entity_type == "aws_iam_role" else "policy"

        def follows(_: str) -> bool:
            return bool(lib.referenced(self, nodes, key))

        problems = [p for statements in judged for p in self.problems(statements)]
        unknown = [u for s in judged for u in self.unresolved(s, follows)]
        return lib.verdict(self, problems, unknown)


class DocumentCheck(BaseDataCheck):
    def __init__(self, check_id: str, name: str, problems: Judge, unresolved: Unresolved):
        what = lib.meta(check_id, name, CheckCategories.IAM)
        super().__init__(**what, supported_data=["aws_iam_policy_document"])
        self.problems, self.unresolved = problems, unresolved

    def scan_data_conf(self, conf: dict[str, Any]) -> CheckResult:
        self.evaluated_keys = ["statement"]
        statements = document_statements(conf)
        nodes = lib.entity_nodes(self, conf)

        def follows(label: str) -> bool:
            return bool(lib.referenced(self, nodes, label))

        return lib.verdict(self, self.problems(statements), self.unresolved(statements, follows))
