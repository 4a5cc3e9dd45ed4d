"""Fixtures of the policy tests: one checkov run over every fixture, shared.

checkov takes several seconds to start, so the whole ``fixtures/`` tree is
scanned once -- with the gate's own settings (our checks, the baseline's
skips) -- and the parsed results are cached on disk under the pytest cache,
keyed by a hash of the fixtures, the policies, the gate and the checkov
install.  A file lock makes the first pytest-xdist worker compute it while the
others wait; later sessions with nothing changed reuse it.

To see the raw results again:  python -m harness.gate --dirs tests/unit/policies/fixtures
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from filelock import FileLock

from harness import gate

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures"
PLANS = HERE / "plans"
CACHE_FORMAT = "1"


def require_checkov() -> Path:
    """The checkov binary, or a test *failure* (not a skip) that says what to do."""
    try:
        return gate.checkov_bin()
    except gate.GateError as exc:
        message = str(exc)
    pytest.fail(f"the policy tests need checkov: {message}", pytrace=False)


def _tree_digest(*roots: Path, extra: tuple[str, ...] = ()) -> str:
    h = hashlib.sha256(CACHE_FORMAT.encode())
    for root in roots:
        paths = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for path in paths:
            if "__pycache__" in path.parts:
                continue
            h.update(str(path.relative_to(gate.REPO_ROOT)).encode())
            h.update(path.read_bytes())
    for item in extra:
        h.update(item.encode())
    return h.hexdigest()[:20]


@dataclass(frozen=True)
class FixtureResults:
    """Per fixture directory (``<case>/<variant>``) the check ids that failed/passed."""

    failed: dict[str, dict[str, list[dict[str, Any]]]]
    passed: dict[str, dict[str, list[dict[str, Any]]]]
    parsing_errors: list[str]
    load_errors: list[str]
    duration: float
    cached: bool

    def outcome(self, case: str, variant: str, check_id: str) -> str:
        key = f"{case}/{variant}"
        if check_id in self.failed.get(key, {}):
            return "FAILED"
        if check_id in self.passed.get(key, {}):
            return "PASSED"
        return "NOT EVALUATED"

    def failures(self, case: str, variant: str) -> dict[str, list[dict[str, Any]]]:
        return self.failed.get(f"{case}/{variant}", {})

    def explain(self, case: str, variant: str, check_id: str) -> str:
        key = f"{case}/{variant}"
        lines = [f"{check_id} on fixtures/{key}: {self.outcome(case, variant, check_id)}"]
        for rec in self.failed.get(key, {}).get(check_id, []):
            lines.append(f"  failed: {rec['resource']} {rec['details']}")
        lines.append(f"  all failures there: {sorted(self.failed.get(key, {}))}")
        lines.append(
            "  regenerate: python -m harness.gate --dirs tests/unit/policies/fixtures/" + key
        )
        return "\n".join(lines)


def _summarize(result: gate.ScanResult) -> dict[str, Any]:
    def index(records: list[dict[str, Any]]) -> dict[str, dict[str, list[dict[str, Any]]]]:
        out: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
        for rec in records:
            path = Path(rec.get("file_abs_path") or "")
            try:
                parts = path.resolve().relative_to(FIXTURES).parts
            except ValueError:
                continue
            if len(parts) < 3:
                continue
            out[f"{parts[0]}/{parts[1]}"][rec["check_id"]].append(
                {"resource": rec.get("resource"), "details": rec.get("details") or []}
            )
        return {k: dict(v) for k, v in out.items()}

    return {
        "failed": index(result.failed),
        "passed": index(result.passed),
        "parsing_errors": result.parsing_errors,
        "load_errors": result.load_errors,
        "duration": result.duration,
    }


@pytest.fixture(scope="session")
def fixture_results(request: pytest.FixtureRequest) -> FixtureResults:
    binary = require_checkov()
    stat = binary.stat()
    key = _tree_digest(
        FIXTURES,
        gate.POLICIES_DIR,
        Path(gate.__file__),
        extra=(str(binary), str(stat.st_mtime_ns), str(stat.st_size)),
    )
    cache = getattr(request.config, "cache", None)  # None under -p no:cacheprovider
    if cache is not None:
        cache_dir = Path(cache.mkdir("policy-gate"))
    else:
        cache_dir = Path(tempfile.gettempdir()) / f"filestore-policy-gate-{os.getuid()}"
        cache_dir.mkdir(parents=True, exist_ok=True)
    result_file = cache_dir / f"fixtures-{key}.json"
    cached = True
    with FileLock(str(cache_dir / "fixtures.lock"), timeout=900):
        if not result_file.is_file():
            cached = False
            for old in cache_dir.glob("fixtures-*.json"):
                old.unlink(missing_ok=True)
            out_dir = cache_dir / f"run-{os.getpid()}"
            try:
                result = gate.run_checkov(
                    dirs=[FIXTURES],
                    baseline=gate.load_baseline(),
                    out_dir=out_dir,
                    outputs=["json"],
                )
            except gate.GateError as exc:
                pytest.fail(f"checkov could not scan the fixtures: {exc}", pytrace=False)
            tmp = result_file.with_suffix(".tmp")
            tmp.write_text(json.dumps(_summarize(result)), encoding="utf-8")
            tmp.replace(result_file)
            for leftover in out_dir.glob("*"):
                leftover.unlink()
            out_dir.rmdir()
    data = json.loads(result_file.read_text(encoding="utf-8"))
    return FixtureResults(
        failed=data["failed"],
        passed=data["passed"],
        parsing_errors=data["parsing_errors"],
        load_errors=data["load_errors"],
        duration=data["duration"],
        cached=cached,
    )
