"""The checkov security gate: checkov, configured by ``.checkov.yaml``, once per scan root.

    python -m harness.gate [--dirs DIR ...] [--plan PLAN_JSON ... [--plan-root ROOT]] [--out reports/gate]

What runs, what is skipped and what is reported is checkov's own configuration:
``.checkov.yaml`` (frameworks terraform and secrets, our checks in policies/checks,
the built-ins skipped everywhere, the outputs) plus ``<root>/.checkov.yaml`` for a
root's own skips (environments/dev).  ``policies/baseline.yaml`` gives the reason
for every skip, printed on every run, and names the built-ins we rely on.
``--plan`` scans a plan too (``tofu show -json tfplan > plan.json``).

This module does only what checkov cannot do itself:

* one checkov run per root, modules/ and each environment: given ``-d modules -d
  environments`` in one run, checkov 3.3.30 still evaluates the module calls with the
  modules' defaults only and never the environments' inputs (dev's
  ``deletion_protection = false`` goes unseen).  app/ (the user_data template, the
  app's code: no Terraform) goes to the secrets framework as ``-f`` files of the
  modules/ run: as a second ``-d`` root checkov crashes writing SARIF for an inline
  skip in a called module, and a run of its own costs a checkov start (~3 s);
* a root's skips on top of the repository's: checkov's config parser takes each key
  from one source only (command line, else --config-file, else the scanned
  directory's file) and never merges two skip-check lists;
* fail a run that checked nothing, a custom check that did not load or crashed
  (checkov logs it and carries on), and a skipped CKV_FS_* check (ours are fixed,
  never skipped);
* merge the runs' reports into one of each kind in ``reports/gate/``;
* judge every control of ``controls/catalogue.yaml`` per layer, enforce the exceptions
  register and write ``reports/evidence/`` (:mod:`harness.compliance`).

Exit status: 0 passed, 1 failed, 2 the gate could not run (no checkov: ``make setup``).
checkov lives in its own venv (``.venv-checkov``; ``$CHECKOV_BIN`` overrides).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import time
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from harness import compliance
from harness.proc import run_timed

REPO_ROOT = Path(__file__).resolve().parent.parent
CONFIG = REPO_ROOT / ".checkov.yaml"
POLICIES_DIR = REPO_ROOT / "policies"
BASELINE_FILE = POLICIES_DIR / "baseline.yaml"
REPORTS = ("results_cli.txt", "results_json.json", "results_junitxml.xml", "results_sarif.sarif")
CHECK_ID = re.compile(r"^CKV2?_[A-Z0-9]+_\d+$")
# stderr lines that mean one of our checks did not load or did not run
LOAD_ERRORS = re.compile(
    r"Cannot load external check.*|Failed to parse check id.*|Failed to run check .*"
    r"|Custom policy .* (?:is missing required fields|has an invalid 'definition').*"
)


class GateError(RuntimeError):
    """The gate could not run (as opposed to: it ran and found problems)."""


def checkov_bin() -> Path:
    """``$CHECKOV_BIN`` or ``<repo>/.venv-checkov/bin/checkov``; GateError if missing."""
    configured = os.environ.get("CHECKOV_BIN")
    path = Path(shutil.which(configured) or configured) if configured else None
    path = path or REPO_ROOT / ".venv-checkov" / "bin" / "checkov"
    if path.is_file() and os.access(path, os.X_OK):
        return path
    if configured:
        raise GateError(f"CHECKOV_BIN={configured!r} is not an executable file")
    raise GateError(
        f"checkov not found at {path}: run `make setup` (it creates .venv-checkov from "
        "policies/requirements.txt), or point CHECKOV_BIN at a checkov binary"
    )


def _yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise GateError(f"cannot read {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise GateError(f"{path}: expected a mapping")
    return data


def skips(root: str | None = None) -> list[str]:
    """The checks skipped in a scan of ``root``: the repository's, then the root's own."""
    ids = [str(i) for i in _yaml(CONFIG).get("skip-check") or []]
    config = REPO_ROOT / root / ".checkov.yaml" if root else None
    if config and config.is_file():
        extra = _yaml(config)
        if set(extra) - {"skip-check"}:
            raise GateError(f"{config}: a root's config holds skip-check only")
        ids += [str(i) for i in extra.get("skip-check") or [] if str(i) not in ids]
    return ids


def load_baseline(path: Path = BASELINE_FILE) -> dict[str, dict[str, str]]:
    """``{"enforced": {id: what}, "skip": {id: reason}}``, checked against every config."""
    data = _yaml(Path(path))
    enforced = {str(e["id"]): str(e.get("what", "")) for e in data.get("enforced") or []}
    reasons = {str(s["id"]): " ".join(str(s.get("reason", "")).split()) for s in data["skip"]}
    configs = [CONFIG, *REPO_ROOT.glob("*/.checkov.yaml"), *REPO_ROOT.glob("*/*/.checkov.yaml")]
    skipped = {i for c in configs for i in (_yaml(c).get("skip-check") or [])}
    rules = [
        (skipped - set(reasons), "is skipped without a reason"),
        (set(reasons) - skipped, "has a reason but is skipped nowhere"),
        ({i for i in skipped | set(enforced) if not CHECK_ID.match(i)}, "is not a check id"),
        ({i for i in skipped if i.startswith("CKV_FS_")}, "is ours: fix it or the stack"),
        (skipped & set(enforced), "is both enforced and skipped"),
        ({i for i, r in reasons.items() if len(r.split()) < 6}, "needs a reason in a sentence"),
    ]
    problems = [f"{i} {message}" for ids, message in rules for i in sorted(ids)]
    if problems:
        raise GateError(f"{path}: " + "; ".join(problems))
    return {"enforced": enforced, "skip": reasons}


@dataclass
class Scan:
    """One checkov run and what it found (from its JSON report and its stderr)."""

    title: str
    args: list[str]
    out_dir: Path
    root: str = ""  # the scanned root, or the root a plan was made from
    kind: str = "static"  # or "plan"
    plan: str = ""
    duration: float = 0.0
    passed: list[dict[str, Any]] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    parsing_errors: list[str] = field(default_factory=list)
    load_errors: list[str] = field(default_factory=list)
    reports: list[dict[str, Any]] = field(default_factory=list)

    @property
    def problems(self) -> list[str]:
        """Why the run fails the gate beyond checkov's own failed checks."""
        found = [f"PARSING ERROR {e}" for e in self.parsing_errors]
        found += [f"CHECK NOT LOADED OR CRASHED: {e}" for e in self.load_errors]
        found += [
            f"OUR CHECK SKIPPED: {r['check_id']} {r.get('resource')}"
            for r in self.skipped
            if r["check_id"].startswith("CKV_FS_")
        ]
        if not (self.passed or self.failed or self.skipped):
            found.append("NOTHING WAS CHECKED: no Terraform resources found (wrong directory?)")
        return found

    @property
    def ok(self) -> bool:
        return not (self.failed or self.problems)

    def run(self, binary: Path, timeout: float = 900) -> Scan:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        for name in REPORTS:
            (self.out_dir / name).unlink(missing_ok=True)
        cmd = [str(binary), "--config-file", str(CONFIG), *self.args]
        cmd += ["--output-file-path", str(self.out_dir)]
        env = {**os.environ, "BC_SKIP_MAPPING": "TRUE"}  # no mapping download either
        env["LOG_LEVEL"] = os.environ.get("CHECKOV_LOG_LEVEL", "WARNING")
        proc, self.duration = run_timed(
            cmd, cwd=REPO_ROOT, env=env, timeout=timeout, what=f"checkov ({' '.join(cmd)})",
            error=GateError,
        )  # fmt: skip
        report = self.out_dir / "results_json.json"
        if proc.returncode not in (0, 1) or not report.is_file():
            tail = "\n".join((proc.stderr or proc.stdout).splitlines()[-30:])
            raise GateError(f"checkov failed (exit {proc.returncode}): {' '.join(cmd)}\n{tail}")
        data = json.loads(report.read_text(encoding="utf-8") or "[]")
        self.reports = [r for r in (data if isinstance(data, list) else [data]) if r]
        for rep in self.reports:
            results = rep.get("results") or {}
            self.passed += results.get("passed_checks") or []
            self.failed += results.get("failed_checks") or []
            self.skipped += results.get("skipped_checks") or []
            self.parsing_errors += [str(e) for e in results.get("parsing_errors") or []]
        self.load_errors = sorted({m.group(0).strip() for m in LOAD_ERRORS.finditer(proc.stderr)})
        return self

    def summary(self) -> list[str]:
        lines = [
            f"gate: {self.title}: {len(self.passed)} passed, {len(self.failed)} failed, "
            f"{len(self.skipped)} skipped inline ({self.duration:.1f}s)"
        ]
        for rec in sorted(self.failed, key=lambda r: (r["check_id"], r.get("resource", ""))):
            where = f"{rec.get('repo_file_path') or rec.get('file_path')}"
            where += f":{rec['file_line_range'][0]}" if rec.get("file_line_range") else ""
            lines.append(f"  FAILED {rec['check_id']} {rec.get('resource')} at {where.lstrip('/')}")
        return lines + [f"  {p}" for p in self.problems]


