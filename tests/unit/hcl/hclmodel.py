"""A small, normalised model of the repository's HCL, parsed with python-hcl2.

python-hcl2 8.x gives the *source form* of every value:

* a quoted string keeps its quotes and escapes: ``"\\"AES256\\""``; a heredoc is
  ``"\\"<<-EOT\\n...EOT\\""``;
* any other expression is wrapped in ``${...}``: ``"${var.tags}"``; a bare keyword
  such as ``type = string`` is left as ``"string"``;
* numbers, ``true``/``false`` and ``null`` are Python ``int``/``float``/``bool``/``None``;
* block labels keep their quotes (``{"\\"aws_s3_bucket\\"": {"\\"this\\"": {...}}}``), a
  block body carries ``"__is_block__": True``, nested blocks are lists of bodies, and
  object literals are dicts (their quoted keys keep their quotes too).

This module turns that into plain values: a string literal becomes a ``str`` (quotes
removed, escapes resolved, heredocs dedented; a template such as ``"${var.x}/*"``
stays a ``str`` with its ``${}`` inside), an expression becomes an :class:`Expr` (a
``str`` without the ``${}``), labels and keys lose their quotes, and block markers and
comments are dropped. :class:`Stack` then offers the cloud-foundation-fabric style
look-ups the tests use: ``stack.resource("storage", "aws_s3_bucket_versioning")``,
``stack.resources(type="aws_s3_bucket")``, ``stack.env("dev").effective("database",
"multi_az")``, ...

The raw parse is cached as JSON keyed by the content of every file (see :func:`load`), so
that pytest-xdist workers parse the repository once between them.
"""

from __future__ import annotations

import hashlib
import json
import re
import textwrap
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import hcl2
from hcl2.utils import process_escape_sequences

REPO_ROOT = Path(__file__).resolve().parents[3]
MODULES_DIR = REPO_ROOT / "modules"
ENVIRONMENTS_DIR = REPO_ROOT / "environments"
CONTRACTS = REPO_ROOT / "docs" / "CONTRACTS.md"

_META_KEYS = {
    "__is_block__",
    "__comments__",
    "__inline_comments__",
    "__start_line__",
    "__end_line__",
}
_LABELLED = {"resource": 2, "data": 2, "variable": 1, "output": 1, "module": 1, "provider": 1}


def _dirs(parent: Path) -> list[str]:
    if not parent.is_dir():
        return []
    return sorted(p.name for p in parent.iterdir() if p.is_dir() and any(p.glob("*.tf")))


#: Folder names, known at collection time (for parametrize) without parsing anything.
MODULES: list[str] = _dirs(MODULES_DIR)
ENVIRONMENTS: list[str] = _dirs(ENVIRONMENTS_DIR)


# --------------------------------------------------------------------------- values


class Expr(str):
    """An HCL expression that is not a string literal, without its ``${ }`` wrapper:
    ``Expr("var.tags")``, ``Expr("merge(var.tags, {Name = ...})")``, ``Expr("string")``."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"Expr({str.__repr__(self)})"


def _unquote_key(key: str) -> str:
    if len(key) >= 2 and key[0] == key[-1] == '"':
        return process_escape_sequences(key[1:-1])
    return key


def _string(raw: str) -> str | Expr:
    if len(raw) >= 2 and raw[0] == raw[-1] == '"':
        inner = raw[1:-1]
        heredoc = re.match(r"<<(-?)([A-Za-z][A-Za-z0-9._-]*)\r?\n(.*)\n[ \t]*\2$", inner, re.S)
        if heredoc:
            text = heredoc.group(3)
            return textwrap.dedent(text) if heredoc.group(1) else text
        return process_escape_sequences(inner)
    if raw.startswith("${") and raw.endswith("}"):
        return Expr(raw[2:-1])
    return Expr(raw)


def normalise(value: Any) -> Any:
    """python-hcl2's output -> plain values (see the module docstring)."""
    if isinstance(value, dict):
        return {_unquote_key(k): normalise(v) for k, v in value.items() if k not in _META_KEYS}
    if isinstance(value, list):
        return [normalise(v) for v in value]
    if isinstance(value, str):
        return _string(value)
    return value


