"""Prowler, the runtime scanner, over a deployed stack: its FSBP checks for S3, RDS, EC2,
IAM and VPC, its findings parsed and attributed to the stack's resources.

Prowler lives in its own venv (``.venv-prowler``, ``make setup`` from
``controls/prowler-requirements.txt``) and runs as ``prowler_guard.py`` under that venv's
Python: on the emulator every connection but the loopback is refused (see that file).

    run = scan(out_dir, endpoint=moto.url)            # the OCSF findings file
    found = read_findings(run.path)
    report = attribute(found, stack_ids, run)          # only the stack's resources
    write_report(REPO_ROOT / "reports" / "prowler-emulator.json", report)

Prowler judges the whole account (the emulator's default VPC, its bootstrap admin, the
account's password policy ...): a finding counts for a control only when its resource is
one of the stack's (its ARN, or the id that ends the ARN, is in the stack's state).
``make evidence`` reads ``reports/prowler-*.json`` into each control's runtime layer
(``prowler:`` in controls/catalogue.yaml names the check ids).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from harness.compliance.catalogue import REPO_ROOT
from harness.log import logger
from harness.proc import run_timed

VENV = REPO_ROOT / ".venv-prowler"
GUARD = Path(__file__).resolve().parent / "prowler_guard.py"
SERVICES = ("s3", "rds", "ec2", "iam", "vpc")
FRAMEWORK = "aws_foundational_security_best_practices_aws"
FSBP_KEY = "AWS-Foundational-Security-Best-Practices"  # in a finding's unmapped.compliance
REPORT_GLOB = "reports/prowler-*.json"
TIMEOUT = 900.0
# a finding's status_code as a verdict of the evidence (MANUAL: Prowler could not decide)
VERDICT = {"PASS": "PASS", "FAIL": "FAIL", "MUTED": "EXCEPTION", "MANUAL": "NOT_EVALUATED"}

log = logger("prowler")


class ProwlerError(RuntimeError):
    """Prowler is missing, failed, timed out, or reached for a non-loopback address."""


# ------------------------------------------------------------------ the installed Prowler


def package_dir(venv: Path = VENV) -> Path:
    found = sorted(Path(venv).glob("lib/python3*/site-packages/prowler"))
    if not found:
        raise ProwlerError(
            f"Prowler is not installed in {venv}: run `make setup` (it creates .venv-prowler "
            "from controls/prowler-requirements.txt)"
        )
    return found[-1]


def version(venv: Path = VENV) -> str:
    """From the package's metadata (``prowler --version`` would ask GitHub for the latest)."""
    for meta in package_dir(venv).parent.glob("prowler-*.dist-info/METADATA"):
        for line in meta.read_text(encoding="utf-8").splitlines():
            if line.startswith("Version: "):
                return line.split(": ", 1)[1].strip()
    return "unknown"


def known_checks(venv: Path = VENV) -> set[str]:
    """Every AWS check id of the installed Prowler (a check is a folder with its metadata)."""
    services = package_dir(venv) / "providers" / "aws" / "services"
    return {p.parent.name for p in services.glob("*/*/*.metadata.json")}


def fsbp_checks(venv: Path = VENV, services: tuple[str, ...] = SERVICES) -> dict[str, list[str]]:
    """``{check id: [FSBP ids]}``: Prowler's FSBP mapping, for the checks of ``services``."""
    path = package_dir(venv) / "compliance" / "aws" / f"{FRAMEWORK}.json"
    mapping: dict[str, list[str]] = {}
    for req in json.loads(path.read_text(encoding="utf-8"))["Requirements"]:
        for check in req.get("Checks") or []:
            if check.split("_", 1)[0] in services:
                mapping.setdefault(check, []).append(str(req["Id"]))
    return dict(sorted(mapping.items()))


def scan_checks(venv: Path = VENV) -> list[str]:
    """What a scan runs: Prowler's FSBP checks of our services, and every check the
    catalogue maps (some, such as s3_bucket_default_encryption, are in no FSBP control)."""
    from harness.compliance import catalogue

    mapped = {p for c in catalogue.load().controls for p in c.prowler}
    return sorted(set(fsbp_checks(venv)) | mapped)


# ------------------------------------------------------------------ running it


@dataclass
class ScanRun:
    path: Path  # the OCSF findings (a JSON list)
    command: list[str]
    seconds: float
    version: str
    target: str  # emulator | aws


def command(out_dir: Path, checks: list[str], region: str, venv: Path = VENV) -> list[str]:
    """``--compliance`` cannot be given with ``--service``/``--check`` (one argparse group):
    the checks are named instead (:func:`scan_checks`), and every finding carries its FSBP
    ids. ``--scan-unused-services``: judge a security group or VPC without a network
    interface too (the database's group has none on the emulator)."""
    return [
        str(Path(venv) / "bin" / "python"),
        str(GUARD),
        "aws",
        "--check",
        *checks,
        "--region",
        region,
        "--output-formats",
        "json-ocsf",
        "--output-directory",
        str(out_dir),
        "--output-filename",
        "prowler",
        "--scan-unused-services",
        "--no-banner",
        "--no-color",
        "--log-level",
        "ERROR",
    ]


