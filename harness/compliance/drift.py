"""Drift of a deployed environment, reported against the controls it touches (make drift).

``plan -refresh-only -detailed-exitcode -out`` then ``show -json``, through the stack's
one way to run the CLI (:class:`harness.stack.stack.Stack`). A refresh-only plan lists
what changed outside the CLI in ``resource_drift`` (not ``resource_changes``): per
resource, the attributes (nested ones too: ``versioning_configuration[0].status``) that
differ between the last state and the real resources. Each is mapped to the controls
whose selectors in controls/drift.yaml (the catalogue's drift mapping) match it.

Exit status, as ``-detailed-exitcode``: 0 no drift; 2 drift (touching controls, or
unmapped: an attribute no control names still departs from the configuration an auditor
was shown, so it fails too and is reported as such); 1 the plan itself failed.
What is not a departure, and so not drift: the attributes the service changes by itself
(``ignore`` in controls/drift.yaml, with reasons), on the emulator what it cannot round-trip
(:data:`harness.stack.drift.EMULATOR_DRIFT`), and the rules a security group shows that
are managed as rule resources of their own (the group's state, written when it was
created, lacks them until a refresh).
"""

from __future__ import annotations

import fnmatch
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import harness.compliance.drift_mirrors as mirrors
from harness.compliance.catalogue import DRIFT_SELECTOR, REPO_ROOT, Catalogue
from harness.stack.drift import EMULATOR_DRIFT

REPORT_DIR = REPO_ROOT / "reports" / "drift"
SENSITIVE = "(sensitive)"
EMPTY = (None, "", [], {})


@dataclass(frozen=True)
class Selector:
    type: str
    name: str  # a glob over the resource's name ("*": any)
    attr: tuple[str, ...]  # () : any attribute

    @classmethod
    def parse(cls, text: str) -> Selector:
        m = DRIFT_SELECTOR.match(text)
        if not m:
            raise ValueError(f"not a drift selector: {text!r}")
        attr = () if m["attr"] == "*" else tuple(m["attr"].split("."))
        return cls(m["type"], m["name"] or "*", attr)

    def matches(self, rtype: str, name: str, path: tuple[str, ...]) -> bool:
        """``path`` without list indices; ``("*",)``: the whole resource (deleted)."""
        if rtype != self.type or not fnmatch.fnmatchcase(name, self.name):
            return False
        return path == ("*",) or path[: len(self.attr)] == self.attr


@dataclass
class Drifted:
    address: str
    type: str
    name: str
    action: str  # update | delete
    attribute: str  # as shown: versioning_configuration[0].status; "*" for a deleted resource
    before: Any
    after: Any
    controls: list[str] = field(default_factory=list)


@dataclass
class DriftReport:
    target: str
    environment: str
    plan_exitcode: int
    drifted: list[Drifted]
    explained: list[dict]  # what was set aside, with the reason

    @property
    def controls(self) -> list[str]:
        return sorted({c for d in self.drifted for c in d.controls})

    @property
    def unmapped(self) -> list[Drifted]:
        return [d for d in self.drifted if not d.controls]

    @property
    def exitcode(self) -> int:
        return 2 if self.drifted else 0

    def to_json(self) -> dict:
        return {
            "target": self.target,
            "environment": self.environment,
            "plan_exitcode": self.plan_exitcode,
            "exitcode": self.exitcode,
            "controls": self.controls,
            "drifted": [asdict(d) for d in self.drifted],
            "unmapped": len(self.unmapped),
            "explained": self.explained,
        }


# ------------------------------------------------------------------------- the diff


def _sensitive(marker: Any, path: tuple) -> bool:
    """Whether the value at ``path`` is, or holds anything, marked sensitive."""
    for key in path:
        if marker is True:
            return True
        if isinstance(marker, dict):
            marker = marker.get(key)
        elif isinstance(marker, list) and isinstance(key, int) and key < len(marker):
            marker = marker[key]
        else:
            return False
    return _holds_true(marker)


def _holds_true(marker: Any) -> bool:
    if isinstance(marker, dict):
        return any(_holds_true(v) for v in marker.values())
    if isinstance(marker, list):
        return any(_holds_true(v) for v in marker)
    return marker is True


def diff(before: Any, after: Any, path: tuple = ()) -> list[tuple[tuple, Any, Any]]:
    """``[(path, before, after)]``: nested blocks by key and a one-element list by index;
    any other list as a set (what it lost, what it gained), as the provider's sets are."""
    if before == after or (before in EMPTY and after in EMPTY):
        return []  # null, "", [] and {} all say: nothing
    if isinstance(before, dict) and isinstance(after, dict):
        return [
            c
            for k in sorted(set(before) | set(after))
            for c in diff(before.get(k), after.get(k), (*path, k))
        ]
    if isinstance(before, list) and isinstance(after, list):
        if len(before) == len(after) == 1:
            return diff(before[0], after[0], (*path, 0))
        lost = [e for e in before if e not in after]
        gained = [e for e in after if e not in before]
        return [(path, lost, gained)] if lost or gained else []
    return [(path, before, after)]


def _shown(path: tuple) -> str:
    return "".join(f"[{k}]" if isinstance(k, int) else f".{k}" for k in path).lstrip(".")


