"""Compliance evidence: the control catalogue applied to a gate run.

``python -m harness.gate`` calls :func:`run` after its checkov runs: every control gets a
verdict per layer (static, plan, runtime), the exceptions register is enforced, and
``reports/evidence/`` is written (see :mod:`harness.compliance.evidence`).
``python -m harness.compliance`` (``make evidence``) rebuilds the evidence from the last
gate run's reports (``reports/gate/scans.json``), any integration JUnit report and any
Prowler scan of the deployed stack (``reports/prowler-*.json``, see
:mod:`harness.compliance.prowler`), without running checkov again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import yaml

from harness.compliance import catalogue as catalogue_mod
from harness.compliance import evidence as evidence_mod
from harness.compliance import prowler
from harness.compliance.assess import Assessment, ScanResult, assess
from harness.compliance.catalogue import REPO_ROOT, CatalogueError

REGISTRY_SCRIPT = Path(__file__).resolve().parent / "checkov_registry.py"
CHECKS_DIR = REPO_ROOT / "policies" / "checks"
JUNIT_GLOBS = ("reports/integration-*.xml", "reports/tests.xml")

__all__ = ["CatalogueError", "registry_types", "run", "scan_results"]


def registry_types(checkov_bin: Path) -> dict[str, list[str]] | None:
    """``{check id: entity types}`` from checkov's registry, with our checks loaded; run by
    the Python next to the checkov binary (its venv), cached by the binary and our checks.
    None when that Python is not there (a stand-in checkov): types then come from the
    verdicts of the run itself."""
    python = Path(checkov_bin).parent / "python"
    if not python.is_file():
        return None
    key = hashlib.sha256(f"{python.resolve()}:{Path(checkov_bin).stat().st_mtime_ns}".encode())
    for path in sorted(CHECKS_DIR.iterdir()) + [REGISTRY_SCRIPT]:
        if path.is_file():
            key.update(path.name.encode() + path.read_bytes())
    cache = REPO_ROOT / "reports" / "gate" / f"checkov_registry-{key.hexdigest()[:16]}.json"
    if cache.is_file():
        return json.loads(cache.read_text(encoding="utf-8"))
    proc = subprocess.run(
        [str(python), str(REGISTRY_SCRIPT), str(CHECKS_DIR)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if proc.returncode != 0:
        raise CatalogueError(f"cannot list checkov's checks: {proc.stderr[-2000:]}")
    cache.parent.mkdir(parents=True, exist_ok=True)
    for old in cache.parent.glob("checkov_registry-*.json"):
        if old.name != cache.name:
            old.unlink(missing_ok=True)
    tmp = cache.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(proc.stdout, encoding="utf-8")
    tmp.replace(cache)
    return json.loads(proc.stdout)


def registry_async(checkov_bin: Path) -> Future:
    """registry_types in a thread, to overlap the checkov runs."""
    pool = ThreadPoolExecutor(max_workers=1)
    future = pool.submit(registry_types, checkov_bin)
    pool.shutdown(wait=False)
    return future


def _config_skips(root: str | None) -> dict[str, list[str]]:
    configs = {".checkov.yaml": REPO_ROOT / ".checkov.yaml"}
    if root and (REPO_ROOT / root / ".checkov.yaml").is_file():
        configs[f"{root.strip('/')}/.checkov.yaml"] = REPO_ROOT / root / ".checkov.yaml"
    found = {}
    for name, path in configs.items():
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        found[name] = [str(i) for i in data.get("skip-check") or []]
    return found


def scan_results(scans: list[Any]) -> list[ScanResult]:
    """harness.gate.Scan objects as the assessment reads them."""
    results = []
    for scan in scans:
        root = getattr(scan, "root", "") or ""
        if root and Path(root).resolve().is_relative_to(REPO_ROOT):
            root = str(Path(root).resolve().relative_to(REPO_ROOT))
        results.append(
            ScanResult(
                title=scan.title,
                kind=getattr(scan, "kind", "static"),
                root=root,
                reports=scan.reports,
                config_skips=_config_skips(root if root and (REPO_ROOT / root).is_dir() else None),
                plan=getattr(scan, "plan", "") or "",
                report_dir=str(scan.out_dir),
            )
        )
    return results


def junit_outcomes(paths: list[Path]) -> dict[str, str] | None:
    """``{tests/x.py::test_name: passed|failed|error|skipped}`` from pytest JUnit reports
    (parametrised and xdist-grouped tests reduce to their function: the worst outcome)."""
    outcomes: dict[str, str] = {}
    order = ("error", "failed", "skipped", "passed")
    for path in paths:
        for case in ET.parse(path).getroot().iter("testcase"):
            module = (case.get("classname") or "").split(".")
            # pytest-xdist's --dist loadgroup names a grouped test "name@group"
            name = (case.get("name") or "").split("[", 1)[0].split("@", 1)[0]
            node = "/".join(module[:-1] if module[-1][:1].isupper() else module) + ".py::" + name
            outcome = next(
                (t for t in ("error", "failure", "skipped") if case.find(t) is not None), "passed"
            )
            outcome = {"failure": "failed"}.get(outcome, outcome)
            if (
                order.index(outcome) < order.index(outcomes.get(node, "passed"))
                or node not in outcomes
            ):
                outcomes[node] = outcome
    return outcomes if paths else None


def run(
    scans: list[ScanResult],
    out: Path,
    types: dict[str, list[str]] | None,
    junit_paths: list[Path] = (),
    today: dt.date | None = None,
    prowler_paths: list[Path] = (),
) -> Assessment:
    """Assess the scans (and the integration run's JUnit and Prowler reports, when there
    are), write the evidence directory ``out``; the Assessment."""
    start = time.monotonic()
    cat = catalogue_mod.load()
    junit_paths = [p for p in junit_paths if p.is_file()]
    prowler_paths = [p for p in prowler_paths if p.is_file()]
    reports = prowler.load_reports(prowler_paths)
    result = assess(cat, scans, types, junit_outcomes(junit_paths), today, reports)
    checkov_version = next(
        (
            str((r.get("summary") or {}).get("checkov_version", ""))
            for s in scans
            for r in s.reports
        ),
        "",
    )
    plans = [
        {"path": s.plan, "sha256": evidence_mod.sha256(Path(s.plan))}
        for s in scans
        if s.plan and Path(s.plan).is_file()
    ]
    run_info = {
        "run_id": os.environ.get("FILESTORE_RUN_ID")
        or f"e{time.strftime('%y%m%d%H%M%S', time.gmtime())}",
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "commit": evidence_mod.commit(),
        "tools": {
            **evidence_mod.tool_versions(checkov_version),
            **({"prowler": reports[0].version} if reports else {}),
        },
        "scans": [{"title": s.title, "kind": s.kind, "root": s.root} for s in scans],
        "plans": plans,
        "junit": [str(p) for p in junit_paths],
        "prowler": [
            {"report": str(p), "target": r.target, "seconds": r.seconds, "command": r.command}
            for p, r in zip(prowler_paths, reports, strict=True)
        ],
    }
    doc = evidence_mod.document(cat, result, run_info, str(today or dt.date.today()))
    reports = (
        [
            Path(s.report_dir) / name
            for s in scans
            for name in ("results_sarif.sarif", "results_junitxml.xml", "results_json.json")
        ]
        + list(junit_paths)
        + list(prowler_paths)
    )
    doc["run"]["seconds"] = round(time.monotonic() - start, 2)
    evidence_mod.write(Path(out), doc, reports)
    return result


def save_index(scans: list[ScanResult], gate_out: Path) -> None:
    """reports/gate/scans.json: what make evidence needs to redo the assessment."""
    index = [{k: v for k, v in s.__dict__.items() if k != "reports"} for s in scans]
    (Path(gate_out) / "scans.json").write_text(json.dumps(index, indent=1), encoding="utf-8")


def from_index(gate_out: Path) -> list[ScanResult]:
    index = json.loads((Path(gate_out) / "scans.json").read_text(encoding="utf-8"))
    results = []
    for entry in index:
        report = Path(entry["report_dir"]) / "results_json.json"
        data = json.loads(report.read_text(encoding="utf-8") or "[]")
        results.append(
            ScanResult(
                **entry, reports=[r for r in (data if isinstance(data, list) else [data]) if r]
            )
        )
    return results


def plan_scans(reports: Path) -> list[ScanResult]:
    """The plans a lifecycle scanned before applying them (``reports/plan-*/``, written by
    ``harness/stack/deployment.py``'s ``scan_plan``): the newest per root, so that a
    stack's replace plan stands for it and an older run's never does."""
    latest: dict[str, tuple[float, ScanResult]] = {}
    for index in reports.glob("plan-*/scans.json"):
        when = index.stat().st_mtime
        for scan in from_index(index.parent):
            if scan.root not in latest or latest[scan.root][0] < when:
                latest[scan.root] = (when, scan)
    return [scan for _, scan in sorted(latest.values(), key=lambda item: item[1].root)]


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m harness.compliance", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--gate", type=Path, default=REPO_ROOT / "reports" / "gate")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "reports" / "evidence")
    args = parser.parse_args(argv)
    if not (args.gate / "scans.json").is_file():
        print(f"evidence: no gate run in {args.gate}: run `make gate` first", file=sys.stderr)
        return 2
    try:
        from harness import gate

        types = registry_types(gate.checkov_bin())
    except Exception as exc:  # noqa: BLE001 -- without checkov, types come from the verdicts
        print(
            f"evidence: checkov's registry unavailable ({exc}); types from the verdicts",
            file=sys.stderr,
        )
        types = None
    junit = sorted(p for g in JUNIT_GLOBS for p in REPO_ROOT.glob(g))
    scans = sorted(REPO_ROOT.glob(prowler.REPORT_GLOB))
    gate_scans = from_index(args.gate) + plan_scans(REPO_ROOT / "reports")
    result = run(gate_scans, args.out, types, junit, prowler_paths=scans)
    print("\n".join(f"  {p}" for p in result.problems))
    print(f"evidence: {args.out}/evidence.html ({'FAILED' if result.problems else 'PASSED'})")
    return 1 if result.problems else 0
