"""The checkov security gate: built-in checks minus the baseline's skips, plus ours.

    python -m harness.gate [--plan PLAN_JSON] [--dirs DIR ...] [--out reports/gate]

Runs checkov (``--framework terraform``) over ``modules/`` and ``environments/``
with our custom checks (``policies/checks``: Python checks and YAML graph
checks), skips exactly the built-in checks that ``policies/baseline.yaml``
lists -- each with its reason, printed on every run -- and hard-fails on
anything else.  ``--plan`` adds a scan of a plan in JSON form
(``tofu show -json tfplan > plan.json``; ``--framework terraform_plan``): a plan
shows values that static scanning cannot see (variables resolved, module
outputs wired, provider defaults).

Every directory and every plan is its own checkov run (side by side), with its
reports in ``<out>/<name>/``; the gate merges them into ``<out>/results_cli.txt``,
``results_junitxml.xml``, ``results_sarif.sarif`` (one SARIF run per scan) and
``results_json.json`` (a list of checkov reports).

Exit status: 0 when every enforced check passed; 1 when a check failed, a file
could not be parsed, a custom check could not be loaded or a scan found nothing
to check; 2 when the gate itself could not run (no checkov: ``make setup``; a
bad baseline).

Checkov lives in its own virtual environment (``.venv-checkov``, from
``policies/requirements.txt``): it pins an old boto3 and ships a package named
``hcl2`` that would replace python-hcl2 in the main venv.  This module is
stdlib-only so that the main venv can import it; it runs checkov as a
subprocess, ``$CHECKOV_BIN`` or ``.venv-checkov/bin/checkov``, always with
``--skip-download`` (offline: no calls to the vendor's API).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
POLICIES_DIR = REPO_ROOT / "policies"
CHECKS_DIR = POLICIES_DIR / "checks"
BASELINE_FILE = POLICIES_DIR / "baseline.yaml"
DEFAULT_DIRS = ("modules", "environments")
DEFAULT_OUT = "reports/gate"
OUTPUTS = ("cli", "junitxml", "sarif", "json")
CHECKOV_TIMEOUT = 900

# stderr lines that mean one of our checks silently did not run
LOAD_ERROR_PATTERNS = (
    re.compile(r"Cannot load external check.*"),
    re.compile(r"Failed to parse check id.*"),
    re.compile(r"Custom policy .* is missing required fields.*"),
    re.compile(r"Custom policy .* has an invalid 'definition'.*"),
    re.compile(r"Failed to run check .*"),
)


class GateError(RuntimeError):
    """The gate could not run (as opposed to: it ran and found problems)."""


# ---------------------------------------------------------------------------
# checkov binary
# ---------------------------------------------------------------------------


def checkov_bin() -> Path:
    """``$CHECKOV_BIN`` or ``<repo>/.venv-checkov/bin/checkov``; GateError if missing."""
    configured = os.environ.get("CHECKOV_BIN")
    if configured:
        path = Path(configured)
        if not path.is_absolute():
            found = shutil.which(configured)
            path = Path(found) if found else path
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise GateError(f"CHECKOV_BIN={configured!r} is not an executable file")
        return path
    path = REPO_ROOT / ".venv-checkov" / "bin" / "checkov"
    if not (path.is_file() and os.access(path, os.X_OK)):
        raise GateError(
            f"checkov not found at {path}: run `make setup` (it creates .venv-checkov from "
            "policies/requirements.txt), or point CHECKOV_BIN at a checkov binary"
        )
    return path


# ---------------------------------------------------------------------------
# baseline (a small YAML subset, parsed without PyYAML: this module is stdlib-only)
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Enforced:
    id: str
    what: str


@dataclass(frozen=True)
class Skip:
    id: str
    reason: str


@dataclass(frozen=True)
class Baseline:
    enforced: tuple[Enforced, ...]
    skips: tuple[Skip, ...]

    @property
    def skip_ids(self) -> list[str]:
        return [s.id for s in self.skips]

    @property
    def enforced_ids(self) -> list[str]:
        return [e.id for e in self.enforced]


CHECK_ID = re.compile(r"^CKV2?_[A-Z0-9]+_\d+$")


def _scalar(text: str, lineno: int) -> str:
    text = text.strip()
    if not text:
        return ""
    if text[0] in "\"'":
        quote = text[0]
        end = text.rfind(quote)
        if end == 0:
            raise GateError(f"baseline line {lineno}: unterminated string")
        body = text[1:end]
        rest = text[end + 1 :].strip()
        if rest and not rest.startswith("#"):
            raise GateError(f"baseline line {lineno}: text after a quoted string")
        if quote == "'":
            return body.replace("''", "'")
        return json.loads(f'"{body}"')
    return re.sub(r"\s+#.*$", "", text).strip()


def parse_baseline_yaml(text: str) -> dict[str, Any]:
    """Parse the baseline's YAML subset into plain dicts and lists.

    Supported: comments, ``key: scalar`` at the top level, top-level keys holding
    a list of mappings (``- id: X`` then more ``key: value`` lines indented
    under it), plain/quoted scalars and block scalars (``>``, ``>-``, ``|``,
    ``|-``).  Anything else is an error rather than a silent misreading.
    """
    lines = text.splitlines()
    result: dict[str, Any] = {}
    current_list: list[dict[str, str]] | None = None
    current_item: dict[str, str] | None = None
    item_indent = -1
    i = 0

    def block_scalar(start: int, style: str, parent_indent: int) -> tuple[str, int]:
        collected: list[str] = []
        j = start
        indent = None
        while j < len(lines):
            raw = lines[j]
            if raw.strip() == "":
                collected.append("")
                j += 1
                continue
            this_indent = len(raw) - len(raw.lstrip(" "))
            if this_indent <= parent_indent:
                break
            indent = this_indent if indent is None else indent
            collected.append(raw[indent:] if this_indent >= indent else raw.strip())
            j += 1
        while collected and collected[-1] == "":
            collected.pop()
        if style.startswith(">"):
            paragraphs: list[str] = []
            buf: list[str] = []
            for line in collected:
                if line == "":
                    paragraphs.append(" ".join(buf))
                    buf = []
                else:
                    buf.append(line.strip())
            paragraphs.append(" ".join(buf))
            value = "\n".join(p for p in paragraphs)
        else:
            value = "\n".join(collected)
        if not style.endswith("-"):
            value += "\n"
        return value, j

    while i < len(lines):
        raw = lines[i]
        lineno = i + 1
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            i += 1
            continue
        if "\t" in raw[: len(raw) - len(raw.lstrip())]:
            raise GateError(f"baseline line {lineno}: tabs are not allowed for indentation")
        indent = len(raw) - len(raw.lstrip(" "))
        if indent == 0:
            m = re.match(r"^([A-Za-z_][\w-]*):(.*)$", stripped)
            if not m:
                raise GateError(f"baseline line {lineno}: expected 'key:' at the top level")
            key, rest = m.group(1), m.group(2).strip()
            if key in result:
                raise GateError(f"baseline line {lineno}: duplicate key {key!r}")
            if rest and not rest.startswith("#"):
                result[key] = _scalar(rest, lineno)
                current_list = None
            else:
                current_list = []
                result[key] = current_list
            current_item = None
            i += 1
            continue
        if current_list is None:
            raise GateError(f"baseline line {lineno}: unexpected indentation")
        content = stripped
        if content.startswith("- ") or content == "-":
            current_item = {}
            current_list.append(current_item)
            item_indent = indent + 2
            content = content[1:].strip()
            if not content:
                i += 1
                continue
        elif current_item is None or indent < item_indent:
            raise GateError(f"baseline line {lineno}: expected '- ' to start a list item")
        m = re.match(r"^([A-Za-z_][\w-]*):(.*)$", content)
        if not m:
            raise GateError(f"baseline line {lineno}: expected 'key: value' in a list item")
        key, rest = m.group(1), m.group(2).strip()
        if key in current_item:
            raise GateError(f"baseline line {lineno}: duplicate key {key!r}")
        if rest in (">", ">-", "|", "|-"):
            value, i = block_scalar(i + 1, rest, indent)
            current_item[key] = value
            continue
        current_item[key] = _scalar(rest, lineno)
        i += 1
    return result


def parse_baseline(text: str) -> Baseline:
    data = parse_baseline_yaml(text)
    enforced: list[Enforced] = []
    skips: list[Skip] = []
    for item in data.get("enforced") or []:
        check_id = item.get("id", "")
        if not CHECK_ID.match(check_id):
            raise GateError(f"baseline: enforced entry with an invalid id {check_id!r}")
        enforced.append(Enforced(check_id, item.get("what", "").strip()))
    for item in data.get("skip") or []:
        check_id = item.get("id", "")
        reason = item.get("reason", "").strip()
        if not CHECK_ID.match(check_id):
            raise GateError(f"baseline: skip entry with an invalid id {check_id!r}")
        if check_id.startswith("CKV_FS_"):
            raise GateError(
                f"baseline: {check_id} is one of our own checks; fix it or the stack, do not skip it"
            )
        if len(reason) < 10:
            raise GateError(f"baseline: skip of {check_id} needs a reason")
        skips.append(Skip(check_id, reason))
    for kind, ids in (("skip", [s.id for s in skips]), ("enforced", [e.id for e in enforced])):
        dupes = sorted({x for x in ids if ids.count(x) > 1})
        if dupes:
            raise GateError(f"baseline: duplicate {kind} ids {dupes}")
    both = sorted(set(e.id for e in enforced) & set(s.id for s in skips))
    if both:
        raise GateError(f"baseline: {both} are both enforced and skipped")
    return Baseline(tuple(enforced), tuple(skips))


def load_baseline(path: Path | str = BASELINE_FILE) -> Baseline:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise GateError(f"cannot read the baseline {path}: {exc}") from exc
    return parse_baseline(text)


# ---------------------------------------------------------------------------
# running checkov
# ---------------------------------------------------------------------------


@dataclass
class ScanResult:
    """What one checkov run found (parsed from its JSON report)."""

    command: list[str]
    returncode: int
    duration: float
    out_dir: Path | None
    passed: list[dict[str, Any]] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    parsing_errors: list[str] = field(default_factory=list)
    load_errors: list[str] = field(default_factory=list)
    stderr: str = ""
    version: str = ""

    @property
    def empty(self) -> bool:
        return not (self.passed or self.failed or self.skipped)

    @property
    def ok(self) -> bool:
        """Every enforced check passed -- and something was checked at all."""
        return not (self.empty or self.failed or self.parsing_errors or self.load_errors)

    def results_for(self, check_id: str) -> dict[str, list[dict[str, Any]]]:
        return {
            "passed": [r for r in self.passed if r["check_id"] == check_id],
            "failed": [r for r in self.failed if r["check_id"] == check_id],
        }


def checkov_command(
    *,
    dirs: Sequence[Path | str] = (),
    files: Sequence[Path | str] = (),
    framework: str = "terraform",
    baseline: Baseline | None = None,
    outputs: Iterable[str] = OUTPUTS,
    out_dir: Path | str | None = None,
    binary: Path | None = None,
    extra: Sequence[str] = (),
) -> list[str]:
    cmd = [
        str(binary or checkov_bin()),
        "--skip-download",
        "--framework",
        framework,
        "--download-external-modules",
        "false",
        "--external-checks-dir",
        str(CHECKS_DIR),
        "--compact",
    ]
    if baseline is not None and baseline.skips:
        cmd += ["--skip-check", ",".join(baseline.skip_ids)]
    for d in dirs:
        cmd += ["-d", str(d)]
    for f in files:
        cmd += ["-f", str(f)]
    for o in outputs:
        cmd += ["-o", o]
    if out_dir is not None:
        cmd += ["--output-file-path", str(out_dir)]
    cmd += list(extra)
    return cmd


def _records(report: Any) -> tuple[list[dict], list[dict], list[dict], list[str], str]:
    reports = report if isinstance(report, list) else [report]
    passed: list[dict] = []
    failed: list[dict] = []
    skipped: list[dict] = []
    errors: list[str] = []
    version = ""
    for rep in reports:
        if not isinstance(rep, dict):
            continue
        version = version or str((rep.get("summary") or {}).get("checkov_version") or "")
        results = rep.get("results") or {}
        passed += results.get("passed_checks") or []
        failed += results.get("failed_checks") or []
        skipped += results.get("skipped_checks") or []
        errors += [str(e) for e in results.get("parsing_errors") or []]
    return passed, failed, skipped, errors, version


def run_checkov(
    *,
    dirs: Sequence[Path | str] = (),
    files: Sequence[Path | str] = (),
    framework: str = "terraform",
    baseline: Baseline | None = None,
    out_dir: Path | str,
    outputs: Iterable[str] = OUTPUTS,
    cwd: Path | str = REPO_ROOT,
    timeout: float = CHECKOV_TIMEOUT,
) -> ScanResult:
    """Run checkov once and parse its JSON report (``json`` is always among the outputs)."""
    out_dir = Path(cwd, out_dir) if not Path(out_dir).is_absolute() else Path(out_dir)
    outputs = list(dict.fromkeys([*outputs, "json"]))
    if out_dir.exists():
        for name in (
            "results_cli.txt",
            "results_junitxml.xml",
            "results_sarif.sarif",
            "results_json.json",
        ):
            (out_dir / name).unlink(missing_ok=True)
    out_dir.mkdir(parents=True, exist_ok=True)
    cmd = checkov_command(
        dirs=dirs,
        files=files,
        framework=framework,
        baseline=baseline,
        outputs=outputs,
        out_dir=out_dir,
    )
    env = dict(os.environ)
    env.setdefault("BC_SKIP_MAPPING", "TRUE")  # no mapping download from the vendor's API
    env["LOG_LEVEL"] = env.get("CHECKOV_LOG_LEVEL", "WARNING")
    start = time.monotonic()
    try:
        proc = subprocess.run(
            cmd, cwd=str(cwd), capture_output=True, text=True, timeout=timeout, env=env, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise GateError(f"checkov did not finish within {timeout:.0f}s: {' '.join(cmd)}") from exc
    duration = time.monotonic() - start
    report_path = out_dir / "results_json.json"
    if proc.returncode not in (0, 1) or not report_path.is_file():
        tail = "\n".join((proc.stderr or proc.stdout or "").splitlines()[-30:])
        raise GateError(f"checkov failed (exit {proc.returncode}): {' '.join(cmd)}\n{tail}")
    try:
        report = json.loads(report_path.read_text(encoding="utf-8") or "null")
    except ValueError as exc:
        raise GateError(f"checkov wrote an unreadable JSON report {report_path}: {exc}") from exc
    passed, failed, skipped, parsing_errors, version = _records(report)
    load_errors = sorted(
        {
            m.group(0).strip()
            for line in proc.stderr.splitlines()
            for p in LOAD_ERROR_PATTERNS
            if (m := p.search(line))
        }
    )
    return ScanResult(
        command=cmd,
        returncode=proc.returncode,
        duration=duration,
        out_dir=out_dir,
        passed=passed,
        failed=failed,
        skipped=skipped,
        parsing_errors=parsing_errors,
        load_errors=load_errors,
        stderr=proc.stderr,
        version=version,
    )


# ---------------------------------------------------------------------------
# the CLI
# ---------------------------------------------------------------------------


def _location(record: dict[str, Any]) -> str:
    path = record.get("repo_file_path") or record.get("file_path") or "?"
    lines = record.get("file_line_range") or []
    where = f"{str(path).lstrip('/')}:{lines[0]}" if lines else str(path).lstrip("/")
    caller = record.get("caller_file_path")
    return f"{where} (called from {caller.lstrip('/')})" if caller else where


def summarize(result: ScanResult, title: str) -> list[str]:
    """Human summary: counts, then each failure once with its details."""
    lines = [
        f"{title}: {len(result.passed)} passed, {len(result.failed)} failed, "
        f"{len(result.skipped)} skipped inline, {len(result.parsing_errors)} parsing errors "
        f"({result.duration:.1f}s)"
    ]
    seen: set[tuple[str, str, str]] = set()
    for rec in sorted(result.failed, key=lambda r: (r["check_id"], r.get("resource", ""))):
        key = (rec["check_id"], rec.get("resource", ""), _location(rec))
        if key in seen:
            continue
        seen.add(key)
        lines.append(
            f"  FAILED {rec['check_id']} {rec.get('resource', '?')} at {_location(rec)}: "
            f"{rec.get('check_name', '')}"
        )
        lines.extend(f"         - {detail}" for detail in rec.get("details") or [])
    for rec in result.skipped:
        reason = (rec.get("check_result") or {}).get("suppress_comment", "")
        lines.append(f"  skipped inline {rec['check_id']} {rec.get('resource', '?')}: {reason}")
    if result.empty:
        lines.append("  NOTHING WAS CHECKED: no Terraform resources found (wrong directory?)")
    lines.extend(f"  PARSING ERROR {err}" for err in result.parsing_errors)
    lines.extend(f"  CHECK NOT LOADED OR CRASHED: {err}" for err in result.load_errors)
    return lines


@dataclass
class Scan:
    title: str
    label: str  # sub-folder of the report directory
    kwargs: dict[str, Any]
    result: ScanResult | None = None


def _label(path: Path) -> str:
    text = str(path).strip("/").replace("/", "_").replace("\\", "_")
    return re.sub(r"[^A-Za-z0-9_.-]", "_", text) or "root"


def plan_scans(dirs: Sequence[Path], plans: Sequence[Path], out: Path) -> list[Scan]:
    """One checkov run per directory and per plan.

    Each directory is its own scan root on purpose: given ``-d modules -d
    environments`` in one run, checkov 3.3 attributes the environments' module
    calls to the standalone module scan, so the environments' inputs (dev's
    ``deletion_protection = false``...) are never evaluated.
    """
    scans: list[Scan] = []
    labels: set[str] = set()
    for kind, items in (("static", dirs), ("plan", plans)):
        for item in items:
            label = _label(item) if kind == "static" else "plan_" + _label(Path(item.name))
            while label in labels:
                label += "_"
            labels.add(label)
            if kind == "static":
                kwargs: dict[str, Any] = {"dirs": [item], "out_dir": out / label}
                title = f"static scan of {item}"
            else:
                kwargs = {"files": [item], "framework": "terraform_plan", "out_dir": out / label}
                title = f"plan scan of {item}"
            scans.append(Scan(title, label, kwargs))
    return scans


def run_scans(scans: list[Scan], baseline: Baseline, workers: int = 2) -> list[Scan]:
    """Run the scans side by side (independent subprocesses); GateError if one cannot run."""
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(scans)))) as pool:
        futures = [pool.submit(run_checkov, baseline=baseline, **scan.kwargs) for scan in scans]
        for scan, future in zip(scans, futures, strict=True):
            scan.result = future.result()
    return scans


def merge_reports(scans: Sequence[Scan], out: Path) -> list[Path]:
    """Combine the per-scan reports into ``out/results_*`` (one file per format)."""
    done = [s for s in scans if s.result is not None and s.result.out_dir is not None]
    written: list[Path] = []
    # console text
    parts = []
    for scan in done:
        cli = scan.result.out_dir / "results_cli.txt"
        if cli.is_file():
            parts.append(
                f"== {scan.title} ==\n{cli.read_text(encoding='utf-8', errors='replace').rstrip()}\n"
            )
    (out / "results_cli.txt").write_text("\n".join(parts), encoding="utf-8")
    written.append(out / "results_cli.txt")
    # JSON: a list of checkov reports
    reports: list[Any] = []
    for scan in done:
        path = scan.result.out_dir / "results_json.json"
        if path.is_file():
            data = json.loads(path.read_text(encoding="utf-8") or "null")
            reports.extend(data if isinstance(data, list) else [data] if data else [])
    (out / "results_json.json").write_text(json.dumps(reports, indent=1), encoding="utf-8")
    written.append(out / "results_json.json")
    # SARIF: one run per scan
    runs: list[Any] = []
    schema, version = "https://json.schemastore.org/sarif-2.1.0.json", "2.1.0"
    for scan in done:
        path = scan.result.out_dir / "results_sarif.sarif"
        if path.is_file():
            data = json.loads(path.read_text(encoding="utf-8"))
            schema, version = data.get("$schema", schema), data.get("version", version)
            runs.extend(data.get("runs", []))
    sarif = {"$schema": schema, "version": version, "runs": runs}
    (out / "results_sarif.sarif").write_text(json.dumps(sarif, indent=1), encoding="utf-8")
    written.append(out / "results_sarif.sarif")
    # JUnit XML: all test suites under one <testsuites>
    merged = ET.Element("testsuites", name="checkov security gate")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for scan in done:
        path = scan.result.out_dir / "results_junitxml.xml"
        if not path.is_file():
            continue
        root = ET.parse(path).getroot()
        suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
        for suite in suites:
            suite.set("name", f"{suite.get('name', 'checkov')} ({scan.label})")
            for key in totals:
                with contextlib.suppress(ValueError):
                    totals[key] += int(suite.get(key, "0") or 0)
            merged.append(suite)
    for key, value in totals.items():
        merged.set(key, str(value))
    ET.ElementTree(merged).write(
        out / "results_junitxml.xml", encoding="utf-8", xml_declaration=True
    )
    written.append(out / "results_junitxml.xml")
    return written


def combined(scans: Sequence[Scan]) -> ScanResult:
    """All scans' findings as one result (for callers that want a single verdict)."""
    total = ScanResult(command=[], returncode=0, duration=0.0, out_dir=None)
    for scan in scans:
        r = scan.result
        if r is None:
            continue
        total.returncode = max(total.returncode, r.returncode)
        total.duration = max(total.duration, r.duration)
        total.passed += r.passed
        total.failed += r.failed
        total.skipped += r.skipped
        total.parsing_errors += r.parsing_errors
        total.load_errors += r.load_errors
        total.version = total.version or r.version
    return total


