"""Run by checkov's own Python (``.venv-checkov/bin/python checkov_registry.py DIR...``):
print ``{check id: [entity types]}`` for every Terraform check checkov would run, the
built-ins and the external checks in DIR (ours), as JSON.  Graph (YAML) checks give the
types of their top-level resource filter or conditions.

Not imported by the harness (it needs checkov); the harness runs it as a script.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path


def _graph_types(definition: object) -> set[str]:
    """The resource types a YAML policy reports on: its filter's, else its conditions'."""
    if isinstance(definition, dict):
        if (
            definition.get("cond_type") == "filter"
            and definition.get("attribute") == "resource_type"
        ):
            return set(definition.get("value") or [])
        if "resource_types" in definition and definition.get("cond_type") != "connection":
            return set(definition.get("resource_types") or [])
        for key in ("and", "or"):
            parts = definition.get(key) or []
            filters = [
                _graph_types(p)
                for p in parts
                if isinstance(p, dict) and p.get("cond_type") == "filter"
            ]
            if filters:
                return set().union(*filters)
            found = [_graph_types(p) for p in parts]
            if found:
                return set().union(*found)
    return set()


def main(dirs: list[str]) -> dict[str, list[str]]:
    logging.disable(logging.WARNING)
    import yaml
    from checkov.terraform.checks.data.registry import data_registry
    from checkov.terraform.checks.provider.registry import provider_registry
    from checkov.terraform.checks.resource.registry import resource_registry

    types: dict[str, set[str]] = {}
    for directory in dirs:
        resource_registry.load_external_checks(directory)
        data_registry.load_external_checks(directory)
    for registry in (resource_registry, data_registry, provider_registry):
        for entity, checks in registry.checks.items():
            for check in checks:
                types.setdefault(check.id, set()).add(entity)
    import checkov.terraform.checks.graph_checks as builtin_graph

    builtin = Path(builtin_graph.__file__).parent / "aws"
    graph_files = [*builtin.glob("*.json"), *builtin.glob("*.yaml")]
    graph_files += [p for d in dirs for p in Path(d).glob("*.yaml")]
    for path in graph_files:
        policy = yaml.safe_load(path.read_text(encoding="utf-8")) or {}  # JSON is YAML
        check_id = (policy.get("metadata") or {}).get("id")
        if check_id:
            types.setdefault(check_id, set()).update(_graph_types(policy.get("definition")))
    return {k: sorted(v) for k, v in sorted(types.items())}


if __name__ == "__main__":
    json.dump(main(sys.argv[1:]), sys.stdout, indent=0)
