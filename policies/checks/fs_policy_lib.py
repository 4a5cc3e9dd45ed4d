"""Helpers shared by the CKV_FS_* checks (not a check itself).

checkov hands a Python check the resource's configuration with every value
wrapped in a list (``{"cidr_blocks": [["0.0.0.0/0"]]}``) and the scanned file
path *relative to the scan root*.  For what a single resource cannot tell
(which security groups an RDS instance uses, which policy document a bucket
policy renders, where a ``templatefile()`` lives) the checks read checkov's
resource graph (``check.graph``, a rustworkx graph whose nodes are
``(index, attributes)`` pairs and whose edges carry the referring attribute as
``label``) -- the same way checkov's own Python checks do.

Everything here must fail soft: a helper that cannot resolve something returns
an empty answer and the calling check decides what that means.
"""

from __future__ import annotations

import base64
import binascii
import glob
import gzip
import ipaddress
import json
import os
import re
import sys
from collections.abc import Iterable, Iterator
from typing import Any

# ---------------------------------------------------------------------------
# values
# ---------------------------------------------------------------------------


def flatten(value: Any) -> list[Any]:
    """All scalars (and dicts) of an arbitrarily nested list, in order; None -> []."""
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        out: list[Any] = []
        for item in value:
            out.extend(flatten(item))
        return out
    return [value]


def first(value: Any, default: Any = None) -> Any:
    items = flatten(value)
    return items[0] if items else default


def attr(conf: dict[str, Any], key: str, default: Any = None) -> Any:
    """The single value of ``key`` in a checkov resource config."""
    return first(conf.get(key), default) if isinstance(conf, dict) else default


def blocks(conf: dict[str, Any], key: str) -> list[dict[str, Any]]:
    """Nested blocks (``ingress {}``, ``statement {}``...) as a list of dicts."""
    if not isinstance(conf, dict):
        return []
    return [b for b in flatten(conf.get(key)) if isinstance(b, dict)]


def as_bool(value: Any) -> bool | None:
    value = first(value)
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        low = value.strip().strip('"').lower()
        if low == "true":
            return True
        if low == "false":
            return False
    return None


def as_int(value: Any) -> int | None:
    value = first(value)
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip().strip('"'))
        except ValueError:
            return None
    return None


def is_world_cidr(value: Any) -> bool:
    """True for 0.0.0.0/0 and ::/0 (any network with prefix length 0)."""
    if not isinstance(value, str):
        return False
    try:
        return ipaddress.ip_network(value.strip(), strict=False).prefixlen == 0
    except ValueError:
        return False


def is_literal_cidr(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        ipaddress.ip_network(value.strip(), strict=False)
    except ValueError:
        return False
    return True


# ---------------------------------------------------------------------------
# checkov's graph
# ---------------------------------------------------------------------------

PASS_THROUGH_BLOCKS = {"variable", "module", "output", "locals"}
_GRAPH_CACHE: dict[
    int, tuple[Any, dict[int, dict[str, Any]], dict[int, list[tuple[int, str]]]]
] = {}


def _graph_index(graph: Any) -> tuple[dict[int, dict[str, Any]], dict[int, list[tuple[int, str]]]]:
    """(nodes by index, out-edges by index) of a checkov graph; empty when unknown."""
    if graph is None:
        return {}, {}
    cached = _GRAPH_CACHE.get(id(graph))
    if cached is not None and cached[0] is graph:
        return cached[1], cached[2]
    nodes: dict[int, dict[str, Any]] = {}
    out: dict[int, list[tuple[int, str]]] = {}
    try:
        for item in graph.nodes():
            if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], dict):
                nodes[item[0]] = item[1]
        if hasattr(graph, "weighted_edge_list"):  # rustworkx (checkov's default)
            edges: Iterable[Any] = graph.weighted_edge_list()
        else:  # networkx
            edges = graph.edges(data=True)
        for src, dst, payload in edges:
            label = (
                payload.get("label", "")
                if isinstance(payload, dict)
                else getattr(payload, "label", "")
            )
            out.setdefault(src, []).append((dst, str(label or "")))
    except Exception:  # noqa: BLE001 - an unknown graph flavour: behave as if there were none
        nodes, out = {}, {}
    if len(_GRAPH_CACHE) > 8:
        _GRAPH_CACHE.clear()
    _GRAPH_CACHE[id(graph)] = (graph, nodes, out)
    return nodes, out