def run_gate(
    dirs: Sequence[Path | str] = DEFAULT_DIRS,
    plans: Sequence[Path | str] = (),
    *,
    out: Path | str = DEFAULT_OUT,
    baseline: Baseline | None = None,
) -> list[Scan]:
    """What ``python -m harness.gate`` runs, without the printing."""
    baseline = baseline or load_baseline()
    out = Path(out)
    out = out if out.is_absolute() else REPO_ROOT / out
    scans = plan_scans(
        [_repo_relative(Path(d)) for d in dirs], [Path(p).resolve() for p in plans], out
    )
    run_scans(scans, baseline)
    out.mkdir(parents=True, exist_ok=True)
    merge_reports(scans, out)
    return scans


def _repo_relative(path: Path) -> Path:
    """Paths inside the repository relative to it (checkov runs there; nicer reports)."""
    resolved = (REPO_ROOT / path).resolve() if not path.is_absolute() else path.resolve()
    try:
        return resolved.relative_to(REPO_ROOT)
    except ValueError:
        return resolved


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m harness.gate", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--dirs",
        nargs="+",
        default=list(DEFAULT_DIRS),
        help="directories to scan (default: modules environments)",
    )
    parser.add_argument(
        "--plan",
        action="append",
        default=[],
        metavar="PLAN_JSON",
        help="also scan a plan in JSON form (tofu show -json)",
    )
    parser.add_argument(
        "--out", default=DEFAULT_OUT, help="report directory (default: reports/gate)"
    )
    parser.add_argument(
        "--baseline",
        default=str(BASELINE_FILE),
        help="baseline file (default: policies/baseline.yaml)",
    )
    parser.add_argument(
        "--quiet", action="store_true", help="print the summary only, not checkov's console report"
    )
    args = parser.parse_args(argv)

    try:
        binary = checkov_bin()
        baseline = load_baseline(args.baseline)
        missing = [d for d in args.dirs if not Path(d).is_dir()]
        missing += [p for p in args.plan if not Path(p).is_file()]
        if missing:
            raise GateError(f"not found: {', '.join(missing)}")
        print(f"gate: checkov {binary}")
        print(
            f"gate: custom checks from {CHECKS_DIR.relative_to(REPO_ROOT)}; baseline {args.baseline}"
        )
        print(f"gate: {len(baseline.skips)} built-in checks skipped by the baseline:")
        for skip in baseline.skips:
            print(f"  - {skip.id}: {' '.join(skip.reason.split())}")
        print("gate: every other check is enforced (hard fail)", flush=True)
        out = Path(args.out).resolve()
        scans = run_gate(
            [Path(d).resolve() for d in args.dirs], args.plan, out=out, baseline=baseline
        )
    except GateError as exc:
        print(f"gate: ERROR: {exc}", file=sys.stderr)
        return 2

    ok = True
    for scan in scans:
        result = scan.result
        assert result is not None
        if not args.quiet and result.out_dir is not None:
            cli = result.out_dir / "results_cli.txt"
            if cli.is_file():
                print(cli.read_text(encoding="utf-8", errors="replace").rstrip())
        print("\n".join(summarize(result, f"gate: {scan.title} (checkov {result.version})")))
        ok = ok and result.ok
    print(
        f"gate: reports in {out}: results_cli.txt, results_junitxml.xml, results_sarif.sarif, results_json.json"
    )
    print("gate: PASSED" if ok else "gate: FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
