"""Benchmark: the offline toolchain on a cold cache, and what the provider build costs later.

    .venv/bin/python bench/toolchain.py                 # lean provider cold, then use
    .venv/bin/python bench/toolchain.py --full          # also the full provider (~40 min)
    .venv/bin/python bench/toolchain.py --setup         # also a cold `make setup` of a clone
    .venv/bin/python bench/toolchain.py --use-only      # only the figures with each provider

"Cold" means empty Go build and module caches and an empty toolchain cache (temporary
directories, so the machine's own caches are neither used nor touched). The Debian
packages are the machine's: a cold `make setup` here does not reinstall them.

Figures: wall time and peak RSS of the aws provider build, its binary size, the Go build,
Go module and toolchain cache sizes; then with each provider present in the real cache
(lean always, full when built): `make validate`, the `tofu test` files, and one
lifecycle of environments/dev on the emulator.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harness.toolchain.build import SERVICES_ENV, Builder  # noqa: E402

AWS_PART = (
    "from harness.toolchain.build import Builder; b = Builder(); "
    "spec = next(p for p in b.pins['providers'] if p['source'] == 'hashicorp/aws'); "
    "print(b._part(spec))"
)


def du(path: Path) -> int:
    out = subprocess.run(["du", "-sb", str(path)], capture_output=True, text=True).stdout
    return int(out.split()[0]) if out else 0


def mib(n: int) -> str:
    return f"{n / 2**20:,.0f} MiB"


def run(cmd: list[str], env: dict, cwd: Path = ROOT) -> float:
    t0 = time.monotonic()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        log = Path(tempfile.mkstemp(prefix="bench-toolchain-", suffix=".log")[1])
        log.write_text(proc.stdout + proc.stderr)
        raise SystemExit(f"`{' '.join(cmd)}` failed (whole output: {log}):\n{proc.stderr[-3000:]}")
    return time.monotonic() - t0


def cold_env(tmp: Path, services: str, *, toolchain_cache: bool = True) -> dict:
    env = dict(os.environ)
    env.update(GOCACHE=str(tmp / "go-build"), GOMODCACHE=str(tmp / "go-mod"))
    env.update(PIP_CACHE_DIR=str(tmp / "pip"))
    if toolchain_cache:
        env["FILESTORE_CACHE"] = str(tmp / "filestore")
    env[SERVICES_ENV] = services
    return env


def aws_part(services: str) -> Path:
    os.environ[SERVICES_ENV] = services
    try:
        builder = Builder()
        return builder.part_dir(next(p for p in builder.pins["providers"] if "aws" in p["source"]))
    finally:
        del os.environ[SERVICES_ENV]


def cold_provider_build(label: str, services: str, *, keep: bool = False) -> dict:
    """Build the aws provider with empty Go caches. ``keep``: into the real toolchain cache
    (so that the later stages can use it), else into a temporary one."""
    part = aws_part(services)
    if keep and part.exists():
        print(json.dumps({"build": label, "cached": str(part), "note": "remove it to re-measure"}))
        return {}
    with tempfile.TemporaryDirectory(prefix="bench-toolchain-") as d:
        tmp = Path(d)
        env = cold_env(tmp, services, toolchain_cache=not keep)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        seconds = run([sys.executable, "-c", AWS_PART], env)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        parts = part.parent if keep else tmp / "filestore" / "toolchain" / "parts"
        binary = next(parts.glob(f"{part.name}/terraform-provider-aws"))
        figures = {
            "build": label,
            "seconds": round(seconds),
            "cpu_seconds": round(
                after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
            ),
            "peak_rss": mib(after.ru_maxrss * 1024),
            "binary": mib(binary.stat().st_size),
            "go_build_cache": mib(du(tmp / "go-build")),
            "go_module_cache": mib(du(tmp / "go-mod")),
            "provider_part": mib(du(binary.parent)),
        }
        subprocess.run(["chmod", "-R", "u+w", str(tmp)], check=False)  # module cache is read-only
    print(json.dumps(figures), flush=True)
    return figures


def cold_setup() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-setup-") as d:
        tmp = Path(d)
        clone = tmp / "clone"
        subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
        shared = ROOT.parent / "shared"
        if shared.exists() and not (tmp / "shared").exists():
            (tmp / "shared").symlink_to(shared)
        seconds = run(["make", "setup"], cold_env(tmp, ""), cwd=clone)
        print(json.dumps({"cold make setup": round(seconds), "caches": mib(du(tmp))}), flush=True)
        subprocess.run(["chmod", "-R", "u+w", str(tmp)], check=False)


def with_provider(label: str, services: str) -> None:
    env = dict(os.environ)
    env[SERVICES_ENV] = services
    env["FILESTORE_TOOLCHAIN"] = "build"
    if not aws_part(services).exists():
        print(json.dumps({"provider": label, "skipped": "not built (run with --full)"}))
        return
    run([sys.executable, "-m", "harness.toolchain.locate"], env)  # assemble (links only)
    py = str(ROOT / ".venv" / "bin" / "python")
    figures = {"provider": label}
    figures["make validate"] = round(run(["make", "validate"], env), 1)
    figures["tofu test files"] = round(
        run(
            [py, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/unit/hcl/test_hcl_tofu.py"],
            env,
        ),
        1,
    )
    figures["one lifecycle"] = round(run([py, "bench/lifecycle.py", "--only", "single"], env), 1)
    print(json.dumps(figures), flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--full", action="store_true", help="also build the full provider cold")
    parser.add_argument("--setup", action="store_true", help="also a cold `make setup` of a clone")
    parser.add_argument("--no-use", action="store_true", help="skip validate/tofu test/lifecycle")
    parser.add_argument(
        "--use-only", action="store_true", help="only validate/tofu test/lifecycle (no cold build)"
    )
    args = parser.parse_args()
    if args.use_only:
        with_provider("lean", "")
        with_provider("full", "all")
        return 0
    cold_provider_build("lean", "")
    if args.full:
        cold_provider_build("full", "all", keep=True)
    if args.setup:
        cold_setup()
    if not args.no_use:
        with_provider("lean", "")
        with_provider("full", "all")
    return 0


if __name__ == "__main__":
    sys.exit(main())