def _label_matches(label: str, attribute: str | None) -> bool:
    if attribute is None:
        return True
    return label == attribute or label.startswith(attribute + ".")


def _scanned_tail(check: Any) -> str:
    """The scanned file as checkov reports it ("/mod/main.tf", "/../modules/x/main.tf"),
    without the leading separators and parent steps."""
    rel = (getattr(check, "entity_path", "") or "").split(":", 1)[0].replace("\\", "/")
    return "/".join(p for p in rel.split("/") if p not in ("", ".", ".."))


def entity_nodes(check: Any, conf: dict[str, Any]) -> list[tuple[int, dict[str, Any]]]:
    """The graph node(s) of the entity being scanned: same address, type, file and line.

    Several nodes can share an address (one per root module in the scan), so
    the file and the start line narrow it down; the same module called from
    two environments still gives two nodes, one per caller.
    """
    nodes, _ = _graph_index(getattr(check, "graph", None))
    address = conf.get("__address__") if isinstance(conf, dict) else None
    if not address:
        return []
    entity_type = getattr(check, "entity_type", "") or ""
    tail = _scanned_tail(check)
    start = conf.get("__start_line__")
    found = []
    for idx, node in nodes.items():
        if node.get("__address__") != address:
            continue
        rtype = str(node.get("resource_type", ""))
        if entity_type and rtype not in (entity_type, f"data.{entity_type}"):
            continue
        path = str(node.get("file_path_", "")).replace("\\", "/")
        if tail and not (path == tail or path.endswith("/" + tail)):
            continue
        if start is not None and node.get("__start_line__") not in (None, start):
            continue
        found.append((idx, node))
    return found


def referenced_nodes(check: Any, idx: int, attribute: str) -> list[tuple[int, dict[str, Any]]]:
    """Resources/data blocks that ``attribute`` of node ``idx`` refers to.

    Follows references through module variables, module calls, outputs and
    locals, so that ``vpc_security_group_ids = var.sg_ids`` in one module finds
    the ``aws_security_group`` of another module that the caller wired in.
    """
    nodes, out = _graph_index(getattr(check, "graph", None))
    result: dict[int, dict[str, Any]] = {}
    stack: list[tuple[int, str | None]] = [
        (dst, None) for dst, label in out.get(idx, []) if _label_matches(label, attribute)
    ]
    seen: set[tuple[int, str | None]] = set()
    while stack:
        current, via = stack.pop()
        if (current, via) in seen or current not in nodes:
            continue
        seen.add((current, via))
        node = nodes[current]
        block_type = node.get("block_type_")
        if block_type == "variable":
            name = str(node.get("block_name_", ""))
            stack.extend(
                (dst, name)
                for dst, _ in out.get(current, [])
                if nodes.get(dst, {}).get("block_type_") == "module"
            )
        elif block_type == "module":
            stack.extend(
                (dst, None) for dst, label in out.get(current, []) if _label_matches(label, via)
            )
        elif block_type in PASS_THROUGH_BLOCKS:
            stack.extend((dst, None) for dst, _ in out.get(current, []))
        else:
            result[current] = node
    return sorted(result.items())


def referenced_expressions(check: Any, idx: int, attribute: str) -> list[str]:
    """Expressions of the locals/variables/outputs that ``attribute`` of node ``idx``
    goes through (checkov leaves complex locals unrendered: ``user_data =
    base64gzip(local.user_data)`` with ``local.user_data = templatefile(...)``)."""
    nodes, out = _graph_index(getattr(check, "graph", None))
    found: list[str] = []
    stack: list[tuple[int, str | None]] = [
        (dst, None) for dst, label in out.get(idx, []) if _label_matches(label, attribute)
    ]
    seen: set[tuple[int, str | None]] = set()
    while stack:
        current, via = stack.pop()
        if (current, via) in seen or current not in nodes:
            continue
        seen.add((current, via))
        node = nodes[current]
        block_type = node.get("block_type_")
        name = str(node.get("block_name_", ""))
        if block_type not in PASS_THROUGH_BLOCKS:
            continue
        value = {
            "locals": node.get(name),
            "variable": node.get("default"),
            "output": node.get("value"),
            "module": node.get(via) if via else None,
        }.get(str(block_type))
        found.extend(str(v) for v in flatten(value) if isinstance(v, (str, int, float)))
        if block_type == "variable":
            stack.extend(
                (dst, name)
                for dst, _ in out.get(current, [])
                if nodes.get(dst, {}).get("block_type_") == "module"
            )
        elif block_type == "module":
            stack.extend(
                (dst, None) for dst, label in out.get(current, []) if _label_matches(label, via)
            )
        else:
            stack.extend((dst, None) for dst, _ in out.get(current, []))
    return found


