"""reports/evidence/: what an auditor is handed after a run.

* ``evidence.json``: the run (id, commit, time, tool versions, the plans' SHA-256, the
  reports it rests on) and one verdict per control per layer with every finding
  (check, resource, file:line or test node id);
* ``evidence.html``: one page, controls against layers, failures first;
* ``reports/``: copies of the SARIF, JUnit and JSON reports the verdicts come from;
* ``MANIFEST.sha256``: the SHA-256 of every file above (``sha256sum -c`` reads it).
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import platform
import shutil
import subprocess
from pathlib import Path
from typing import Any

from harness.compliance.assess import Assessment, LayerVerdict
from harness.compliance.catalogue import LAYERS, REPO_ROOT, SEVERITIES, VERDICTS, Catalogue

MANIFEST = "MANIFEST.sha256"


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def commit() -> dict[str, Any]:
    def git(*args: str) -> str:
        try:
            proc = subprocess.run(
                ["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, timeout=30
            )
        except (OSError, subprocess.TimeoutExpired):
            return ""
        return proc.stdout.strip() if proc.returncode == 0 else ""

    status = git("status", "--porcelain", "--untracked-files=no")
    return {"sha": git("rev-parse", "HEAD") or "unknown", "dirty": bool(status)}


def _layer_json(layer: LayerVerdict) -> dict[str, Any]:
    return {
        "verdict": layer.verdict,
        "note": layer.note,
        "findings": [f.__dict__ for f in layer.findings],
    }


def document(
    cat: Catalogue, result: Assessment, run: dict[str, Any], exceptions_today: str
) -> dict[str, Any]:
    controls = []
    for control in cat.controls:
        layers = result.controls[control.id]
        controls.append(
            {
                "id": control.id,
                "title": control.title,
                "requirement": control.requirement,
                "severity": control.severity,
                "frameworks": {"fsbp": list(control.fsbp), "cis_aws_v3": list(control.cis)},
                "owners": {
                    "static": list(control.static),
                    "plan": list(control.plan),
                    "runtime": list(control.runtime),
                    "prowler": list(control.prowler),
                    "fixtures": list(control.fixtures),
                    "drift": list(control.drift),  # make drift's selectors (controls/drift.yaml)
                },
                "layers": {name: _layer_json(layers[name]) for name in LAYERS},
            }
        )
    counts = {
        layer: {v: sum(1 for c in controls if c["layers"][layer]["verdict"] == v) for v in VERDICTS}
        for layer in LAYERS
    }
    frameworks = cat.frameworks()
    return {
        "run": run,
        "verdict": "FAILED" if result.problems else "PASSED",
        "problems": result.problems,
        "summary": {
            "controls": len(controls),
            "fsbp_ids": sorted(frameworks["fsbp"], key=_fsbp_key),
            "cis_aws_v3_ids": sorted(frameworks["cis_aws_v3"]),
            "verdicts": counts,
            "unmapped_checks": result.unmapped,
        },
        "controls": controls,
        "fsbp_scope": cat.fsbp_scope,
        "exceptions": [
            {**e.__dict__, "expires": str(e.expires), "used": e.id in result.exceptions_used}
            for e in cat.exceptions
        ],
        "checked_on": exceptions_today,
    }


def _fsbp_key(fsbp_id: str) -> tuple[str, int]:
    service, _, number = fsbp_id.partition(".")
    return service, int(number) if number.isdigit() else 0


def tool_versions(checkov_version: str) -> dict[str, str]:
    versions = {"python": platform.python_version(), "checkov": checkov_version or "unknown"}
    versions["tofu"] = "unknown (no toolchain built)"
    try:  # the CLI as the stack runs it, never building it here
        from harness.toolchain.build import Builder

        cli = os.environ.get("TF_BINARY") or str(Builder().bin_dir / "tofu")
        out = subprocess.run([cli, "version"], capture_output=True, text=True, timeout=60)
        lines = [
            ln for ln in out.stdout.splitlines() if ln.startswith(("OpenTofu v", "Terraform v"))
        ]
        versions["tofu"] = lines[0] if lines else versions["tofu"]
    except Exception:  # noqa: BLE001, S110 -- a missing toolchain leaves the version unknown
        pass
    return versions


def write(out: Path, doc: dict[str, Any], reports: list[Path]) -> Path:
    """Write the evidence directory from scratch; the manifest last."""
    if out.exists():
        shutil.rmtree(out)
    (out / "reports").mkdir(parents=True)
    copied = []
    for index, path in enumerate(p for p in reports if p.is_file()):
        target = out / "reports" / f"{index:02d}-{path.parent.name}-{path.name}"
        shutil.copyfile(path, target)
        copied.append({"source": _rel(path), "copy": str(target.relative_to(out))})
    doc["run"]["reports"] = copied
    (out / "evidence.json").write_text(json.dumps(doc, indent=1, default=str), encoding="utf-8")
    (out / "evidence.html").write_text(page(doc), encoding="utf-8")
    files = sorted(p for p in out.rglob("*") if p.is_file() and p.name != MANIFEST)
    lines = [f"{sha256(p)}  {p.relative_to(out)}" for p in files]
    (out / MANIFEST).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out


def _rel(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(REPO_ROOT))
    except ValueError:
        return str(path)


STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}
table{border-collapse:collapse;width:100%}th,td{border:1px solid #ccc;padding:4px 6px;vertical-align:top}
th{background:#f3f3f3;text-align:left}.v{font-weight:600;white-space:nowrap}
.FAIL{background:#f8d0d0}.NOT_EVALUATED{background:#fbe3b8}.EXCEPTION{background:#e6e0f8}
.PASS{background:#d7f0d7}.NOT_APPLICABLE{background:#eee;color:#666}
details{margin:2px 0}code{font-size:12px}.banner{padding:8px;font-size:18px;font-weight:700}
"""


