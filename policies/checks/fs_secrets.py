"""Secrets written in clear, for CKV_FS_14 and CKV_FS_19; no check of its own.

checkov's secrets framework finds keys (AWS, private keys) and high-entropy strings,
but not a password a person chose: ``DB_PASSWORD='Summer2024!'`` in a user_data
template, or ``password = "Filestore#2026"`` on a database, has too little entropy
for its detectors.  These helpers find such literals by the name they are given
(``*password*``, ``*secret*``, ``*passwd*``, ``*pwd*``, ``*token*``), by
``IDENTIFIED BY '...'`` and by a client's ``--password=``/``-p'...'`` option.  A value
that is a reference -- ``$VAR``, ``${template_var}``, ``$(command)``, ``%{...}`` -- is
not a secret in clear; nor is a name that holds a reference (``*_param``, ``*_arn``).

Imported by checkov as a check module too: registers nothing.
"""

from __future__ import annotations

import base64
import binascii
import glob
import gzip
import os
import re

NAME = r"[A-Za-z0-9_.-]*(?:password|passwd|passphrase|pwd|secret|token)[A-Za-z0-9_-]*"
# name = value, name: value, name=value (shell, env files, YAML, HCL maps as checkov renders them)
ASSIGNED = re.compile(
    rf"""(?i)(?<![A-Za-z0-9_])['"]?(?P<name>{NAME})['"]?\s*[:=]\s*"""
    r"""(?:"(?P<dq>[^"\n]*)"|'(?P<sq>[^'\n]*)'|(?P<bare>[^\s"'`;,})\]]+))"""
)
IDENTIFIED_BY = re.compile(r"""(?i)\bIDENTIFIED\s+BY\s+(?:"(?P<dq>[^"]+)"|'(?P<sq>[^']+)')""")
CLIENT_OPTION = re.compile(
    r"""(?:\s--password[= ]|\s-p)(?:"(?P<dq>[^"\n]+)"|'(?P<sq>[^'\n]+)'|(?P<bare>[^\s"'`;]+))"""
)
REFERENCE_NAME = re.compile(
    r"(?i)(?:_|-)(?:param|parameter|name|arn|path|file|id|ref|key_id|version|length|url)$"
)
NOT_SECRETS = {"none", "null", "nil", "true", "false", "required", "optional", "empty", "redacted"}


def plain(value: str) -> bool:
    """A literal, not a shell/template reference or command substitution."""
    value = value.strip()
    if len(value) < 4 or value.lower() in NOT_SECRETS:
        return False
    if HCL_REFERENCE.match(value):
        return False
    return not (value[0] in "$%{<([" or value.startswith("\\$") or "${" in value)


# an expression checkov left unevaluated: var.x, local.x, module.m.out, type.name.attr
HCL_REFERENCE = re.compile(
    r"^(?:(?:var|local|module|data|each|count|path|self)\.[\w-]+|[a-z][a-z0-9_]*\.[\w-]+\.[\w-]+)"
)


def redact(value: str) -> str:
    return value[:2] + "..." if len(value) > 4 else "..."


def _value(match: re.Match[str]) -> str:
    groups = match.groupdict()
    return next((groups[g] for g in ("dq", "sq", "bare") if groups.get(g) is not None), "")


def literal_secrets(text: str) -> list[tuple[int, str]]:
    """``[(line, description)]`` of passwords and secrets written in clear in ``text``."""
    found: list[tuple[int, str]] = []
    for number, line in enumerate(text.splitlines() or [text], start=1):
        for m in ASSIGNED.finditer(line):
            name, value = m.group("name"), _value(m)
            if not REFERENCE_NAME.search(name) and plain(value):
                found.append((number, f"{name} set to a literal ({redact(value)})"))
        for pattern, what in ((IDENTIFIED_BY, "IDENTIFIED BY"), (CLIENT_OPTION, "password option")):
            for m in pattern.finditer(line):
                if plain(_value(m)):
                    found.append((number, f"{what} with a literal ({redact(_value(m))})"))
    return found


FILE_CALL = re.compile(r"""\b(templatefile|file|filebase64)\(\s*["']?([^"',)]+)""")
PATH_VARS = re.compile(r"\$\{\s*path\.(?:module)\s*\}|\bpath\.module\b")


def file_references(text: str) -> list[str]:
    """The paths that ``templatefile()``, ``file()`` and ``filebase64()`` read in ``text``."""
    return [m.group(2).strip() for m in FILE_CALL.finditer(text)]


def locate(reference: str, module_dir: str, levels: int = 3) -> list[str]:
    """The file(s) a path expression names, seen from ``module_dir``.  ``${path.module}``
    is ``module_dir``; a path still holding an unresolved ``${...}`` (a variable the scan
    does not know, e.g. ``${var.app_source_dir}/deploy/user_data.sh.tftpl`` when the
    module is scanned alone) is looked up by its literal tail in ``module_dir`` and its
    ``levels`` ancestors (``<dir>/<tail>``, ``<dir>/*/<tail>``, nearest first).
    [] when nothing matches: the caller must not take that for "clean"."""
    path = PATH_VARS.sub(module_dir, reference)
    if "${" not in path and "var." not in path and "local." not in path:
        candidate = path if os.path.isabs(path) else os.path.join(module_dir, path)
        return [os.path.normpath(candidate)] if os.path.isfile(candidate) else []
    tail = re.split(r"\}|\bvar\.[\w-]+|\blocal\.[\w-]+", path)[-1].lstrip("/")
    while tail.startswith(("../", "./")):
        tail = tail.split("/", 1)[1]
    if not tail or "/" not in tail and "." not in tail:
        return []
    directory = os.path.abspath(module_dir)
    for _ in range(levels + 1):
        for pattern in (os.path.join(directory, tail), os.path.join(directory, "*", tail)):
            hits = sorted(p for p in glob.glob(pattern) if os.path.isfile(p))
            if hits:
                return hits
        directory = os.path.dirname(directory)
    return []


def decode(value: str) -> str | None:
    """The text of a base64 (optionally gzip) value; None if it is not one."""
    try:
        raw = base64.b64decode(value.strip(), validate=True)
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
        return raw.decode("utf-8")
    except (binascii.Error, ValueError, OSError, EOFError, UnicodeDecodeError):
        return None


def read(path: str, limit: int = 2_000_000) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read(limit)
    except OSError:
        return ""
