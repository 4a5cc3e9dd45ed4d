"""Generated documentation of Terraform modules, kept in their READMEs.

Parses a module folder's ``*.tf`` files with python-hcl2 and renders a markdown
section (requirements, modules, resources, inputs, outputs) between the markers
``<!-- BEGIN_TF_DOCS -->`` and ``<!-- END_TF_DOCS -->`` of the folder's README.md.
Everything outside the markers is written by hand and left alone.

    python -m harness.tfdocs --write modules/*      # rewrite the READMEs
    python -m harness.tfdocs --check modules/*      # exit 1 listing drifted READMEs

Without folders, both act on every module under modules/ and every environment
under environments/.
"""

from __future__ import annotations

import argparse
import re
import sys
import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import hcl2
from hcl2.utils import SerializationOptions

from harness.paths import ENVIRONMENTS_DIR, MODULES_DIR, REPO_ROOT

BEGIN = "<!-- BEGIN_TF_DOCS -->"
END = "<!-- END_TF_DOCS -->"

_OPTIONS = SerializationOptions(with_comments=False)
_META_KEYS = {
    "__is_block__",
    "__comments__",
    "__inline_comments__",
    "__start_line__",
    "__end_line__",
}
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}
_HEREDOC = re.compile(r"^<<(-?)([A-Za-z_][A-Za-z0-9_]*)\n(.*?)\n?[ \t]*\2$", re.DOTALL)


# --------------------------------------------------------------------- model


@dataclass(frozen=True)
class Variable:
    name: str
    description: str
    type: str
    default: str | None  # rendered HCL; None when the input is required
    sensitive: bool = False

    @property
    def required(self) -> bool:
        return self.default is None


@dataclass(frozen=True)
class Output:
    name: str
    description: str
    sensitive: bool = False


@dataclass(frozen=True)
class Resource:
    mode: str  # "resource" or "data"
    type: str
    name: str
    repeated: str = ""  # "count" or "for_each" when the block has one

    @property
    def address(self) -> str:
        prefix = "data." if self.mode == "data" else ""
        return f"{prefix}{self.type}.{self.name}"


@dataclass
class Module:
    path: Path
    required_version: str | None = None
    providers: dict[str, str] = field(default_factory=dict)  # name -> "source version"
    module_calls: dict[str, str] = field(default_factory=dict)  # name -> source
    resources: list[Resource] = field(default_factory=list)
    variables: list[Variable] = field(default_factory=list)
    outputs: list[Output] = field(default_factory=list)


# -------------------------------------------------------------------- parsing


def _unquote(text: str) -> str:
    """An HCL string as python-hcl2 keeps it (quoted, escaped; heredocs too) -> its value."""
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        body, out, i = text[1:-1], [], 0
        while i < len(body):
            ch = body[i]
            if ch == "\\" and i + 1 < len(body) and body[i + 1] in _ESCAPES:
                out.append(_ESCAPES[body[i + 1]])
                i += 2
                continue
            out.append(ch)
            i += 1
        text = "".join(out)
    match = _HEREDOC.match(text)
    if match:
        body = match.group(3)
        return textwrap.dedent(body) if match.group(1) else body
    return text


def _label(key: str) -> str:
    return key[1:-1] if len(key) >= 2 and key[0] == key[-1] == '"' else key


