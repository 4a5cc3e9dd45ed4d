"""`make bench`: every benchmark in turn, each printing its own figures."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHES = [
    ["toolchain.py"],  # --full adds the full provider (~40 min of both cores)
    ["instances.py"],
    ["network.py"],
    ["unit_vs_validate.py"],
    ["lifecycle.py"],
    ["app_transfer.py", "--size-mb", "1024"],
]


def main() -> int:
    rc = 0
    for bench in BENCHES:
        script = HERE / bench[0]
        if not script.exists():
            print(f"== {bench[0]}: missing")
            rc = 1
            continue
        print(f"== {' '.join(bench)}", flush=True)
        rc |= subprocess.run([sys.executable, str(script), *bench[1:]], cwd=HERE.parent).returncode
    return rc


if __name__ == "__main__":
    sys.exit(main())