FILES_OF = {"modules": "app"}  # root -> a folder whose files it also scans (see above)


def default_roots() -> list[str]:
    environments = sorted(p.parent for p in REPO_ROOT.glob("environments/*/main.tf"))
    return ["modules", *[str(e.relative_to(REPO_ROOT)) for e in environments]]


def plan_scans(
    roots: list[str], plans: list[str], out: Path, plan_root: str | None = None
) -> list[Scan]:
    scans = []
    for root in roots:
        args = ["-d", root]
        if skips(root) != skips():
            args += ["--skip-check", ",".join(skips(root))]
        title = f"scan of {root}"
        if root in FILES_OF:
            files = sorted((REPO_ROOT / FILES_OF[root]).rglob("*"))
            args += [
                a
                for f in files
                if f.is_file() and "__pycache__" not in f.parts
                for a in ("-f", str(f))
            ]
            title += f" (and the files of {FILES_OF[root]}/)"
        label = re.sub(r"[^A-Za-z0-9_.-]", "_", root.strip("/")) or "root"
        scans.append(Scan(title, args, out / label, root=root))
    for plan in plans:
        args = ["-f", str(Path(plan).resolve()), "--framework", "terraform_plan"]
        if plan_root:
            # the root the plan was made from: its own skips, and checkov's plan enrichment
            # from its HCL, which maps each planned resource to its source and so honours
            # the inline #checkov:skip comments there (a plan has no comments of its own)
            args += ["--repo-root-for-plan-enrichment", str(REPO_ROOT / plan_root)]
            if skips(plan_root) != skips():
                args += ["--skip-check", ",".join(skips(plan_root))]
        where = out / f"plan_{Path(plan).stem}"
        plan = str(Path(plan).resolve())
        scans.append(Scan(f"plan scan of {plan}", args, where, plan_root or "", "plan", plan))
    return scans