def _changes(rd: dict, kids: dict) -> list[tuple[tuple, Any, Any, str | None]]:
    """``[(path, before, after, why it is no drift or None)]`` of one drifted resource."""
    change, rtype = rd["change"], rd["type"]
    before, after = change.get("before") or {}, change.get("after") or {}
    found = []
    for path, old, new in diff(before, after):
        if (rtype, path[0]) in mirrors.SET_MIRRORS:
            continue  # element by element, below
        old = SENSITIVE if _sensitive(change.get("before_sensitive"), path) else old
        new = SENSITIVE if _sensitive(change.get("after_sensitive"), path) else new
        found.append((path, old, new, mirrors.managed_whole(rtype, path[0], after, kids)))
    for attr in sorted({a for t, a in mirrors.SET_MIRRORS if t == rtype}):
        lost_gained = mirrors.unmanaged_elements(rtype, attr, before, after, kids)
        if lost_gained and (lost_gained[0] or lost_gained[1]):
            found.append(((attr,), *lost_gained, None))
    return found


# ------------------------------------------------------------------------ the mapping


def analyse(
    plan: dict, cat: Catalogue, target: str, environment: str = "", exitcode: int = 2
) -> DriftReport:
    """The drift of a refresh-only plan (``show -json``), each attribute with its controls."""
    selectors = [(Selector.parse(s), c.id) for c in cat.controls for s in c.drift]
    ignored = [(Selector.parse(s), reason) for s, reason in cat.drift_ignore.items()]
    kids = mirrors.children(plan)
    drifted, explained = [], []
    for rd in plan.get("resource_drift", []):
        actions = rd["change"]["actions"]
        if actions in (["no-op"], ["read"]):
            continue
        action = "delete" if "delete" in actions and not rd["change"].get("after") else "update"
        rtype, name = rd["type"], rd.get("name", "")
        changes = _changes(rd, kids) if action == "update" else [(("*",), "exists", None, None)]
        for path, before, after, why in changes:
            bare = tuple(k for k in path if not isinstance(k, int))
            shown = _shown(path) or "*"
            why = why or next(
                (r for s, r in ignored if s.matches(rtype, name, bare) and bare != ("*",)), None
            )
            if why is None and target == "emulator" and (rtype, bare[0]) in EMULATOR_DRIFT:
                why = f"emulator: {EMULATOR_DRIFT[(rtype, bare[0])]}"
            if why is not None:
                explained.append({"address": rd["address"], "attribute": shown, "reason": why})
                continue
            controls = sorted({cid for s, cid in selectors if s.matches(rtype, name, bare)})
            drifted.append(
                Drifted(rd["address"], rtype, name, action, shown, before, after, controls)
            )
    return DriftReport(target, environment, exitcode, drifted, explained)


def _value(value: Any) -> str:
    text = json.dumps(value, sort_keys=True) if not isinstance(value, str) else value
    return text if len(text) <= 160 else text[:157] + "..."


def render(report: DriftReport) -> str:
    where = f"{report.target} {report.environment}".strip()
    if not report.drifted:
        lines = [f"drift: none ({where})"]
    else:
        lines = [f"drift: {len(report.drifted)} attribute(s) changed outside the CLI ({where})"]
        for d in sorted(report.drifted, key=lambda d: (not d.controls, d.address, d.attribute)):
            lines += [
                f"  {d.address}",
                f"    {d.attribute} ({d.action}): {_value(d.before)} -> {_value(d.after)}",
                f"    controls: {', '.join(d.controls) if d.controls else 'UNMAPPED DRIFT (no control names this attribute)'}",
            ]
        lines.append(f"controls touched: {', '.join(report.controls) or 'none'}")
        if report.unmapped:
            lines.append(f"unmapped drift: {len(report.unmapped)} attribute(s)")
    if report.explained:
        lines.append(f"set aside (not drift): {len(report.explained)}, see drift.json")
    return "\n".join(lines)


def write(report: DriftReport, out: Path = REPORT_DIR) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    path = out / "drift.json"
    path.write_text(json.dumps(report.to_json(), indent=1, default=str) + "\n", encoding="utf-8")
    return path


# -------------------------------------------------------------------------- the check


class DriftError(RuntimeError):
    """The refresh-only plan failed: no verdict (exit 1)."""


def refresh_only_plan(stack) -> tuple[int, dict]:
    """``plan -refresh-only -detailed-exitcode -out`` then ``show -json`` in the stack's
    working copy (initialised: by its apply, or by the caller); (the plan's exit code, the
    plan). StackError/StageTimeout from the CLI become DriftError."""
    from harness.proc import StageTimeout
    from harness.stack.stack import StackError

    planfile = stack.workdir / "drift.tfplan"
    try:
        with stack.timer.stage("drift", stack.run_id):
            # -lock=false: the plan writes no state, so a read-only role can run it (drift.yml)
            proc = stack.tf(
                "plan", "-refresh-only", "-input=false", "-lock=false", "-detailed-exitcode",
                f"-out={planfile}",
            )  # fmt: skip
            plan = json.loads(stack.tf("show", "-json", str(planfile)).stdout)
    except (StackError, StageTimeout) as exc:
        raise DriftError(f"the refresh-only plan failed: {exc}") from exc
    finally:
        planfile.unlink(missing_ok=True)  # it holds the refreshed values, secrets included
    return proc.returncode, plan


def check(stack, cat: Catalogue | None = None, out: Path = REPORT_DIR) -> DriftReport:
    """The drift check of ``make drift`` on a deployed stack: plan, map, print, write."""
    from harness.compliance import catalogue as catalogue_mod

    cat = cat or catalogue_mod.load()
    code, plan = refresh_only_plan(stack)
    report = analyse(plan, cat, stack.target.name, stack.environment, code)
    if code == 0 and report.drifted:  # cannot be: the CLI saw no drift where we see some
        raise DriftError(f"plan exit 0 but drift found: {report.to_json()}")
    print(render(report))
    print(f"drift report: {write(report, out)}")
    return report