def emulator_env(endpoint: str, credentials=None, region: str = "us-east-1") -> dict[str, str]:
    """Only what Prowler needs: the emulator's endpoint for every service, S3 Control's at
    ``localhost`` (its ``{account}.`` prefix then names the loopback), the keys, no proxy,
    no instance metadata, the guard on."""
    from harness.emulator.clients import EMULATOR_ROOT, cli_env, s3control_endpoint

    env = {k: os.environ[k] for k in ("PATH", "HOME", "LANG", "TZ") if k in os.environ}
    env.update({k: v for k, v in cli_env(credentials or EMULATOR_ROOT).items() if v})
    env.update(
        AWS_ENDPOINT_URL=endpoint,
        AWS_ENDPOINT_URL_S3_CONTROL=s3control_endpoint(endpoint),
        AWS_DEFAULT_REGION=region,
        AWS_REGION=region,
        PROWLER_GUARD="on",
    )
    return env


def scan(
    out_dir: Path,
    *,
    endpoint: str | None = None,
    credentials=None,
    region: str = "us-east-1",
    venv: Path = VENV,
    timeout: float = TIMEOUT,
) -> ScanRun:
    """Run Prowler once (the emulator at ``endpoint``, or AWS from the standard chain when
    None); the findings file. ProwlerError if it fails, times out or was refused a
    connection."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in out_dir.glob("prowler*.ocsf.json"):
        old.unlink()
    checks = scan_checks(venv)
    cmd = command(out_dir, checks, region, venv)
    if endpoint:
        env, target = emulator_env(endpoint, credentials, region), "emulator"
    else:
        env, target = {**os.environ, "PROWLER_GUARD": "off"}, "aws"
    log.info("prowler %s: %d checks of %s on %s", version(venv), len(checks), SERVICES, target)
    proc, seconds = run_timed(
        cmd, cwd=out_dir, env=env, timeout=timeout, what="prowler", error=ProwlerError
    )
    seconds = round(seconds, 1)
    (out_dir / "prowler.log").write_text(proc.stdout + proc.stderr, encoding="utf-8")
    refused = [ln for ln in proc.stderr.splitlines() if ln.startswith("prowler_guard: refused")]
    if refused:
        raise ProwlerError(f"{refused[0]} (see {out_dir / 'prowler.log'})")
    if proc.returncode not in (0, 3):  # 3: some check failed, the scan itself ran
        tail = (proc.stdout + proc.stderr)[-3000:]
        raise ProwlerError(f"prowler exited {proc.returncode}:\n{tail}")
    found = sorted(out_dir.glob("prowler*.ocsf.json"))
    if not found:
        raise ProwlerError(f"prowler wrote no OCSF findings in {out_dir}")
    log.info("prowler done in %.1fs: %s", seconds, found[-1])
    return ScanRun(found[-1], cmd, seconds, version(venv), target)


# ------------------------------------------------------------------ its findings


@dataclass(frozen=True)
class Finding:
    check: str
    status: str  # PASS | FAIL | MANUAL | MUTED
    resource: str  # the resource's ARN (uid)
    region: str
    fsbp: tuple[str, ...] = ()
    detail: str = ""


def read_findings(path: Path) -> list[Finding]:
    """Prowler's json-ocsf output (one Detection Finding per check and resource)."""
    data = json.loads(Path(path).read_text(encoding="utf-8") or "[]")
    found = []
    for rec in data:
        compliance = (rec.get("unmapped") or {}).get("compliance") or {}
        for res in rec.get("resources") or [{}]:
            found.append(
                Finding(
                    check=rec["metadata"]["event_code"],
                    status=str(rec.get("status_code", "")),
                    resource=str(res.get("uid", "")),
                    region=str(res.get("region", "")),
                    fsbp=tuple(compliance.get(FSBP_KEY) or ()),
                    detail=str(rec.get("status_detail") or rec.get("message") or ""),
                )
            )
    return found


def arn_id(arn: str) -> str:
    """The id an ARN ends with (``sg-…``, ``i-…``, a bucket's name, a role's name)."""
    return arn.rsplit("/", 1)[-1].rsplit(":", 1)[-1]


def ours(finding: Finding, ids: set[str]) -> bool:
    return finding.resource in ids or arn_id(finding.resource) in ids


@dataclass
class Report:
    """reports/prowler-<target>.json: what the evidence reads."""

    version: str
    target: str
    command: list[str]
    seconds: float
    findings_file: str
    stack_ids: list[str]
    findings: list[dict[str, Any]] = field(default_factory=list)  # the stack's only
    not_attributed: dict[str, int] = field(default_factory=dict)  # status -> count


def attribute(found: list[Finding], stack_ids: set[str], run: ScanRun) -> Report:
    mine = [f for f in found if ours(f, stack_ids)]
    others: dict[str, int] = {}
    for f in found:
        if not ours(f, stack_ids):
            others[f.status] = others.get(f.status, 0) + 1
    return Report(
        run.version,
        run.target,
        run.command,
        run.seconds,
        str(run.path),
        sorted(stack_ids),
        [asdict(f) for f in mine],
        others,
    )


def write_report(path: Path, report: Report) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(asdict(report), indent=1), encoding="utf-8")
    return path


def load_reports(paths: list[Path]) -> list[Report]:
    reports = []
    for path in paths:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        reports.append(Report(**data))
    return reports


def verdicts(reports: list[Report], check: str) -> list[tuple[str, Finding]]:
    """``[(verdict, finding)]`` of one Prowler check on the stacks' resources."""
    out = []
    for report in reports:
        for raw in report.findings:
            f = Finding(**{**raw, "fsbp": tuple(raw.get("fsbp") or ())})
            if f.check == check:
                out.append((VERDICT.get(f.status, "NOT_EVALUATED"), f))
    return out