def page(doc: dict[str, Any]) -> str:
    """Controls x layers, the worst first: failures (most failing layers, most severe
    first), then not evaluated, exceptions, passes."""
    esc = html.escape

    def rank(control: dict[str, Any]) -> tuple[int, int, int, str]:
        verdicts = [VERDICTS.index(control["layers"][layer]["verdict"]) for layer in LAYERS]
        severity = SEVERITIES.index(control["severity"])
        return min(verdicts), -verdicts.count(min(verdicts)), severity, control["id"]

    rows = []
    for control in sorted(doc["controls"], key=rank):
        cells = []
        for layer in LAYERS:
            data = control["layers"][layer]
            items = "".join(
                f"<li><code>{esc(f['check'])}</code> {esc(f['verdict'])} {esc(f['resource'])}"
                f" <code>{esc(f['where'])}</code> {esc(f['note'])}</li>"
                for f in data["findings"]
                if f["verdict"] != "PASS" or len(data["findings"]) < 6
            )
            detail = f"<details><summary>{len(data['findings'])} findings</summary><ul>{items}</ul></details>"
            cells.append(
                f'<td class="v {data["verdict"]}" data-layer="{layer}">{data["verdict"]}'
                f"<br><small>{esc(data['note'])}</small>{detail if data['findings'] else ''}</td>"
            )
        fw = ", ".join(
            control["frameworks"]["fsbp"]
            + [f"CIS {c}" for c in control["frameworks"]["cis_aws_v3"]]
        )
        rows.append(
            f'<tr id="{esc(control["id"])}" data-control="{esc(control["id"])}"><td><b>{esc(control["id"])}</b>'
            f"<br>{esc(control['title'])}<br><small>{esc(control['requirement'])}</small></td>"
            f"<td>{esc(control['severity'])}</td><td>{esc(fw)}</td>{''.join(cells)}</tr>"
        )
    run = doc["run"]
    problems = "".join(f"<li>{esc(p)}</li>" for p in doc["problems"]) or "<li>none</li>"
    versions = ", ".join(f"{esc(k)} {esc(str(v))}" for k, v in run.get("tools", {}).items())
    plans = "".join(
        f"<li><code>{esc(p['sha256'])}</code> {esc(p['path'])}</li>" for p in run.get("plans", [])
    )
    summary = doc["summary"]
    scope = "".join(
        f'<tr class="{esc(e["status"])}"><td>{esc(i)}</td><td>{esc(e["status"])}</td>'
        f"<td>{esc(e.get('exception') or e.get('reason') or mapped.get(i, ''))}</td></tr>"
        for mapped in [_mapped(doc)]
        for i, e in doc["fsbp_scope"].items()
    )
    register = "".join(
        f'<tr class="{"FAIL" if e["expires"] < doc["checked_on"] else ""}"><td>{esc(e["id"])}</td>'
        f"<td>{esc(e['kind'])}</td><td>{esc(e['check'] or ', '.join(e['fsbp']))} "
        f"{esc(e['where'] or e['resource'])}</td><td>{esc(e['owner'])}</td>"
        f"<td>{esc(e['expires'])}</td><td>{'yes' if e['used'] else 'no'}</td>"
        f"<td>{esc(e['reason'])}</td></tr>"
        for e in doc["exceptions"]
    )
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>filestore compliance evidence {esc(run.get("run_id", ""))}</title><style>{STYLE}</style></head><body>
<div class="banner {"FAIL" if doc["verdict"] == "FAILED" else "PASS"}" id="verdict">{esc(doc["verdict"])}</div>
<p>Run <code>{esc(run.get("run_id", ""))}</code>, commit <code>{esc(run["commit"]["sha"])}</code>{" (uncommitted changes)" if run["commit"]["dirty"] else ""},
{esc(run.get("started", ""))}. Tools: {versions}.</p>
<p>{summary["controls"]} controls; FSBP {len(summary["fsbp_ids"])} ids, CIS AWS Foundations v3.0 {len(summary["cis_aws_v3_ids"])} ids.</p>
<h2>Problems</h2><ul id="problems">{problems}</ul>
<h2>Plans scanned</h2><ul>{plans or "<li>none in this run</li>"}</ul>
<h2>Controls</h2><table id="controls"><thead><tr><th>control</th><th>severity</th><th>frameworks</th>
<th>static</th><th>plan</th><th>runtime</th></tr></thead><tbody>{"".join(rows)}</tbody></table>
<h2>FSBP controls of the stack's resource types</h2><table id="fsbp"><thead><tr><th>FSBP</th>
<th>status</th><th>control, exception or reason</th></tr></thead><tbody>{scope}</tbody></table>
<h2>Exceptions register</h2><table id="register"><thead><tr><th>id</th><th>kind</th><th>what</th>
<th>owner</th><th>expires</th><th>used</th><th>reason</th></tr></thead><tbody>{register}</tbody></table>
</body></html>
"""


def _mapped(doc: dict[str, Any]) -> dict[str, str]:
    found: dict[str, list[str]] = {}
    for control in doc["controls"]:
        for fsbp_id in control["frameworks"]["fsbp"]:
            found.setdefault(fsbp_id, []).append(control["id"])
    return {k: ", ".join(v) for k, v in found.items()}
