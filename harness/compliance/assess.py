"""One verdict per control per layer, from checkov's reports, the catalogue and the register.

Verdicts, worst first: FAIL (a check failed), NOT_EVALUATED (a resource the control's
check supports got no verdict: checkov drops an UNKNOWN, so a value the check could not
resolve shows up here; or a probe that did not run), EXCEPTION (a registered skip or
unresolved value), PASS, NOT_APPLICABLE (nothing of the control's kind in this layer,
or the layer did not run).  ``problems`` is what fails the gate: FAIL and NOT_EVALUATED
in the static and plan layers, unregistered, expired or stale exceptions, and checks
that produced verdicts but that no control owns.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.compliance.catalogue import REPO_ROOT, VERDICTS, Catalogue, Control, Exception_
from harness.compliance.prowler import Report, verdicts

GRAPH_CLASS = "checkov.common.graph.checks_infra.base_check"
MODULE_PREFIX = re.compile(r"^(?:module\.[^.]+(?:\[[^\]]*\])?\.)*")


@dataclass
class ScanResult:
    """One checkov run as the gate made it (harness.gate.Scan, or reports/gate/scans.json)."""

    title: str
    kind: str  # static | plan
    root: str  # the scanned root, or the root a plan was made from ("" if unknown)
    reports: list[dict[str, Any]]
    config_skips: dict[str, list[str]]  # config file (repo-relative) -> the check ids it skips
    plan: str = ""
    report_dir: str = ""


@dataclass
class Finding:
    check: str
    resource: str
    where: str
    verdict: str
    scan: str
    note: str = ""


@dataclass
class LayerVerdict:
    verdict: str
    findings: list[Finding] = field(default_factory=list)
    note: str = ""


def resource_type(address: str) -> str:
    return MODULE_PREFIX.sub("", address).split(".", 1)[0].split("[", 1)[0]


def _rel(path: str) -> str:
    try:
        return str(Path(path).resolve().relative_to(REPO_ROOT))
    except (ValueError, OSError):
        return path.lstrip("/")


def _where(rec: dict[str, Any]) -> str:
    path = _rel(rec.get("file_abs_path") or rec.get("repo_file_path") or rec.get("file_path", ""))
    lines = rec.get("file_line_range") or []
    return f"{path}:{lines[0]}" if lines else path


def _source(rec: dict[str, Any], scan: ScanResult) -> str:
    """The file a record's resource is written in: in a plan scan (with the plan's root
    for enrichment) ``file_path`` is the HCL file, relative to that root."""
    path = str(rec.get("file_path") or "")
    if scan.kind == "plan" and scan.root and path and not path.endswith(".json"):
        return _rel(str(REPO_ROOT / scan.root / path.lstrip("/")))
    return _rel(rec.get("file_abs_path") or path)


def _records(scan: ScanResult) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for rep in scan.reports:
        results = rep.get("results") or {}
        for kind, verdict in (
            ("passed_checks", "PASS"),
            ("failed_checks", "FAIL"),
            ("skipped_checks", "SKIP"),
        ):
            out += [(verdict, rec) for rec in results.get(kind) or []]
    return out


def _worst(verdicts: list[str]) -> str:
    return min(verdicts, key=VERDICTS.index) if verdicts else "NOT_APPLICABLE"


@dataclass
class Assessment:
    controls: dict[str, dict[str, LayerVerdict]]
    problems: list[str]
    unmapped: list[str]
    exceptions_used: set[str]


class Assessor:
    def __init__(
        self, cat: Catalogue, types: dict[str, list[str]] | None, today: dt.date | None = None
    ):
        self.cat, self.types, self.today = cat, types, today or dt.date.today()
        self.problems: list[str] = []
        self.used: set[str] = set()

    # ------------------------------------------------------------ the register
    def _skip_entry(self, check: str, where: str) -> Exception_ | None:
        for exc in self.cat.exceptions:
            if exc.kind == "skip" and exc.check == check and exc.where == where:
                self.used.add(exc.id)
                if exc.expired(self.today):
                    self.problems.append(f"EXPIRED EXCEPTION {exc.describe()}")
                return exc
        self.problems.append(
            f"UNREGISTERED SKIP: {check} skipped in {where} has no entry in controls/exceptions.yaml"
        )
        return None

    def register(self, scans: list[ScanResult]) -> None:
        configs = {cfg: ids for s in scans for cfg, ids in s.config_skips.items()}
        for cfg, ids in sorted(configs.items()):
            for check in ids:
                self._skip_entry(check, cfg)
        inline = {
            (rec["check_id"], _source(rec, s))
            for s in scans
            for verdict, rec in _records(s)
            if verdict == "SKIP"
        }
        for check, where in sorted(inline):
            self._skip_entry(check, where)
        scanned = [REPO_ROOT / s.root for s in scans if s.kind == "static" and s.root]
        for exc in self.cat.exceptions:
            if exc.kind == "framework":
                self.used.add(exc.id)
                if exc.expired(self.today):
                    self.problems.append(f"EXPIRED EXCEPTION {exc.describe()}")
            stale = exc.kind == "skip" and exc.id not in self.used
            if exc.where.endswith(".checkov.yaml"):
                stale = stale and exc.where in configs
            else:
                stale = stale and any((REPO_ROOT / exc.where).is_relative_to(r) for r in scanned)
            if stale:
                self.problems.append(f"STALE EXCEPTION {exc.describe()}: nothing is skipped there")

    def _unresolved(self, check: str, address: str) -> Exception_ | None:
        for exc in self.cat.exceptions:
            if (
                exc.kind == "unresolved"
                and exc.check == check
                and fnmatch.fnmatchcase(address, f"*{exc.resource}")
            ):
                self.used.add(exc.id)
                if exc.expired(self.today):
                    self.problems.append(f"EXPIRED EXCEPTION {exc.describe()}")
                return exc
        return None

    # ------------------------------------------------------------ checkov layers
    def _types(self, check: str, observed: dict[str, set[str]]) -> set[str]:
        if self.types is not None and check in self.types:
            return set(self.types[check])
        return observed.get(check, set())

    def layer(
        self, control: Control, layer: str, scans: list[ScanResult], observed
    ) -> LayerVerdict:
        mine = [s for s in scans if s.kind == layer]
        if not mine:
            return LayerVerdict("NOT_APPLICABLE", note=f"no {layer} scan in this run")
        checks = control.plan if layer == "plan" else control.static
        findings: list[Finding] = []
        for scan in mine:
            records = [(v, r) for v, r in _records(scan) if control.owns(r["check_id"], layer)]
            for verdict, rec in records:
                verdict = "EXCEPTION" if verdict == "SKIP" else verdict
                note = (
                    (rec.get("check_result") or {}).get("suppress_comment", "")
                    if verdict == "EXCEPTION"
                    else ""
                )
                details = rec.get("details") or []
                note = note or "; ".join(str(d) for d in details[:3])
                findings.append(
                    Finding(
                        rec["check_id"],
                        rec.get("resource", ""),
                        _where(rec),
                        verdict,
                        scan.title,
                        note,
                    )
                )
            skipped = {c: cfg for cfg, ids in scan.config_skips.items() for c in ids}
            for check in checks:
                if check in skipped:
                    findings.append(
                        Finding(
                            check, "*", skipped[check], "EXCEPTION", scan.title, "skipped by config"
                        )
                    )
            secrets = any(fnmatch.fnmatchcase("CKV_SECRET_1", c) for c in checks)
            found = any(r["check_id"].startswith("CKV_SECRET_") for _, r in records)
            if secrets and layer == "static" and not found:
                note = "the secrets framework found nothing"
                findings.append(
                    Finding("CKV_SECRET_*", "every file", scan.root, "PASS", scan.title, note)
                )
            if layer == "static" and scan.root in self.cat.informative_roots:
                continue
            findings += self._missing(scan, records, checks, skipped, observed)
        verdict = _worst([f.verdict for f in findings])
        return LayerVerdict(
            verdict, findings, "" if findings else "no resource of its kind in this layer"
        )

    def _missing(self, scan, records, checks, skipped, observed) -> list[Finding]:
        inventory = {
            rec.get("resource", ""): resource_type(rec.get("resource", ""))
            for _, rec in _records(scan)
            if rec.get("check_class") != GRAPH_CLASS
            and not rec["check_id"].startswith("CKV_SECRET_")
        }
        judged = {(r["check_id"], r.get("resource", "")) for _, r in records}
        found = []
        for check in checks:
            if "*" in check or check in skipped:
                continue
            types = self._types(check, observed)
            for address, rtype in sorted(inventory.items()):
                if rtype not in types or (check, address) in judged:
                    continue
                exc = self._unresolved(check, address)
                verdict = "EXCEPTION" if exc else "NOT_EVALUATED"
                note = (
                    f"registered: {exc.id}"
                    if exc
                    else "no verdict: a value the check could not resolve"
                )
                found.append(Finding(check, address, scan.root, verdict, scan.title, note))
        return found


def _probes(control: Control, junit: dict[str, str]) -> list[Finding]:
    findings = []
    modules_run = {node.split("::", 1)[0] for node in junit}
    for probe in control.runtime:
        outcome = junit.get(probe)
        verdict = {"passed": "PASS", "failed": "FAIL", "error": "FAIL"}.get(
            outcome or "", "NOT_EVALUATED"
        )
        note = outcome or "not run"
        if outcome is None and probe.split("::", 1)[0] not in modules_run:
            # its module was not part of the run (e.g. the emulator-only tests on AWS)
            verdict, note = "NOT_APPLICABLE", "its test module was not part of this run"
        findings.append(Finding(probe, probe, probe, verdict, "integration", note))
    return findings


def prowler_findings(control: Control, reports: list[Report]) -> list[Finding]:
    """The control's Prowler checks on the stack's resources; a check that judged none of
    them is NOT_EVALUATED (the scan ran, and this check proved nothing about the stack)."""
    findings = []
    scans = ", ".join(sorted({f"prowler {r.version} ({r.target})" for r in reports}))
    for check in control.prowler:
        found = verdicts(reports, check)
        findings += [
            Finding(check, f.resource, f.region, verdict, scans, f.detail) for verdict, f in found
        ]
        if not found:
            note = "Prowler judged none of the stack's resources"
            findings.append(Finding(check, "the stack", "", "NOT_EVALUATED", scans, note))
    return findings


def runtime_layer(
    control: Control, junit: dict[str, str] | None, reports: list[Report] | None = None
) -> LayerVerdict:
    """The integration tests that probe the deployed resource (JUnit) and Prowler's checks
    of it (``reports/prowler-*.json``); a source that did not run is left out, with a note."""
    if not control.runtime and not control.prowler:
        return LayerVerdict("NOT_APPLICABLE", note="no runtime probe")
    findings: list[Finding] = []
    notes = []
    if control.runtime and junit is None:
        notes.append("no integration run reported (JUnit) in this evidence")
    elif control.runtime:
        findings += _probes(control, junit)
    if control.prowler and not reports:
        notes.append("no Prowler scan (reports/prowler-*.json) in this evidence")
    elif control.prowler:
        findings += prowler_findings(control, reports)
    if not findings:
        return LayerVerdict("NOT_APPLICABLE", note="; ".join(notes))
    return LayerVerdict(_worst([f.verdict for f in findings]), findings, "; ".join(notes))


def assess(
    cat: Catalogue,
    scans: list[ScanResult],
    types: dict[str, list[str]] | None = None,
    junit: dict[str, str] | None = None,
    today: dt.date | None = None,
    reports: list[Report] | None = None,
) -> Assessment:
    assessor = Assessor(cat, types, today)
    assessor.register(scans)
    observed: dict[str, set[str]] = defaultdict(set)
    for scan in scans:
        for _, rec in _records(scan):
            observed[rec["check_id"]].add(resource_type(rec.get("resource", "")))
    controls: dict[str, dict[str, LayerVerdict]] = {}
    for control in cat.controls:
        controls[control.id] = {
            "static": assessor.layer(control, "static", scans, observed),
            "plan": assessor.layer(control, "plan", scans, observed),
            "runtime": runtime_layer(control, junit, reports),
        }
        for layer in ("static", "plan", "runtime"):
            for f in controls[control.id][layer].findings:
                if f.verdict == "FAIL":
                    assessor.problems.append(
                        f"{control.id} {layer}: FAILED {f.check} {f.resource} at {f.where}"
                    )
                elif f.verdict == "NOT_EVALUATED" and layer == "runtime":
                    assessor.problems.append(
                        f"{control.id} runtime: NOT_EVALUATED {f.check}: {f.note}"
                        + (" in the JUnit" if f.scan == "integration" else f" ({f.scan})")
                    )
                elif f.verdict == "NOT_EVALUATED":
                    assessor.problems.append(
                        f"{control.id} {layer}: NOT_EVALUATED {f.check} on {f.resource} in {f.where or f.scan}"
                        " (a value the check could not resolve; register it as kind: unresolved if only a plan can know)"
                    )
    unmapped = sorted({c for c in observed if not cat.owners(c) and not cat.owners(c, "plan")})
    assessor.problems += [
        f"UNMAPPED CHECK {c}: no control in controls/catalogue.yaml owns it" for c in unmapped
    ]
    return Assessment(controls, list(dict.fromkeys(assessor.problems)), unmapped, assessor.used)
