"""What python-hcl2 does not give by itself: one small summary per module and
environment, and the contract's tables.

python-hcl2 parses each file (with its options, string literals come back without
quotes and expressions as ``"${...}"``); :func:`load` merges a folder's files into a
:class:`Root`: its files, resources and data sources by address, variables, outputs,
module calls, locals, providers and the ``terraform`` block.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hcl2

REPO_ROOT = Path(__file__).resolve().parents[3]
CONTRACTS = REPO_ROOT / "docs" / "CONTRACTS.md"
OPTIONS = hcl2.SerializationOptions(
    with_comments=False, explicit_blocks=False, strip_string_quotes=True
)


def _folders(parent: str) -> list[str]:
    return sorted(p.parent.name for p in (REPO_ROOT / parent).glob("*/main.tf"))


#: Known at collection time, for parametrize.
MODULES = _folders("modules")
ENVIRONMENTS = _folders("environments")
ROOTS = [f"modules/{m}" for m in MODULES] + [f"environments/{e}" for e in ENVIRONMENTS]


@dataclass
class Root:
    """One folder of .tf files."""

    path: str
    files: set[str] = field(default_factory=set)
    resources: dict[str, dict] = field(default_factory=dict)  # "aws_vpc.this" -> body
    data: dict[str, dict] = field(default_factory=dict)  # "aws_ami.ubuntu" -> body
    variables: dict[str, dict] = field(default_factory=dict)
    outputs: dict[str, dict] = field(default_factory=dict)
    modules: dict[str, dict] = field(default_factory=dict)
    providers: dict[str, dict] = field(default_factory=dict)
    locals: dict[str, Any] = field(default_factory=dict)
    terraform: dict[str, Any] = field(default_factory=dict)

    def add(self, parsed: dict[str, Any]) -> None:
        for kind, target in (("resource", self.resources), ("data", self.data)):
            for entry in parsed.get(kind, []):
                for type_, named in entry.items():
                    target.update({f"{type_}.{name}": body for name, body in named.items()})
        for kind, target in (
            ("variable", self.variables),
            ("output", self.outputs),
            ("module", self.modules),
            ("provider", self.providers),
            ("locals", self.locals),
            ("terraform", self.terraform),
        ):
            for entry in parsed.get(kind, []):
                target.update(entry)

    def expand(self, text: str) -> str:
        """``text`` with every ``local.x`` replaced by the local's own text, repeatedly."""
        for _ in range(10):
            new = re.sub(
                r"\blocal\.(\w+)",
                lambda m: f"({self.locals.get(m.group(1), m.group(0))})",
                text,
            )
            if new == text:
                break
            text = new
        return text


def load() -> dict[str, Root]:
    """Every module and environment: ``{"modules/storage": Root, ...}``."""
    roots = {}
    for path in ROOTS:
        root = roots[path] = Root(path)
        for file in sorted((REPO_ROOT / path).iterdir()):
            root.files.add(file.name)
            if file.suffix == ".tf":
                with open(file, encoding="utf-8") as fh:
                    root.add(hcl2.load(fh, serialization_options=OPTIONS))
    return roots


def _section(title: str) -> str:
    text = CONTRACTS.read_text(encoding="utf-8")
    return text.split(f"## {title}", 1)[1].split("\n", 1)[1].split("\n## ", 1)[0]


def contract_inputs() -> dict[str, list[str]]:
    """docs/CONTRACTS.md's environment inputs: name -> [type, default, notes]."""
    lines = _section("Environment inputs").splitlines()
    rows = [line.strip().strip("|").split("|") for line in lines if line.startswith("|")]
    return {
        r[0].strip(" `"): [c.strip() for c in r[1:]] for r in rows if r[0].strip().startswith("`")
    }


def contract_outputs() -> set[str]:
    """docs/CONTRACTS.md's environment outputs (the section's first paragraph)."""
    return set(re.findall(r"`([a-z_]+)`", _section("Environment outputs").strip().split("\n\n")[0]))