def merge_reports(scans: list[Scan], out: Path) -> None:
    """One report of each kind in ``out`` for all the runs (checkov writes one per run)."""
    texts = [f"== {s.title} ==\n{(s.out_dir / REPORTS[0]).read_text()}" for s in scans]
    (out / REPORTS[0]).write_text("\n".join(texts), encoding="utf-8")
    reports = [rep for s in scans for rep in s.reports]
    (out / REPORTS[1]).write_text(json.dumps(reports, indent=1), encoding="utf-8")
    junit = ET.Element("testsuites", name="checkov security gate")
    for scan in scans:
        root = ET.parse(scan.out_dir / REPORTS[2]).getroot()
        junit.extend([root] if root.tag == "testsuite" else root.findall("testsuite"))
    for key in ("tests", "failures", "errors", "skipped"):
        junit.set(key, str(sum(int(s.get(key) or 0) for s in junit.findall("testsuite"))))
    ET.ElementTree(junit).write(out / REPORTS[2], encoding="utf-8", xml_declaration=True)
    sarifs = [json.loads((s.out_dir / REPORTS[3]).read_text()) for s in scans]
    sarif = {**sarifs[0], "runs": [run for s in sarifs for run in s.get("runs", [])]}
    (out / REPORTS[3]).write_text(json.dumps(sarif, indent=1), encoding="utf-8")


