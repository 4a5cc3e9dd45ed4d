"""Benchmark: the unit suite and the gate, before and after a change (median of runs), and
the line counts of the parts issue 10 shrank.

    .venv/bin/python bench/suite.py [--before 50189d6] [--runs 3]

"Before" is a git worktree of ``--before`` using this checkout's virtualenvs; both trees
use the toolchain built here (TF_BINARY, the CLI config and the tools' directory on PATH),
so only the suite and the gate differ.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harness.toolchain.locate import get_toolchain  # noqa: E402

PARTS = ("harness", "policies", "tests/unit/hcl", "environments")
COMMANDS = {
    "unit suite (pytest tests/unit -n 2)": [
        ".venv/bin/python", "-m", "pytest", "tests/unit", "-q", "-n", "2", "--dist", "loadgroup",
        "-p", "no:cacheprovider",
    ],
    "gate (make gate)": [".venv/bin/python", "-m", "harness.gate", "--quiet"],
}  # fmt: skip


def lines(tree: Path, part: str) -> int:
    files = subprocess.run(
        ["git", "ls-files", part], cwd=tree, capture_output=True, text=True, check=True
    ).stdout.split()
    return sum(len((tree / f).read_bytes().splitlines()) for f in files if (tree / f).is_file())


def timed(cmd: list[str], tree: Path, env: dict) -> float:
    t0 = time.monotonic()
    proc = subprocess.run(cmd, cwd=tree, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        print(f"  ! `{' '.join(cmd[2:5])}` in {tree.name} exited {proc.returncode}:")
        print("  " + "\n  ".join((proc.stdout + proc.stderr).splitlines()[-8:]))
    return time.monotonic() - t0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--before", default="50189d6")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    tc = get_toolchain(build=False)
    env = dict(os.environ, **tc.env, TF_BINARY=str(tc.binary))
    env["PATH"] = f"{tc.bin_dir}:{env['PATH']}"
    with tempfile.TemporaryDirectory(prefix="bench-suite-") as d:
        before = Path(d) / "before"
        subprocess.run(
            ["git", "worktree", "add", "-q", "--detach", str(before), args.before],
            cwd=ROOT,
            check=True,
        )
        try:
            for venv in (".venv", ".venv-checkov"):
                (before / venv).symlink_to(ROOT / venv)
            trees = {f"before ({args.before})": before, "after (this tree)": ROOT}
            print(f"{'lines':<40}" + "".join(f"{label:>22}" for label in trees))
            for part in PARTS:
                print(f"{part:<40}" + "".join(f"{lines(t, part):>22,}" for t in trees.values()))
            print(f"\nwall seconds, median of {args.runs}")
            for name, cmd in COMMANDS.items():
                row = []
                for tree in trees.values():
                    row.append(statistics.median(timed(cmd, tree, env) for _ in range(args.runs)))
                print(f"{name:<40}" + "".join(f"{x:>22.1f}" for x in row), flush=True)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(before)], cwd=ROOT)
    return 0


if __name__ == "__main__":
    sys.exit(main())