def render_value(value: object) -> str:
    """A python-hcl2 value -> compact HCL source."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        if value.startswith("${") and value.endswith("}"):
            return value[2:-1]
        return value
    if isinstance(value, list):
        return "[" + ", ".join(render_value(v) for v in value) + "]"
    if isinstance(value, dict):
        items = [
            f"{_label(k)} = {render_value(v)}" for k, v in value.items() if k not in _META_KEYS
        ]
        return "{" + ", ".join(items) + "}" if items else "{}"
    return str(value)


def _blocks(doc: dict, kind: str) -> Iterable[tuple[str, dict]]:
    """(label, body) of every labelled block of a kind, e.g. variable "x" {...}."""
    for entry in doc.get(kind, []):
        for label, body in entry.items():
            if label not in _META_KEYS:
                yield _label(label), body


def _description(body: dict) -> str:
    raw = body.get("description")
    return _unquote(raw).strip() if isinstance(raw, str) else ""


def parse_module(path: Path) -> Module:
    """Every variable, output, resource and requirement of the ``*.tf`` files in ``path``."""
    module = Module(path=path)
    files = sorted(path.glob("*.tf"))
    if not files:
        raise FileNotFoundError(f"no .tf files in {path}")
    for tf in files:
        doc = hcl2.loads(tf.read_text(encoding="utf-8"), serialization_options=_OPTIONS)
        for terraform in doc.get("terraform", []):
            if "required_version" in terraform:
                module.required_version = _unquote(terraform["required_version"])
            for providers in terraform.get("required_providers", []):
                for name, spec in providers.items():
                    if name in _META_KEYS or not isinstance(spec, dict):
                        continue
                    source = _unquote(spec.get("source", f'"hashicorp/{name}"'))
                    version = _unquote(spec.get("version", '""'))
                    module.providers[name] = f"{source} {version}".strip()
        for name, body in _blocks(doc, "variable"):
            default = render_value(body["default"]) if "default" in body else None
            raw_type = body.get("type")
            module.variables.append(
                Variable(
                    name=name,
                    description=_description(body),
                    type=render_value(raw_type) if raw_type is not None else "any",
                    default=default,
                    sensitive=body.get("sensitive") is True,
                )
            )
        for name, body in _blocks(doc, "output"):
            module.outputs.append(
                Output(
                    name=name,
                    description=_description(body),
                    sensitive=body.get("sensitive") is True,
                )
            )
        for name, body in _blocks(doc, "module"):
            module.module_calls[name] = _unquote(body.get("source", '""'))
        for mode in ("resource", "data"):
            for rtype, named in _blocks(doc, mode):
                for rname, body in named.items():
                    if rname in _META_KEYS:
                        continue
                    repeated = next((k for k in ("count", "for_each") if k in body), "")
                    module.resources.append(Resource(mode, rtype, _label(rname), repeated))
    return module


# ------------------------------------------------------------------ rendering


def _cell(text: str) -> str:
    """Text safe inside a markdown table cell."""
    text = " ".join(text.split()).replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")
    return text or "n/a"


def _code(text: str) -> str:
    text = " ".join(text.split()).replace("|", "\\|")
    fence = "``" if "`" in text else "`"
    pad = " " if "`" in text else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def render_docs(module: Module) -> str:
    """The generated section, markers included."""
    lines = [BEGIN, "## Requirements", "", "| Name | Version |", "|------|---------|"]
    if module.required_version:
        lines.append(f"| terraform | {_code(module.required_version)} |")
    for name, spec in sorted(module.providers.items()):
        source, _, version = spec.partition(" ")
        lines.append(f"| {name} ({source}) | {_code(version) if version else 'any'} |")

    if module.module_calls:
        lines += ["", "## Modules", "", "| Name | Source |", "|------|--------|"]
        lines += [f"| {name} | {_code(src)} |" for name, src in sorted(module.module_calls.items())]

    if module.resources:
        lines += ["", "## Resources", "", "| Name | Type |", "|------|------|"]
        ordered = sorted(module.resources, key=lambda r: (r.mode != "resource", r.type, r.name))
        for res in ordered:
            kind = "data source" if res.mode == "data" else "resource"
            if res.repeated:
                kind += f" ({res.repeated})"
            lines.append(f"| {_code(res.address)} | {kind} |")

    lines += ["", "## Inputs", ""]
    if module.variables:
        lines += [
            "| Name | Description | Type | Default | Required |",
            "|------|-------------|------|---------|:--------:|",
        ]
        ordered_vars = sorted(module.variables, key=lambda v: (not v.required, v.name))
        for var in ordered_vars:
            default = "n/a" if var.default is None else _code(var.default)
            description = var.description + (" (sensitive)" if var.sensitive else "")
            lines.append(
                f"| {_code(var.name)} | {_cell(description)} | {_code(var.type)} | {default} "
                f"| {'yes' if var.required else 'no'} |"
            )
    else:
        lines.append("No inputs.")

    lines += ["", "## Outputs", ""]
    if module.outputs:
        lines += ["| Name | Description |", "|------|-------------|"]
        for out in sorted(module.outputs, key=lambda o: o.name):
            description = out.description + (" (sensitive)" if out.sensitive else "")
            lines.append(f"| {_code(out.name)} | {_cell(description)} |")
    else:
        lines.append("No outputs.")
    lines.append(END)
    return "\n".join(lines) + "\n"


def updated_readme(current: str | None, docs: str, title: str) -> str:
    """``current`` with the generated section replaced (or appended)."""
    if current is None:
        return f"# {title}\n\n{docs}"
    start, end = current.find(BEGIN), current.find(END)
    if start == -1 or end == -1 or end < start:
        return current.rstrip("\n") + "\n\n" + docs
    tail = current[end + len(END) :].lstrip("\n")
    return current[:start] + docs + (("\n" + tail) if tail else "")


# ----------------------------------------------------------------- operations


def expected_readme(path: Path) -> tuple[Path, str | None, str]:
    """(README path, its current text or None, the text it should have)."""
    readme = path / "README.md"
    current = readme.read_text(encoding="utf-8") if readme.exists() else None
    return readme, current, updated_readme(current, render_docs(parse_module(path)), path.name)


def check_module(path: Path) -> str | None:
    """None when ``path``'s README is current, else a short reason."""
    readme, current, expected = expected_readme(path)
    if current is None:
        return f"{readme}: missing"
    if current != expected:
        return f"{readme}: generated section out of date"
    return None


def write_module(path: Path) -> bool:
    """Rewrite ``path``'s README; True when it changed."""
    readme, current, expected = expected_readme(path)
    if current == expected:
        return False
    readme.write_text(expected, encoding="utf-8")
    return True


def default_paths() -> list[Path]:
    found = []
    for root in (MODULES_DIR, ENVIRONMENTS_DIR):
        if root.is_dir():
            found += sorted(p for p in root.iterdir() if p.is_dir() and any(p.glob("*.tf")))
    return found


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(REPO_ROOT))
    except ValueError:
        return str(path)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m harness.tfdocs", description=__doc__.split("\n\n")[0]
    )
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true", help="rewrite the READMEs' generated section")
    mode.add_argument("--check", action="store_true", help="exit 1 when a README is out of date")
    parser.add_argument("paths", nargs="*", type=Path, help="module folders (default: all)")
    args = parser.parse_args(argv)

    paths = [p for p in (args.paths or default_paths()) if p.is_dir()]
    if not paths:
        parser.error("no module folder given or found")

    if args.write:
        for path in paths:
            if write_module(path):
                print(f"updated {_display(path / 'README.md')}")
        return 0

    drifted = [(path, reason) for path in paths if (reason := check_module(path))]
    for _path, reason in drifted:
        print(f"drifted: {reason}")
    if drifted:
        targets = " ".join(_display(p) for p, _ in drifted)
        print(f"regenerate with: python -m harness.tfdocs --write {targets}")
        return 1
    print(f"{len(paths)} README(s) up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