def module_variable_values(check: Any, module_dir: str) -> dict[str, list[str]]:
    """``{name: [values]}`` of the module's variables as checkov resolved them from callers."""
    nodes, _ = _graph_index(getattr(check, "graph", None))
    values: dict[str, list[str]] = {}
    for node in nodes.values():
        if node.get("block_type_") != "variable":
            continue
        if os.path.dirname(str(node.get("file_path_", ""))) != module_dir:
            continue
        default = node.get("default")
        if isinstance(default, str) and default:
            values.setdefault(str(node.get("block_name_")), []).append(default)
    return values


def nodes_of_type(check: Any, resource_type: str) -> list[tuple[int, dict[str, Any]]]:
    nodes, _ = _graph_index(getattr(check, "graph", None))
    return [(i, n) for i, n in sorted(nodes.items()) if n.get("resource_type") == resource_type]


# ---------------------------------------------------------------------------
# files on disk
# ---------------------------------------------------------------------------


def _scan_roots() -> list[str]:
    """Directories checkov was asked to scan (-d/--directory), plus the cwd."""
    roots: list[str] = []
    argv = sys.argv[1:]
    for i, arg in enumerate(argv):
        if arg in ("-d", "--directory", "-f", "--file") and i + 1 < len(argv):
            value = argv[i + 1]
        elif arg.startswith(("--directory=", "--file=")):
            value = arg.split("=", 1)[1]
        else:
            continue
        path = os.path.abspath(value)
        roots.append(path if os.path.isdir(path) else os.path.dirname(path))
    roots.append(os.getcwd())
    return roots


def _outermost_caller(module_object: Any) -> str | None:
    path = None
    depth = 0
    while module_object is not None and depth < 32:
        path = getattr(module_object, "path", None) or path
        module_object = getattr(module_object, "nested_tf_module", None)
        depth += 1
    return path


