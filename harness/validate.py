"""`make validate`: ``fmt -check -recursive``, then ``init -backend=false`` + ``validate``
in every environment (offline with the built toolchain).

Init and validate run in a fresh copy of ``modules/`` and ``environments/``: an
environment's own ``.terraform/`` keeps the provider build it first installed (init does
not reinstall a version it has, even with ``-upgrade``), so validating in place could
check the HCL against a stale provider after a toolchain change.

    python -m harness.validate          # check
    python -m harness.validate --fmt    # rewrite formatting in place
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

from harness.log import configure as configure_logging
from harness.log import logger
from harness.paths import ENVIRONMENTS_DIR, REPO_ROOT, WORKING_COPY_IGNORE
from harness.toolchain.locate import get_toolchain

HCL_DIRS = ("modules", "environments")


def environments() -> list[str]:
    return sorted(p.name for p in ENVIRONMENTS_DIR.iterdir() if (p / "versions.tf").exists())


log = logger("validate")


def main(argv: list[str] | None = None) -> int:
    configure_logging()
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fmt", action="store_true", help="rewrite formatting instead of checking")
    args = parser.parse_args(argv)
    tc = get_toolchain()
    log.info(f"{tc.version_line()}")
    failed = False

    for d in HCL_DIRS:
        fmt_args = (
            ["fmt", "-recursive", d] if args.fmt else ["fmt", "-check", "-recursive", "-diff", d]
        )
        proc = tc.run(*fmt_args, cwd=REPO_ROOT, check=False)
        if proc.returncode != 0:
            failed = True
            log.info(f"fmt: {d} is not formatted (run `make fmt`):\n{proc.stdout}{proc.stderr}")
        else:
            log.info(f"fmt {d}: ok")
    if args.fmt:
        return 0

    with tempfile.TemporaryDirectory(prefix="validate-") as tmp:  # removed on errors too
        work = Path(tmp)
        ignore = shutil.ignore_patterns(*WORKING_COPY_IGNORE)
        for d in HCL_DIRS:
            shutil.copytree(REPO_ROOT / d, work / d, ignore=ignore, symlinks=True)
        for env in environments():
            failed |= not _init_and_validate(tc, env, work / "environments" / env)
    return 1 if failed else 0


def _init_and_validate(tc, env: str, cwd: Path) -> bool:
    t0 = time.monotonic()
    for step in (
        ["init", "-backend=false", "-input=false", "-no-color"],
        ["validate", "-no-color"],
    ):
        proc = tc.run(*step, cwd=cwd, check=False)
        if proc.returncode != 0:
            log.info(f"{env}: `{' '.join(step)}` failed:\n{proc.stdout}{proc.stderr}")
            return False
    log.info(f"{env}: ok ({time.monotonic() - t0:.1f}s)")
    return True


if __name__ == "__main__":
    sys.exit(main())
