"""Synthetic checkov reports and registers for the compliance tests (no checkov)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import yaml

from harness import compliance, gate
from harness.compliance import catalogue
from harness.compliance.assess import ScanResult

TODAY = dt.date(2026, 12, 6)
FIXTURES = Path(__file__).resolve().parents[1] / "policies" / "fixtures"


def record(check, resource, path="modules/compute/main.tf", line=40, graph=False):
    return {
        "check_id": check,
        "resource": resource,
        "file_abs_path": str(gate.REPO_ROOT / path),
        "file_line_range": [line, line + 5],
        "check_class": "checkov.common.graph.checks_infra.base_check" if graph else "x.Check",
        "check_result": {"suppress_comment": "a reason"},
    }


def scan(passed=(), failed=(), skipped=(), root="environments/prod", configs=None):
    results = {
        "passed_checks": list(passed),
        "failed_checks": list(failed),
        "skipped_checks": list(skipped),
    }
    configs = configs if configs is not None else compliance._config_skips(root)
    return ScanResult(f"scan of {root}", "static", root, [{"results": results}], configs)


def register(tmp_path, drop=(), **changes) -> catalogue.Catalogue:
    data = yaml.safe_load(catalogue.REGISTER.read_text(encoding="utf-8"))
    data["exceptions"] = [e for e in data["exceptions"] if e["id"] not in drop]
    for entry in data["exceptions"]:
        entry.update(changes.get(entry["id"], {}))
    path = tmp_path / "exceptions.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return catalogue.load(register=path)