def flatten(value: Any) -> str:
    """Every string and expression inside a value, joined: for 'does it mention X' checks."""
    if isinstance(value, dict):
        return "\n".join(f"{k} = {flatten(v)}" for k, v in value.items())
    if isinstance(value, list):
        return "\n".join(flatten(v) for v in value)
    return str(value)


def to_hcl(value: Any) -> str:
    """A value back in (approximate) HCL syntax: strings quoted, expressions bare."""
    if isinstance(value, Expr):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {to_hcl(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(to_hcl(v) for v in value) + "]"
    return str(value)


def _top_level(text: str, stop_at_close: bool = True) -> Iterator[tuple[int, str]]:
    """Yield (index, char) of the characters of an HCL expression that are at bracket
    depth 0 and outside string literals (template interpolations count as nested)."""
    stack: list[str] = []  # "(" "[" "{" for brackets, '"' for strings, "$" for ${ in a string
    i = 0
    while i < len(text):
        ch = text[i]
        top = stack[-1] if stack else ""
        if top == '"':
            if ch == "\\":
                i += 2
                continue
            if ch == '"':
                stack.pop()
            elif text.startswith("${", i) or text.startswith("%{", i):
                stack.append("$")
                i += 2
                continue
        elif ch == '"':
            stack.append('"')
        elif ch in "([{":
            stack.append(ch)
        elif ch in ")]}":
            if not stack:
                yield i, ch
                if stop_at_close:
                    return
            else:
                stack.pop()
        elif not stack:
            yield i, ch
        i += 1


def call_arguments(expr: str, function: str) -> list[str]:
    """The argument expressions of the first ``function(...)`` call in an expression."""
    m = re.search(rf"\b{re.escape(function)}\(", expr)
    assert m, f"no {function}() call in {expr[:120]!r}"
    body = expr[m.end() :]
    args, start = [], 0
    for i, ch in _top_level(body):
        if ch in ",)":
            args.append(body[start:i].strip())
            start = i + 1
            if ch == ")":
                break
    return [a for a in args if a]


def object_items(expr: str) -> dict[str, str]:
    """``{a = x, b = f(y, z)}`` -> {"a": "x", "b": "f(y, z)"} (top level only)."""
    body = expr.strip()
    assert body.startswith("{") and body.endswith("}"), f"not an object: {body[:80]!r}"
    body = body[1:-1]
    items: dict[str, str] = {}
    start, key = 0, None
    for i, ch in [*_top_level(body), (len(body), ",")]:
        if (
            ch in "=:"
            and key is None
            and body[i + 1 : i + 2] != "="
            and body[i - 1 : i] not in "!=<>"
        ):
            key, start = body[start:i].strip().strip('"'), i + 1
        elif ch in ",\n" and key is not None:
            items[key] = body[start:i].strip()
            key, start = None, i + 1
        elif ch in ",\n":
            start = i + 1
    return items


# --------------------------------------------------------------------------- blocks


@dataclass(frozen=True)
class Block:
    """One labelled block: a resource, data source, variable, output, module call, provider."""

    kind: str
    labels: tuple[str, ...]
    body: dict[str, Any]
    file: str  # relative to the repository root, e.g. "modules/storage/main.tf"
    line: int = 0

    # identity ------------------------------------------------------------
    @property
    def type(self) -> str:
        return self.labels[0]

    @property
    def name(self) -> str:
        return self.labels[-1]

    @property
    def address(self) -> str:
        prefix = {"data": "data.", "variable": "var.", "output": "output.", "module": "module."}
        if self.kind in ("resource", "data"):
            return f"{prefix.get(self.kind, '')}{self.labels[0]}.{self.labels[1]}"
        if self.kind == "provider":
            alias = self.body.get("alias")
            return f"provider.{self.labels[0]}" + (f".{alias}" if alias else "")
        return f"{prefix.get(self.kind, self.kind + '.')}{self.labels[0]}"

    @property
    def where(self) -> str:
        """``file:line address``, for assertion messages."""
        return f"{self.file}:{self.line} {self.address}"

    def __str__(self) -> str:
        return self.where

    # content -------------------------------------------------------------
    def __getitem__(self, key: str) -> Any:
        try:
            return self.body[key]
        except KeyError:
            raise KeyError(f"{self.where} has no argument {key!r}") from None

    def __contains__(self, key: str) -> bool:
        return key in self.body

    def get(self, key: str, default: Any = None) -> Any:
        return self.body.get(key, default)

    def blocks(self, name: str) -> list[dict[str, Any]]:
        """Nested blocks of one type (``rule``, ``statement``, ...), static ones only."""
        value = self.body.get(name, [])
        return value if isinstance(value, list) and all(isinstance(b, dict) for b in value) else []

    def block(self, name: str) -> dict[str, Any]:
        """The one nested block of a type (``metadata_options``, ...)."""
        found = self.blocks(name)
        assert len(found) == 1, f"{self.where}: expected one `{name}` block, found {len(found)}"
        return found[0]

    def dynamic(self, name: str) -> list[dict[str, Any]]:
        """``dynamic "<name>"`` blocks: each as {"for_each": ..., "content": {...}}."""
        out = []
        for dyn in self.blocks("dynamic"):
            for label, body in dyn.items():
                if label == name:
                    content = body.get("content", [{}])
                    out.append({**body, "content": content[0] if content else {}})
        return out

    @property
    def repeated(self) -> str:
        """ "count", "for_each" or "" (a single instance)."""
        return next((k for k in ("count", "for_each") if k in self.body), "")

    @property
    def text(self) -> str:
        return flatten(self.body)


def _blocks_of(kind: str, entries: list, file: str, source: str) -> Iterator[Block]:
    depth = _LABELLED[kind]
    for entry in entries:
        stack: list[tuple[tuple[str, ...], Any]] = [((), entry)]
        while stack:
            labels, node = stack.pop(0)
            if len(labels) == depth:
                yield Block(kind, labels, node, file, _line_of(source, kind, labels))
                continue
            for label, child in node.items():
                stack.append(((*labels, label), child))


def _line_of(source: str, kind: str, labels: tuple[str, ...]) -> int:
    header = r"\s+".join([re.escape(kind), *(rf'"{re.escape(lab)}"' for lab in labels)])
    m = re.search(rf"^\s*{header}\s*\{{", source, re.M)
    return source.count("\n", 0, m.start()) + 1 if m else 0


# ---------------------------------------------------------------------------- roots


@dataclass
class Root:
    """One folder of .tf files: a module (``modules/<name>``) or an environment."""

    path: str  # "modules/storage", "environments/dev"
    files: dict[str, dict[str, Any]]  # file name -> normalised top-level body
    sources: dict[str, str]  # file name -> text
    tfvars_example: dict[str, Any] | None = None
    stack: Stack | None = field(default=None, repr=False, compare=False)

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]

    @property
    def kind(self) -> str:
        return "module" if self.path.startswith("modules/") else "environment"

    def __str__(self) -> str:
        return self.path

    # blocks --------------------------------------------------------------
    def _all(self, kind: str) -> list[Block]:
        out = []
        for fname, body in self.files.items():
            if kind in body:
                out.extend(
                    _blocks_of(kind, body[kind], f"{self.path}/{fname}", self.sources[fname])
                )
        return out

    @cached_property
    def resources(self) -> list[Block]:
        return self._all("resource")

    @cached_property
    def data(self) -> list[Block]:
        return self._all("data")

    @cached_property
    def variables(self) -> dict[str, Block]:
        return {b.name: b for b in self._all("variable")}

    @cached_property
    def outputs(self) -> dict[str, Block]:
        return {b.name: b for b in self._all("output")}

    @cached_property
    def module_calls(self) -> dict[str, Block]:
        return {b.name: b for b in self._all("module")}

    @cached_property
    def providers(self) -> list[Block]:
        return self._all("provider")

    @cached_property
    def locals(self) -> dict[str, Any]:
        merged: dict[str, Any] = {}
        for body in self.files.values():
            for block in body.get("locals", []):
                merged.update(block)
        return merged

    @cached_property
    def terraform(self) -> dict[str, Any]:
        """The ``terraform`` blocks, merged."""
        merged: dict[str, Any] = {}
        for body in self.files.values():
            for block in body.get("terraform", []):
                merged.update(block)
        return merged

    @cached_property
    def required_providers(self) -> dict[str, dict[str, Any]]:
        merged: dict[str, dict[str, Any]] = {}
        for block in self.terraform.get("required_providers", []):
            merged.update(block)
        return merged

    def resource(self, type: str, name: str | None = None) -> Block:
        found = [r for r in self.resources if r.type == type and name in (None, r.name)]
        what = f"{type}.{name}" if name else type
        assert len(found) == 1, (
            f"{self.path}: expected one resource {what}, found {[r.where for r in found]}"
        )
        return found[0]

    def data_source(self, type: str, name: str | None = None) -> Block:
        found = [d for d in self.data if d.type == type and name in (None, d.name)]
        assert len(found) == 1, f"{self.path}: expected one data.{type}, found {len(found)}"
        return found[0]

    # values --------------------------------------------------------------
    def resolve(self, value: Any, _depth: int = 0) -> Any:
        """Follow a value that is exactly ``var.x`` (to its default) or ``local.x`` (to its
        expression), as far as that goes. Anything else is returned as it is."""
        while isinstance(value, Expr) and _depth < 20:
            _depth += 1
            ref = re.fullmatch(r"(var|local)\.([A-Za-z_][A-Za-z0-9_-]*)", value.strip())
            if not ref:
                break
            if ref.group(1) == "var":
                var = self.variables.get(ref.group(2))
                if var is None or "default" not in var:
                    break
                value = var["default"]
            else:
                if ref.group(2) not in self.locals:
                    break
                value = self.locals[ref.group(2)]
        return value

    def expand(self, value: Any) -> str:
        """The text of a value (in HCL syntax) with every ``local.x`` replaced by its
        expression, so that a check can see through locals."""
        text = to_hcl(value)
        for _ in range(10):
            new = re.sub(
                r"\blocal\.([A-Za-z_][A-Za-z0-9_]*)",
                lambda m: (
                    f"({to_hcl(self.locals[m.group(1)])})"
                    if m.group(1) in self.locals
                    else m.group(0)
                ),
                text,
            )
            if new == text:
                break
            text = new
        return text

    def module_root(self, call: str) -> Root:
        """The module a ``module "<call>"`` block of this environment uses."""
        assert self.stack is not None
        src = self.module_calls[call]["source"]
        m = re.fullmatch(r"\.\./\.\./modules/([a-z0-9_-]+)", src)
        assert m, f"{self.module_calls[call].where}: source {src!r} is not ../../modules/<name>"
        return self.stack.module(m.group(1))

    def effective(self, call: str, argument: str) -> Any:
        """The value an environment gives a module argument: the call's argument resolved
        through the environment's variables and locals, or else the module's default."""
        block = self.module_calls[call]
        if argument in block:
            return self.resolve(block[argument])
        module = self.module_root(call)
        var = module.variables.get(argument)
        assert var is not None, f"{block.where}: module has no variable {argument!r}"
        return var.get("default", Expr(f"<required {argument}>"))


# ---------------------------------------------------------------------------- stack


class Stack:
    """Every module and environment of the repository."""

    def __init__(self, roots: Iterable[Root]) -> None:
        self.roots: dict[str, Root] = {r.path: r for r in roots}
        for root in self.roots.values():
            root.stack = self

    @property
    def modules(self) -> dict[str, Root]:
        return {r.name: r for r in self.roots.values() if r.kind == "module"}

    @property
    def environments(self) -> dict[str, Root]:
        return {r.name: r for r in self.roots.values() if r.kind == "environment"}

    def module(self, name: str) -> Root:
        assert f"modules/{name}" in self.roots, f"modules/{name} has no .tf files"
        return self.roots[f"modules/{name}"]

    def env(self, name: str) -> Root:
        assert f"environments/{name}" in self.roots, f"environments/{name} has no .tf files"
        return self.roots[f"environments/{name}"]

    def resources(
        self,
        module: str | None = None,
        type: str | None = None,
        name: str | None = None,
        env: str | None = None,
    ) -> list[Block]:
        """Resources filtered by module folder, environment folder, type and name."""
        roots = list(self.roots.values())
        if module:
            roots = [self.module(module)]
        if env:
            roots = [self.env(env)]
        return [
            r
            for root in roots
            for r in root.resources
            if type in (None, r.type) and name in (None, r.name)
        ]

    def resource(self, module: str, type: str, name: str | None = None) -> Block:
        """The one resource of a type (and name) in a module."""
        return self.module(module).resource(type, name)

    def data(self, module: str | None = None, type: str | None = None) -> list[Block]:
        roots = [self.module(module)] if module else list(self.roots.values())
        return [d for root in roots for d in root.data if type in (None, d.type)]


# ---------------------------------------------------------------------------- loading


def tf_files() -> list[Path]:
    return sorted(
        [p for d in MODULES for p in (MODULES_DIR / d).glob("*.tf")]
        + [p for d in ENVIRONMENTS for p in (ENVIRONMENTS_DIR / d).glob("*.tf")]
        + [p for d in ENVIRONMENTS for p in (ENVIRONMENTS_DIR / d).glob("*.tfvars.example")]
    )


PARSE_OPTIONS = hcl2.SerializationOptions(with_comments=False)


def parse_raw(path: Path) -> dict[str, Any]:
    """python-hcl2's own output for one file (comments left out)."""
    with open(path, encoding="utf-8") as fh:
        try:
            return hcl2.load(fh, serialization_options=PARSE_OPTIONS)
        except Exception as exc:  # lark's errors do not name the file
            raise AssertionError(f"{path.relative_to(REPO_ROOT)} does not parse: {exc}") from exc


def _digest(paths: list[Path]) -> str:
    version = getattr(hcl2, "__version__", None) or getattr(hcl2.version, "version", "?")
    h = hashlib.sha256(f"python-hcl2 {version} {PARSE_OPTIONS!r}".encode())
    for p in paths:
        h.update(str(p.relative_to(REPO_ROOT)).encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def load(cache_dir: Path | None = None) -> Stack:
    """Parse every .tf file (and terraform.tfvars.example) of modules/ and environments/.

    With ``cache_dir``, the raw parse is kept there as JSON named after a digest of every
    file's content and of the parser's version and options: the first process to need it
    parses under a file lock, every other one (pytest-xdist workers, later runs) reads it.
    """
    paths = tf_files()

    def parse_all() -> dict[str, Any]:
        return {str(p.relative_to(REPO_ROOT)): parse_raw(p) for p in paths}

    if cache_dir is None:
        raw = parse_all()
    else:
        from filelock import FileLock

        cache = cache_dir / f"hcl-parse-{_digest(paths)}.json"
        with FileLock(str(cache_dir / "hcl-parse.lock")):
            if cache.exists():
                raw = json.loads(cache.read_text(encoding="utf-8"))
            else:
                raw = parse_all()
                for old in cache_dir.glob("hcl-parse-*.json"):
                    old.unlink()
                tmp = cache.with_suffix(".tmp")
                tmp.write_text(json.dumps(raw), encoding="utf-8")
                tmp.replace(cache)

    roots: dict[str, Root] = {}
    for rel, parsed in raw.items():
        folder, fname = rel.rsplit("/", 1)
        root = roots.setdefault(folder, Root(folder, {}, {}))
        if fname.endswith(".tfvars.example"):
            root.tfvars_example = normalise(parsed)
        else:
            root.files[fname] = normalise(parsed)
            root.sources[fname] = (REPO_ROOT / rel).read_text(encoding="utf-8")
    return Stack(roots.values())


# ------------------------------------------------------------------------- contracts


def contract_outputs() -> list[str]:
    """The environment outputs listed in docs/CONTRACTS.md."""
    text = CONTRACTS.read_text(encoding="utf-8")
    section = text.split("## Environment outputs", 1)[1].split("\n## ", 1)[0]
    prose = section.split("The DB master password", 1)[0]
    return re.findall(r"`([a-z_]+)`", prose)


def contract_inputs() -> dict[str, dict[str, str]]:
    """The environment inputs table of docs/CONTRACTS.md: name -> {type, default, notes}."""
    text = CONTRACTS.read_text(encoding="utf-8")
    section = text.split("## Environment inputs", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0].startswith("`"):
            rows[cells[0].strip("`")] = {
                "type": cells[1],
                "default": cells[2],
                "notes": cells[3],
            }
    return rows