def run_gate(
    roots: list[str], plans: list[str] = (), out: Path | None = None, plan_root: str | None = None
) -> list[Scan]:
    """What ``python -m harness.gate`` runs, without the printing; GateError if it cannot."""
    out = Path(out or REPO_ROOT / "reports" / "gate")
    binary = checkov_bin()
    scans = plan_scans(roots, list(plans), out, plan_root)
    workers = min(len(scans), os.cpu_count() or 2)  # the runs are independent processes
    with ThreadPoolExecutor(max_workers=max(workers, 1)) as pool:
        scans = list(pool.map(lambda scan: scan.run(binary), scans))
    merge_reports(scans, out)
    return scans


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m harness.gate", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--dirs",
        nargs="*",
        help="scan roots (default: modules, each environment; none: `--dirs --plan X` scans a plan only)",
    )
    parser.add_argument(
        "--plan", action="append", default=[], help="also scan a plan (tofu show -json)"
    )
    parser.add_argument(
        "--plan-root", help="the root the plans were made from (e.g. environments/dev)"
    )
    parser.add_argument(
        "--out", type=Path, default=REPO_ROOT / "reports" / "gate", help="report directory"
    )
    parser.add_argument(
        "--quiet", action="store_true", help="no checkov console report, the summary only"
    )
    parser.add_argument(
        "--evidence",
        type=Path,
        help="evidence directory (default: reports/evidence, or <out>/evidence with --out)",
    )
    args = parser.parse_args(argv)
    roots = default_roots() if args.dirs is None else args.dirs
    if not roots and not args.plan:
        parser.error("nothing to scan: give --dirs or --plan")
    try:
        missing = [d for d in roots if not (REPO_ROOT / d).is_dir()]
        missing += [p for p in args.plan if not Path(p).is_file()]
        if missing:
            raise GateError(f"not found: {', '.join(missing)}")
        baseline = load_baseline()
        print(f"gate: checkov {checkov_bin()} with {CONFIG.name}; skipped, and why:")
        for root in [None, *roots]:
            for check_id in skips(root)[len(skips()) if root else 0 :]:
                where = f" ({root} only)" if root else ""
                print(f"  - {check_id}{where}: {baseline['skip'][check_id]}")
        print("gate: every other check is enforced (hard fail)", flush=True)
        types = compliance.registry_async(checkov_bin())  # overlaps the checkov runs
        scans = run_gate(roots, args.plan, args.out.resolve(), args.plan_root)
        default_out = args.out.resolve() == (REPO_ROOT / "reports" / "gate").resolve()
        evidence = args.evidence or (
            REPO_ROOT / "reports" / "evidence" if default_out else args.out / "evidence"
        )
        evidence = evidence.resolve()
        results = compliance.scan_results(scans)
        compliance.save_index(results, args.out.resolve())
        start = time.monotonic()
        assessment = compliance.run(results, evidence, types.result())
        took = time.monotonic() - start
    except (GateError, compliance.CatalogueError) as exc:
        print(f"gate: ERROR: {exc}", file=sys.stderr)
        return 2
    for scan in scans:
        if not args.quiet:
            print(
                (scan.out_dir / REPORTS[0]).read_text(encoding="utf-8", errors="replace").rstrip()
            )
        print("\n".join(scan.summary()))
    print(f"gate: reports in {args.out}: {', '.join(REPORTS)}")
    problems = [p for p in assessment.problems if " FAILED " not in p]
    if problems:
        print("\n".join(f"  {p}" for p in problems))
    print(f"gate: evidence in {evidence}: evidence.json, evidence.html ({took:.1f}s)")
    ok = all(scan.ok for scan in scans) and not problems
    print("gate: PASSED" if ok else "gate: FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
