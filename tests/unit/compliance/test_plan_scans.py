"""The evidence of a run reads the plans its lifecycles scanned (reports/plan-*/): the
newest per root, never an older run's."""

from __future__ import annotations

import json
import os

from harness.compliance import plan_scans


def _plan_dir(reports, name: str, root: str, mtime: float) -> None:
    out = reports / name
    out.mkdir(parents=True)
    (out / "results_json.json").write_text(json.dumps({"check_type": "terraform_plan"}))
    entry = {
        "title": f"plan scan of {name}",
        "kind": "plan",
        "root": root,
        "config_skips": {},
        "plan": str(reports / f"{name}.json"),
        "report_dir": str(out),
    }
    (out / "scans.json").write_text(json.dumps([entry]))
    os.utime(out / "scans.json", (mtime, mtime))


def test_the_newest_plan_per_root_stands_for_it(tmp_path):
    _plan_dir(tmp_path, "plan-dev-old", "environments/dev", 1000)
    _plan_dir(tmp_path, "plan-dev-new", "environments/dev", 2000)
    _plan_dir(tmp_path, "plan-prod-one", "environments/prod", 1500)
    scans = plan_scans(tmp_path)
    assert [(s.root, s.title) for s in scans] == [
        ("environments/dev", "plan scan of plan-dev-new"),
        ("environments/prod", "plan scan of plan-prod-one"),
    ]
    assert all(s.kind == "plan" and s.reports == [{"check_type": "terraform_plan"}] for s in scans)


def test_no_plan_scanned_no_plan_scans(tmp_path):
    assert plan_scans(tmp_path) == []
