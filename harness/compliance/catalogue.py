"""The control catalogue (controls/catalogue.yaml) and the exceptions register
(controls/exceptions.yaml), read and checked for shape.

Neither needs checkov: the gate's own venv reads them (stdlib and PyYAML only).
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = REPO_ROOT / "controls" / "catalogue.yaml"
REGISTER = REPO_ROOT / "controls" / "exceptions.yaml"
DRIFT = REPO_ROOT / "controls" / "drift.yaml"

LAYERS = ("static", "plan", "runtime")
VERDICTS = ("FAIL", "NOT_EVALUATED", "EXCEPTION", "PASS", "NOT_APPLICABLE")
SEVERITIES = ("critical", "high", "medium", "low")
CONTROL_ID = re.compile(r"^FS-[A-Z0-9]+-\d{2}$")
CHECK = re.compile(r"^CKV2?_[A-Z0-9]+_(?:\d+|\*)$")
FSBP_ID = re.compile(r"^[A-Za-z0-9]+\.\d+$")
PROWLER_CHECK = re.compile(r"^(?:s3|rds|ec2|iam|vpc)_[a-z0-9_]+$")  # our services' checks
FSBP_STATUS = ("enforced", "excepted", "not_applicable")
EXCEPTION_KINDS = ("skip", "unresolved", "framework")
# a drift selector: resource type, optionally [name glob], then an attribute path or *
# (aws_s3_bucket_versioning.versioning_configuration.status, aws_security_group[db].ingress)
DRIFT_SELECTOR = re.compile(
    r"^(?P<type>[a-z][a-z0-9_]*)(?:\[(?P<name>[a-z0-9_*?]+)\])?"
    r"\.(?P<attr>\*|[a-z0-9_]+(?:\.[a-z0-9_]+)*)$"
)


class CatalogueError(ValueError):
    """The catalogue or the register is malformed (the gate cannot judge with it)."""


@dataclass(frozen=True)
class Control:
    id: str
    title: str
    requirement: str
    severity: str
    fsbp: tuple[str, ...]
    cis: tuple[str, ...]
    static: tuple[str, ...]
    plan: tuple[str, ...]
    runtime: tuple[str, ...]
    fixtures: tuple[str, ...]
    prowler: tuple[str, ...] = ()  # Prowler check ids judging the deployed resource
    # the deployed attributes whose drift touches the control, or why none does
    # (controls/drift.yaml; make drift, harness/compliance/drift.py)
    drift: tuple[str, ...] = ()
    drift_exempt: str = ""

    def owns(self, check_id: str, layer: str = "static") -> bool:
        checks = self.plan if layer == "plan" else self.static
        return any(fnmatch.fnmatchcase(check_id, pattern) for pattern in checks)


@dataclass(frozen=True)
class Exception_:
    id: str
    kind: str
    owner: str
    reason: str
    expires: dt.date
    check: str = ""
    where: str = ""
    resource: str = ""
    fsbp: tuple[str, ...] = ()

    def expired(self, today: dt.date | None = None) -> bool:
        return self.expires < (today or dt.date.today())

    def describe(self) -> str:
        what = {
            "skip": f"skip of {self.check} in {self.where}",
            "unresolved": f"{self.check} unresolved on {self.resource}",
            "framework": f"FSBP {', '.join(self.fsbp)}",
        }[self.kind]
        return f"{self.id} ({what}; owner {self.owner}, expires {self.expires})"


@dataclass(frozen=True)
class Catalogue:
    controls: tuple[Control, ...]
    fsbp_scope: dict[str, dict[str, str]]
    informative_roots: tuple[str, ...]
    exceptions: tuple[Exception_, ...] = field(default=())
    # selector -> why its drift is no departure (the cloud changes it by itself)
    drift_ignore: dict[str, str] = field(default_factory=dict)

    def owners(self, check_id: str, layer: str = "static") -> list[Control]:
        return [c for c in self.controls if c.owns(check_id, layer)]

    def exception(self, exception_id: str) -> Exception_ | None:
        return next((e for e in self.exceptions if e.id == exception_id), None)

    def frameworks(self) -> dict[str, set[str]]:
        return {
            "fsbp": {i for c in self.controls for i in c.fsbp},
            "cis_aws_v3": {i for c in self.controls for i in c.cis},
        }


def _yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise CatalogueError(f"cannot read {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise CatalogueError(f"{path}: expected a mapping")
    return data


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in (value or []))


def _control(raw: dict[str, Any]) -> Control:
    frameworks = raw.get("frameworks") or {}
    static = _strings(raw.get("static"))
    return Control(
        id=str(raw.get("id", "")),
        title=str(raw.get("title", "")),
        requirement=str(raw.get("requirement", "")),
        severity=str(raw.get("severity", "")),
        fsbp=_strings(frameworks.get("fsbp")),
        cis=_strings(frameworks.get("cis_aws_v3")),
        static=static,
        plan=_strings(raw["plan"]) if "plan" in raw else static,
        runtime=_strings(raw.get("runtime")),
        fixtures=_strings(raw.get("fixtures")),
        prowler=_strings(raw.get("prowler")),
    )


def _exception(raw: dict[str, Any], path: Path) -> Exception_:
    expires = raw.get("expires")
    if isinstance(expires, str):
        try:
            expires = dt.date.fromisoformat(expires)
        except ValueError:
            expires = None
    if not isinstance(expires, dt.date):
        raise CatalogueError(f"{path}: {raw.get('id')}: expires must be a date (YYYY-MM-DD)")
    return Exception_(
        id=str(raw.get("id", "")),
        kind=str(raw.get("kind", "")),
        owner=str(raw.get("owner", "")),
        reason=" ".join(str(raw.get("reason", "")).split()),
        expires=expires,
        check=str(raw.get("check", "")),
        where=str(raw.get("where", "")),
        resource=str(raw.get("resource", "")),
        fsbp=_strings(raw.get("fsbp")),
    )


def _sentence(value: Any) -> str:
    return " ".join(str(value or "").split())


def load(
    catalogue: Path | None = None, register: Path | None = None, drift: Path | None = None
) -> Catalogue:
    """The catalogue, the register and the drift mapping (default: controls/), with every
    rule of their shape checked; CatalogueError if one breaks."""
    data, reg = _yaml(catalogue or CATALOGUE), _yaml(register or REGISTER)
    mapping = _yaml(drift or DRIFT)
    selectors, exempt = mapping.get("controls") or {}, mapping.get("exempt") or {}
    controls = tuple(
        replace(c, drift=_strings(selectors.get(c.id)), drift_exempt=_sentence(exempt.get(c.id)))
        for c in map(_control, data.get("controls") or [])
    )
    exceptions = tuple(_exception(e, register or REGISTER) for e in reg.get("exceptions") or [])
    scope = {str(k): dict(v or {}) for k, v in (data.get("fsbp_scope") or {}).items()}
    informative = _strings(
        ((data.get("layers") or {}).get("static") or {}).get("informative_roots")
    )
    ignore = {str(k): _sentence(v) for k, v in (mapping.get("ignore") or {}).items()}
    result = Catalogue(controls, scope, informative, exceptions, ignore)
    problems = _shape_problems(result)
    problems += [
        f"controls/drift.yaml maps {i}, which is no control of the catalogue"
        for i in sorted(set(selectors) | set(exempt))
        if i not in {c.id for c in controls}
    ]
    if problems:
        raise CatalogueError("; ".join(problems))
    return result


def _shape_problems(cat: Catalogue) -> list[str]:
    problems: list[str] = []
    ids = [c.id for c in cat.controls]
    problems += [
        f"control id {i} appears twice" for i in sorted({i for i in ids if ids.count(i) > 1})
    ]
    for c in cat.controls:
        if not CONTROL_ID.match(c.id):
            problems.append(f"{c.id!r} is not a control id (FS-AREA-NN)")
        if not c.title or len(c.requirement.split()) < 3:
            problems.append(f"{c.id} needs a title and the requirement it comes from")
        if c.severity not in SEVERITIES:
            problems.append(f"{c.id}: severity {c.severity!r} not one of {SEVERITIES}")
        if not c.static and not c.runtime:
            problems.append(f"{c.id} has no owner at any layer")
        problems += [
            f"{c.id}: {k} is not a check id" for k in c.static + c.plan if not CHECK.match(k)
        ]
        problems += [
            f"{c.id}: {f} is not an FSBP control id" for f in c.fsbp if not FSBP_ID.match(f)
        ]
        problems += [
            f"{c.id}: runtime owner {r} is not a test node id" for r in c.runtime if "::" not in r
        ]
        problems += [
            f"{c.id}: {p} is not a Prowler check id of s3, rds, ec2, iam or vpc"
            for p in c.prowler
            if not PROWLER_CHECK.match(p)
        ]
        problems += [
            f"{c.id}: drift selector {d!r} is not type[name].attribute"
            for d in c.drift
            if not DRIFT_SELECTOR.match(d)
        ]
        if c.drift and c.drift_exempt:
            problems.append(f"{c.id}: drift selectors and an exempt reason exclude each other")
        if c.drift_exempt and len(c.drift_exempt.split()) < 4:
            problems.append(f"{c.id}: a drift exempt needs a reason in a sentence")
    prowler = [p for c in cat.controls for p in c.prowler]
    problems += [
        f"Prowler check {p} is mapped by two controls"
        for p in sorted(set(prowler))
        if prowler.count(p) > 1
    ]
    for selector, reason in cat.drift_ignore.items():
        if not DRIFT_SELECTOR.match(selector) or len(reason.split()) < 4:
            problems.append(f"drift ignore {selector!r}: a selector, with the reason")
    mapped = cat.frameworks()["fsbp"]
    for fsbp_id, entry in cat.fsbp_scope.items():
        status = entry.get("status")
        if status not in FSBP_STATUS:
            problems.append(f"fsbp_scope {fsbp_id}: status {status!r} not one of {FSBP_STATUS}")
        elif status == "enforced" and fsbp_id not in mapped:
            problems.append(f"fsbp_scope {fsbp_id} is enforced but no control maps it")
        elif status == "excepted":
            exc = cat.exception(str(entry.get("exception")))
            if exc is None or fsbp_id not in exc.fsbp:
                problems.append(
                    f"fsbp_scope {fsbp_id}: no register entry {entry.get('exception')} excepts it"
                )
        elif status == "not_applicable" and len(str(entry.get("reason", "")).split()) < 4:
            problems.append(f"fsbp_scope {fsbp_id} is not applicable without a reason")
    problems += [
        f"{c.id} maps {f}, which fsbp_scope does not list as enforced"
        for c in cat.controls
        for f in c.fsbp
        if (cat.fsbp_scope.get(f) or {}).get("status") != "enforced"
    ]
    ex_ids = [e.id for e in cat.exceptions]
    problems += [
        f"exception {i} appears twice" for i in sorted({i for i in ex_ids if ex_ids.count(i) > 1})
    ]
    for e in cat.exceptions:
        if e.kind not in EXCEPTION_KINDS:
            problems.append(f"exception {e.id}: kind {e.kind!r} not one of {EXCEPTION_KINDS}")
        if not e.owner or len(e.reason.split()) < 6:
            problems.append(f"exception {e.id} needs an owner and a reason in a sentence")
        if e.kind == "skip" and not (CHECK.match(e.check) and e.where):
            problems.append(f"exception {e.id}: a skip names its check and where it is written")
        if e.kind == "unresolved" and not (CHECK.match(e.check) and e.resource):
            problems.append(f"exception {e.id}: names the check and the resource it cannot resolve")
        if e.kind == "framework" and not e.fsbp:
            problems.append(f"exception {e.id}: a framework exception names its FSBP controls")
    return problems
