"""Benchmark: the HCL unit tests against a `tofu validate` of the same environments.

.venv/bin/python bench/unit_vs_validate.py [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harness.toolchain.locate import get_toolchain  # noqa: E402
from harness.validate import environments  # noqa: E402


def timed(cmd: list[str], **kw) -> float:
    t0 = time.monotonic()
    subprocess.run(cmd, check=True, capture_output=True, **kw)
    return time.monotonic() - t0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    tc = get_toolchain()
    env = tc.environ()
    for e in environments():  # init once, not timed: validate needs the providers
        subprocess.run(
            [str(tc.binary), "init", "-backend=false"],
            cwd=ROOT / "environments" / e,
            env=env,
            check=True,
            capture_output=True,
        )
    unit = [
        timed(
            [
                sys.executable,
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                "-m",
                "not toolchain",
                "tests/unit/hcl",
            ],
            cwd=ROOT,
        )
        for _ in range(args.runs)
    ]
    validate = [
        sum(
            timed([str(tc.binary), "validate"], cwd=ROOT / "environments" / e, env=env)
            for e in environments()
        )
        for _ in range(args.runs)
    ]
    print(f"\nHCL checks, median of {args.runs} runs, seconds")
    print(f"{'pytest tests/unit/hcl (hcl2 only)':<32}{statistics.median(unit):>8.2f}")
    print(
        f"{'tofu validate (' + ', '.join(environments()) + ')':<32}{statistics.median(validate):>8.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