def entity_locations(check: Any, conf: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """``[(absolute file of the resource, [candidate path.root dirs])]``.

    From the graph when there is one (exact, and the root module of every
    caller), otherwise from the relative path checkov reports joined to the
    scan roots.
    """
    locations: dict[str, list[str]] = {}
    for _, node in entity_nodes(check, conf):
        file_path = node.get("file_path_")
        if not isinstance(file_path, str) or not file_path:
            continue
        caller = _outermost_caller(node.get("source_module_object_"))
        root = os.path.dirname(caller) if caller else os.path.dirname(file_path)
        roots = locations.setdefault(os.path.abspath(file_path), [])
        if root not in roots:
            roots.append(root)
    if locations:
        return list(locations.items())
    scanned = (getattr(check, "entity_path", "") or "").split(":", 1)[0]
    for root in _scan_roots():
        candidate = os.path.abspath(os.path.join(root, scanned.lstrip("/\\")))
        if scanned and os.path.isfile(candidate):
            return [(candidate, [os.path.dirname(candidate)])]
    return []


TEMPLATE_PATTERNS = (
    "*.tftpl",
    "*.tpl",
    "*.tmpl",
    "*.sh",
    "*.sh.tpl",
    "*.cloud-init",
    "*.cloudinit",
)
TEMPLATE_SUBDIRS = ("", "templates", "scripts", "files", "user_data", "deploy")
FILE_FUNCTION = re.compile(r"""\b(templatefile|file|filebase64)\(\s*"((?:[^"\\]|\\.)*)\"""")
INTERPOLATION = re.compile(r"\$\{[^{}]*\}")


def template_files_in(directory: str) -> list[str]:
    """Template-like files in ``directory`` and its usual sub-folders."""
    found: set[str] = set()
    for sub in TEMPLATE_SUBDIRS:
        base = os.path.join(directory, sub)
        if not os.path.isdir(base):
            continue
        for pattern in TEMPLATE_PATTERNS:
            found.update(p for p in glob.glob(os.path.join(base, pattern)) if os.path.isfile(p))
    return sorted(found)


def _glob_by_tail(module_dir: str, raw_path: str, max_up: int = 4) -> list[str]:
    """Best effort for a path built from an unresolved variable.

    ``"${var.app_source_dir}/deploy/user_data.sh.tftpl"`` has the literal tail
    ``deploy/user_data.sh.tftpl``; look for it in the module's directory and
    its ancestors (``<ancestor>/<tail>`` and ``<ancestor>/*/<tail>``), nearest
    first, and stop at the first level that has a match.
    """
    tail = INTERPOLATION.split(raw_path)[-1].lstrip("/")
    if not tail or "${" in tail:
        return []
    current = os.path.abspath(module_dir)
    for _ in range(max_up + 1):
        matches = [p for p in [os.path.join(current, tail)] if os.path.isfile(p)]
        matches += [p for p in glob.glob(os.path.join(current, "*", tail)) if os.path.isfile(p)]
        if matches:
            return sorted(set(matches))
        parent = os.path.dirname(current)
        if parent == current:
            break
        current = parent
    return []


def _candidates(
    raw: str, module_dir: str, roots: list[str], var_values: dict[str, list[str]]
) -> list[str]:
    variants = [raw]
    for name, values in var_values.items():
        token = "${var." + name + "}"
        if any(token in v for v in variants):
            variants = [
                v.replace(token, value) for v in variants for value in values[:4]
            ] + variants
    candidates: list[str] = []
    for variant in variants:
        for root in roots or [module_dir]:
            path = variant.replace("${path.module}", module_dir)
            path = path.replace("${path.root}", root).replace("${path.cwd}", root)
            if "${" in path:
                continue
            if os.path.isabs(path):
                candidates.append(path)
            else:
                candidates.extend([os.path.join(root, path), os.path.join(module_dir, path)])
    return candidates


def resolve_file_references(
    expression: str,
    module_file: str,
    roots: list[str],
    var_values: dict[str, list[str]] | None = None,
    functions: tuple[str, ...] = ("templatefile", "file", "filebase64"),
) -> tuple[list[str], list[str]]:
    """Files named by ``templatefile()/file()/filebase64()`` in an expression.

    Returns ``(found files, references that could not be located)``.
    """
    module_dir = os.path.dirname(module_file)
    found: list[str] = []
    missing: list[str] = []
    for match in FILE_FUNCTION.finditer(expression):
        if match.group(1) not in functions:
            continue
        raw = match.group(2)
        existing = sorted(
            {
                os.path.normpath(c)
                for c in _candidates(raw, module_dir, roots, var_values or {})
                if os.path.isfile(c)
            }
        )
        if not existing:
            existing = _glob_by_tail(module_dir, raw)
        if existing:
            found.extend(p for p in existing if p not in found)
        elif raw not in missing:
            missing.append(raw)
    return found, missing


def module_source_text(module_dir: str) -> str:
    """The module's ``*.tf`` files, comment lines dropped (for file references)."""
    parts = []
    for path in sorted(glob.glob(os.path.join(module_dir, "*.tf"))):
        lines = read_text(path).splitlines()
        parts.append("\n".join(line for line in lines if not line.lstrip().startswith(("#", "//"))))
    return "\n".join(parts)


# ---------------------------------------------------------------------------
# secrets
# ---------------------------------------------------------------------------

AWS_KEY_ID = re.compile(r"(?<![A-Z0-9])(?:AKIA|ASIA)[0-9A-Z]{16}(?![A-Z0-9])")
AWS_SECRET = re.compile(
    r"(?i)aws_?secret_?access_?key\s*[\"']?\s*[:=]\s*[\"']?([A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])"
)
PRIVATE_KEY = re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----")
CLEAR_PASSWORD = re.compile(
    r"(?i)\b([A-Za-z0-9_.-]*(?:password|passwd|passphrase|pwd|secret))\b\s*[\"']?\s*[:=]\s*"
    r"(?P<q>[\"']?)(?P<value>[^\s\"'`;]+)"
)
IDENTIFIED_BY = re.compile(r"(?i)\bIDENTIFIED\s+BY\s+(['\"])(?P<value>[^'\"]+)\1")
# names that hold a *reference* to a secret, not the secret
REFERENCE_NAME = re.compile(r"(?i)(_|-)(param|parameter|name|arn|path|file|id|ref|key_id|version)$")
SECRET_VAR_NAME = re.compile(r"(?i)(password|passwd|secret|private_key|access_key|api_key|token)")
SECRET_EXPRESSIONS = re.compile(
    r"\brandom_password\.[\w-]+\.(?:result|bcrypt_hash)\b"
    r"|\.secret_string\b"
    r"|\baws_ssm_parameter\.[\w-]+\.(?:value|insecure_value)\b"
    r"|\btls_private_key\.[\w-]+\.private_key"
    r"|\baws_iam_access_key\.[\w-]+\.(?:secret|id)\b"
)
TEMPLATE_VAR_KEY = re.compile(r"""['"]?([A-Za-z_][A-Za-z0-9_-]*)['"]?\s*[:=]\s*""")


def _redact(value: str) -> str:
    return value[:4] + "..." if len(value) > 4 else "..."


def _plain_value(value: str) -> bool:
    """A literal, not a shell/template reference or a command substitution."""
    if not value or value[0] in "$%{<([" or value.startswith("\\$"):
        return False
    if value.lower() in {"none", "null", "nil", "true", "false", "required", "optional", "empty"}:
        return False
    return len(value) >= 4


def find_secrets(text: str) -> list[tuple[int, str]]:
    """``[(line number, description)]`` of secrets in clear in ``text``."""
    findings: list[tuple[int, str]] = []
    for lineno, line in enumerate(text.splitlines() or [text], start=1):
        for m in AWS_KEY_ID.finditer(line):
            findings.append((lineno, f"AWS access key id {_redact(m.group(0))}"))
        for m in AWS_SECRET.finditer(line):
            findings.append((lineno, f"AWS secret access key {_redact(m.group(1))}"))
        if PRIVATE_KEY.search(line):
            findings.append((lineno, "private key block"))
        for m in CLEAR_PASSWORD.finditer(line):
            name, value = m.group(1), m.group("value")
            if REFERENCE_NAME.search(name) or not _plain_value(value):
                continue
            findings.append((lineno, f"{name} set to a literal ({_redact(value)})"))
        for m in IDENTIFIED_BY.finditer(line):
            if _plain_value(m.group("value")):
                findings.append((lineno, "SQL IDENTIFIED BY with a literal password"))
    return findings


def decoded_blobs(text: str) -> Iterator[str]:
    """Text of base64 (optionally gzip) literals inside ``text``."""
    for m in re.finditer(r"[A-Za-z0-9+/]{24,}={0,2}", text):
        blob = m.group(0)
        try:
            raw = base64.b64decode(blob + "=" * (-len(blob) % 4), validate=True)
        except (binascii.Error, ValueError):
            continue
        if raw[:2] == b"\x1f\x8b":
            try:
                raw = gzip.decompress(raw)
            except (OSError, EOFError):
                continue
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError:
            continue


def secret_template_variables(expression: str) -> list[str]:
    """Secrets handed to ``templatefile()`` as variables (rendered into user_data)."""
    findings: list[str] = []
    for m in SECRET_EXPRESSIONS.finditer(expression):
        findings.append(f"secret value {m.group(0)} rendered into user_data")
    if "templatefile(" in expression:
        vars_part = expression.split("templatefile(", 1)[1]
        for m in TEMPLATE_VAR_KEY.finditer(vars_part):
            name = m.group(1)
            if SECRET_VAR_NAME.search(name) and not REFERENCE_NAME.search(name):
                findings.append(f"template variable {name!r} passes a secret into user_data")
    return findings


def read_text(path: str, limit: int = 2_000_000) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return fh.read(limit)
    except OSError:
        return ""


# ---------------------------------------------------------------------------
# IAM policies
# ---------------------------------------------------------------------------


def loose_literal(text: str) -> Any:
    """Parse the Python-repr-like text checkov leaves for a ``jsonencode()`` it could
    not finish rendering, e.g. ``{'Resource': ''aws_s3_bucket.b.arn'/*'}`` (an
    interpolation inside a string).  A quote counts as closing a string only
    when followed by ``, : ] } )`` or the end; other quotes are dropped.
    Raises ValueError when the result is still not parseable."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c in "'\"":
            j, chars = i + 1, []
            while j < n:
                ch = text[j]
                if ch == "\\" and j + 1 < n:
                    chars.append(text[j + 1])
                    j += 2
                    continue
                if ch in "'\"":
                    k = j + 1
                    while k < n and text[k] == " ":
                        k += 1
                    if k >= n or text[k] in ",:]})":
                        break
                    j += 1
                    continue
                chars.append(ch)
                j += 1
            out.append(json.dumps("".join(chars)))
            i = j + 1
            continue
        for word, repl in (("True", "true"), ("False", "false"), ("None", "null")):
            if text.startswith(word, i):
                out.append(repl)
                i += len(word)
                break
        else:
            out.append(c)
            i += 1
    return json.loads("".join(out))


def _json_policy(value: Any) -> dict[str, Any] | None:
    if isinstance(value, dict):
        return value
    if not isinstance(value, str):
        return None
    text = value.strip()
    if text.startswith("${") and text.endswith("}"):
        text = text[2:-1].strip()
    if text.startswith("jsonencode(") and text.endswith(")"):
        try:
            loaded = loose_literal(text[len("jsonencode(") : -1])
        except ValueError:
            return None
        return loaded if isinstance(loaded, dict) else None
    if text.startswith("{"):
        try:
            loaded = json.loads(text)
        except ValueError:
            try:
                loaded = loose_literal(text)
            except ValueError:
                return None
        return loaded if isinstance(loaded, dict) else None
    return None


def statements_from_json(value: Any) -> list[dict[str, Any]] | None:
    """Normalised statements of a JSON policy (dict or string); None if not JSON."""
    policy = _json_policy(first(value) if isinstance(value, list) else value)
    if policy is None:
        return None
    raw = policy.get("Statement", [])
    if isinstance(raw, dict):
        raw = [raw]
    result = []
    for st in raw if isinstance(raw, list) else []:
        if not isinstance(st, dict):
            continue
        result.append(
            {
                "effect": str(st.get("Effect", "Allow")),
                "actions": [str(a) for a in flatten(st.get("Action"))],
                "not_actions": [str(a) for a in flatten(st.get("NotAction"))],
                "resources": [str(r) for r in flatten(st.get("Resource"))],
                "not_resources": [str(r) for r in flatten(st.get("NotResource"))],
                "principals": st.get("Principal"),
                "condition": st.get("Condition") or {},
            }
        )
    return result


def statements_from_document(conf: dict[str, Any]) -> list[dict[str, Any]]:
    """Normalised statements of an ``aws_iam_policy_document`` (config or graph node)."""
    result = []
    for st in blocks(conf, "statement"):
        conditions = []
        for cond in blocks(st, "condition"):
            conditions.append(
                {
                    "test": str(first(cond.get("test"), "")),
                    "variable": str(first(cond.get("variable"), "")),
                    "values": flatten(cond.get("values")),
                }
            )
        principals = []
        for pr in blocks(st, "principals"):
            principals.append(
                {
                    "type": str(first(pr.get("type"), "")),
                    "identifiers": [str(i) for i in flatten(pr.get("identifiers"))],
                }
            )
        result.append(
            {
                "effect": str(first(st.get("effect"), "Allow")),
                "actions": [str(a) for a in flatten(st.get("actions"))],
                "not_actions": [str(a) for a in flatten(st.get("not_actions"))],
                "resources": [str(r) for r in flatten(st.get("resources"))],
                "not_resources": [str(r) for r in flatten(st.get("not_resources"))],
                "principals": principals,
                "conditions": conditions,
            }
        )
    return result


def is_allow(statement: dict[str, Any]) -> bool:
    return statement.get("effect", "Allow").strip().lower() != "deny"


def wildcard_actions(actions: Iterable[str]) -> list[str]:
    """``*`` and service-wide wildcards such as ``s3:*`` (also ``s3:Get*`` is fine)."""
    bad = []
    for action in actions:
        a = action.strip()
        if a == "*" or re.fullmatch(r"[A-Za-z0-9-]+:\*", a):
            bad.append(a)
    return bad


# ---------------------------------------------------------------------------
# security group rules
# ---------------------------------------------------------------------------

ALL_PROTOCOLS = {"-1", "all"}
TCP = {"tcp", "6"}


def ingress_rules(entity_type: str, conf: dict[str, Any]) -> list[dict[str, Any]]:
    """Ingress rules of any of the three ways to write them, normalised.

    ``{"protocol", "from_port", "to_port", "cidrs", "sg_source", "prefix_lists"}``
    with ports as ints (None when unknown) and protocol lower-cased.
    """
    rules: list[dict[str, Any]] = []
    if entity_type == "aws_security_group":
        for block in blocks(conf, "ingress"):
            rules.append(
                {
                    "protocol": str(first(block.get("protocol"), "")).lower(),
                    "from_port": as_int(block.get("from_port")),
                    "to_port": as_int(block.get("to_port")),
                    "cidrs": [
                        str(c)
                        for c in flatten(block.get("cidr_blocks"))
                        + flatten(block.get("ipv6_cidr_blocks"))
                    ],
                    "sg_source": bool(flatten(block.get("security_groups")))
                    or as_bool(block.get("self")) is True,
                    "prefix_lists": flatten(block.get("prefix_list_ids")),
                }
            )
    elif entity_type == "aws_security_group_rule":
        if str(attr(conf, "type", "")).lower() == "ingress":
            rules.append(
                {
                    "protocol": str(attr(conf, "protocol", "")).lower(),
                    "from_port": as_int(conf.get("from_port")),
                    "to_port": as_int(conf.get("to_port")),
                    "cidrs": [
                        str(c)
                        for c in flatten(conf.get("cidr_blocks"))
                        + flatten(conf.get("ipv6_cidr_blocks"))
                    ],
                    "sg_source": attr(conf, "source_security_group_id") is not None
                    or as_bool(conf.get("self")) is True,
                    "prefix_lists": flatten(conf.get("prefix_list_ids")),
                }
            )
    elif entity_type == "aws_vpc_security_group_ingress_rule":
        rules.append(
            {
                "protocol": str(attr(conf, "ip_protocol", "")).lower(),
                "from_port": as_int(conf.get("from_port")),
                "to_port": as_int(conf.get("to_port")),
                "cidrs": [
                    str(c) for c in flatten(conf.get("cidr_ipv4")) + flatten(conf.get("cidr_ipv6"))
                ],
                "sg_source": attr(conf, "referenced_security_group_id") is not None,
                "prefix_lists": flatten(conf.get("prefix_list_id")),
            }
        )
    return rules


def port_range(rule: dict[str, Any]) -> tuple[int, int] | None:
    """(from, to) the rule opens; (0, 65535) for all protocols; None if unknown."""
    if rule["protocol"] in ALL_PROTOCOLS:
        return (0, 65535)
    low, high = rule["from_port"], rule["to_port"]
    if low is None and high is None:
        return None
    low = high if low is None else low
    high = low if high is None else high
    if low == -1 and high == -1:  # icmp "all types" and friends
        return (0, 65535)
    return (min(low, high), max(low, high))


def describe_rule(rule: dict[str, Any]) -> str:
    rng = port_range(rule)
    ports = (
        "all ports"
        if rule["protocol"] in ALL_PROTOCOLS
        else (
            f"port {rng[0]}"
            if rng and rng[0] == rng[1]
            else f"ports {rng[0]}-{rng[1]}"
            if rng
            else "unknown ports"
        )
    )
    return f"{rule['protocol'] or '?'} {ports}"


POLICY_RESOURCES = [
    "aws_iam_policy",
    "aws_iam_role_policy",
    "aws_iam_user_policy",
    "aws_iam_group_policy",
    "aws_s3_bucket_policy",
    "aws_iam_role",
]


def policies_of(entity_type: str, conf: dict[str, Any]) -> list[Any]:
    """The JSON policies a resource carries (``inline_policy`` blocks for a role)."""
    if entity_type == "aws_iam_role":
        return [b.get("policy") for b in blocks(conf, "inline_policy")]
    return [conf.get("policy")]
