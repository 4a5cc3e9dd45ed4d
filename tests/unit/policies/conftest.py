"""One checkov run over every fixture, with the gate's own configuration, shared.

checkov takes seconds to start, so ``fixtures/`` is scanned once (``.checkov.yaml``:
our checks, the secrets framework, the skips) and a summary is cached under the
pytest cache, keyed by a hash of the fixtures, the policies, the configuration and
the checkov install; a file lock lets one pytest-xdist worker compute it.

The raw results again:  python -m harness.gate --dirs tests/unit/policies/fixtures
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import os
import tempfile
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pytest
from filelock import FileLock

from harness import gate

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@dataclass(frozen=True)
class Findings:
    """Per fixture directory (``<case>/<variant>``): the check ids that failed and passed."""

    failed: dict[str, list[str]]
    passed: dict[str, list[str]]
    problems: list[str]  # parsing errors, checks that did not load or crashed
    resources: dict[str, list[list[str]]]  # per fixture directory: [check, resource, verdict]

    def verdict_on(self, case: str, variant: str, check: str, resource: str) -> str:
        """FAILED / PASSED / NOT EVALUATED of one check on one resource."""
        found = {
            v
            for c, r, v in self.resources.get(f"{case}/{variant}", [])
            if (c, r) == (check, resource)
        }
        return "FAILED" if "failed" in found else "PASSED" if found else "NOT EVALUATED"

    def verdicts(self, case: str, variant: str, checks) -> dict[str, str]:
        """FAILED / PASSED / NOT EVALUATED per check.  The secrets framework reports
        findings only: a CKV_SECRET_* check that found nothing PASSED."""
        key = f"{case}/{variant}"
        failed, passed = set(self.failed.get(key, [])), set(self.passed.get(key, []))
        return {
            c: "FAILED"
            if c in failed
            else "PASSED"
            if c in passed or c.startswith("CKV_SECRET_")
            else "NOT EVALUATED"
            for c in sorted(checks)
        }

    def failing(self, case: str, variant: str, *patterns: str) -> set[str]:
        failed = self.failed.get(f"{case}/{variant}", [])
        return {c for c in failed if any(fnmatch.fnmatch(c, p) for p in patterns or ["*"])}

    def explain(self, case: str, variant: str) -> str:
        return (
            f"fixtures/{case}/{variant} fails {sorted(self.failing(case, variant))}\n"
            f"  regenerate: python -m harness.gate --dirs tests/unit/policies/fixtures/{case}/{variant}"
        )


def _digest(binary: Path) -> str:
    h = hashlib.sha256(f"{binary}:{binary.stat().st_mtime_ns}".encode())
    for root in (FIXTURES, gate.POLICIES_DIR, gate.CONFIG, Path(gate.__file__), Path(__file__)):
        for path in sorted([root] if root.is_file() else root.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                h.update(str(path.relative_to(gate.REPO_ROOT)).encode() + path.read_bytes())
    return h.hexdigest()[:20]


def _scan(out_dir: Path, binary: Path) -> dict:
    scan = gate.Scan("fixtures", ["-d", str(FIXTURES)], out_dir)
    try:
        scan.run(binary)
    except gate.GateError as exc:
        pytest.fail(f"checkov could not scan the fixtures: {exc}", pytrace=False)
    summary: dict = {"failed": defaultdict(list), "passed": defaultdict(list)}
    summary["resources"] = defaultdict(list)
    for kind, records in (("failed", scan.failed), ("passed", scan.passed)):
        for rec in records:
            parts = Path(rec["file_abs_path"]).resolve().relative_to(FIXTURES).parts
            summary[kind][f"{parts[0]}/{parts[1]}"].append(rec["check_id"])
            summary["resources"][f"{parts[0]}/{parts[1]}"].append(
                [rec["check_id"], rec["resource"], kind]
            )
    summary["problems"] = [p for p in scan.problems if not p.startswith("NOTHING")]
    return summary


@pytest.fixture(scope="session")
def findings(request: pytest.FixtureRequest, checkov: Path) -> Findings:
    cache = getattr(request.config, "cache", None)  # None under -p no:cacheprovider
    if cache is not None:
        cache_dir = Path(cache.mkdir("policy-gate"))
    else:
        cache_dir = Path(tempfile.gettempdir()) / f"filestore-policy-gate-{os.getuid()}"
        cache_dir.mkdir(parents=True, exist_ok=True)
    result = cache_dir / f"fixtures-{_digest(checkov)}.json"
    with FileLock(str(cache_dir / "fixtures.lock"), timeout=900):
        if not result.is_file():
            for old in cache_dir.glob("fixtures-*.json"):
                old.unlink()
            tmp = result.with_suffix(".tmp")
            tmp.write_text(json.dumps(_scan(cache_dir / "run", checkov)), encoding="utf-8")
            tmp.replace(result)
    return Findings(**json.loads(result.read_text(encoding="utf-8")))
