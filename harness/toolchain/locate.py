"""Find or build the Terraform CLI and the providers the stack uses.

Order of preference:

1. ``TF_BINARY`` (``tofu``, ``terraform`` or a path) when set;
2. the built toolchain below, when it is already in the cache;
3. ``tofu`` or ``terraform`` on ``PATH`` when a public registry is reachable (users with
   internet keep their normal ``init``);
4. otherwise OpenTofu and every provider pinned in ``toolchain.toml``, built once from the Go
   module proxy into a cache outside the repo, keyed by the pins and the Go version. A CLI
   configuration file with a ``filesystem_mirror`` for both the ``registry.opentofu.org``
   and ``registry.terraform.io`` addresses makes ``init`` work offline with no change to
   the HCL; ``init`` writes a lock file whose hashes later inits verify.

``FILESTORE_TOOLCHAIN=build`` always uses the built toolchain; ``=path`` always the CLI on PATH.

    python -m harness.toolchain.locate          # ensure, then print the CLI version and providers
    python -m harness.toolchain.locate --env    # print shell exports (TF_CLI_CONFIG_FILE, PATH)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from harness.log import configure as configure_logging
from harness.proc import run_bounded
from harness.toolchain.build import MIRROR_HOSTS, Builder, load_pins

__all__ = ["MIRROR_HOSTS", "Builder", "Toolchain", "get_toolchain", "load_pins", "tool_binary"]

CLI_DEFAULTS = {"TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}


# ----------------------------------------------------------------------------- model


@dataclass
class Toolchain:
    """A Terraform-compatible CLI plus the environment that makes its ``init`` work."""

    binary: Path
    kind: str  # "tofu" or "terraform"
    env: dict[str, str] = field(default_factory=dict)
    built: bool = False
    mirror: Path | None = None
    bin_dir: Path | None = None

    def environ(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        env = dict(os.environ)
        env.update(self.env)
        for key, value in CLI_DEFAULTS.items():
            env.setdefault(key, value)
        if extra:
            env.update(extra)
        return env

    def run(
        self,
        *args: str,
        cwd: Path | str | None = None,
        check: bool = True,
        env: dict[str, str] | None = None,
        timeout: float | None = 600.0,
        grace: float = 120.0,
    ) -> subprocess.CompletedProcess:
        """Run the CLI, capturing output, bounded by ``timeout`` seconds.

        Past the bound, or on KeyboardInterrupt (Ctrl-C, or SIGTERM turned into one by the
        stack), the CLI gets one SIGINT and up to ``grace`` seconds to stop cleanly and
        write its state, so that a destroy afterwards knows about every resource it had
        created (:func:`harness.proc.run_bounded`).
        """
        cmd = [str(self.binary), *args]
        result = run_bounded(cmd, timeout=timeout, grace=grace, cwd=cwd, env=self.environ(env))
        if check and result.returncode != 0:
            raise subprocess.CalledProcessError(
                result.returncode, cmd, result.stdout, result.stderr
            )
        return result

    def version_line(self) -> str:
        return self.run("version").stdout.splitlines()[0].strip()

    def providers(self) -> list[str]:
        """Providers available offline in the mirror, as ``host/ns/type vX``."""
        if not self.mirror or not self.mirror.exists():
            return []
        found = []
        for version_dir in sorted(self.mirror.glob("*/*/*/*")):
            host, ns, typ = version_dir.parts[-4:-1]
            found.append(f"{host}/{ns}/{typ} v{version_dir.name}")
        return found

    def shell_exports(self) -> str:
        lines = [f"export {k}={json.dumps(v)}" for k, v in self.env.items()]
        if self.bin_dir:
            lines.append(f'export PATH="{self.bin_dir}:$PATH"')
        lines.append(f"export TF_BINARY={json.dumps(str(self.binary))}")
        return "\n".join(lines)


# ------------------------------------------------------------------------- discovery


def _kind_of(binary: Path) -> str:
    return "tofu" if "tofu" in binary.name else "terraform"


def find_installed() -> Toolchain | None:
    wanted = os.environ.get("TF_BINARY", "").strip()
    if wanted:
        path = Path(wanted) if os.sep in wanted else shutil.which(wanted)
        if not path or not Path(path).exists():
            raise RuntimeError(f"TF_BINARY={wanted!r} was not found")
        return Toolchain(binary=Path(path), kind=_kind_of(Path(path)))
    for name in ("tofu", "terraform"):
        path = shutil.which(name)
        if path:
            return Toolchain(binary=Path(path), kind=name)
    return None


def registry_reachable(timeout: float = 3.0) -> bool:
    """Can this machine reach a public provider registry (so a PATH CLI can ``init``)?"""
    import socket

    for host in MIRROR_HOSTS:
        try:
            with socket.create_connection((host, 443), timeout=timeout):
                return True
        except OSError:
            continue
    return False


def get_toolchain(build: bool = True) -> Toolchain:
    """The toolchain the suite uses.

    ``TF_BINARY`` wins. ``FILESTORE_TOOLCHAIN=build`` or ``=path`` forces one source.
    Otherwise (auto): the built toolchain when it is in the cache; else a ``tofu`` or
    ``terraform`` from ``PATH`` when a public registry is reachable (its normal ``init``);
    else build OpenTofu and the providers (offline machines).
    """
    mode = os.environ.get("FILESTORE_TOOLCHAIN", "auto")
    if os.environ.get("TF_BINARY", "").strip() or mode == "path":
        installed = find_installed()
        if installed is None:
            raise RuntimeError("FILESTORE_TOOLCHAIN=path but no tofu/terraform is on PATH")
        return installed
    builder = Builder()
    if builder.complete():
        return built_toolchain(builder)
    if mode != "build":
        installed = find_installed()
        if installed is not None and registry_reachable():
            return installed
    if not build:
        raise RuntimeError(
            "the offline toolchain is not built and no registry is reachable: run `make toolchain`"
        )
    return built_toolchain(builder.build())


def built_toolchain(builder: Builder) -> Toolchain:
    """The CLI of an assembled toolchain, with the configuration that makes init offline."""
    cli = builder.pins["cli"]
    return Toolchain(
        binary=builder.bin_dir / cli["binary"],
        kind=cli["binary"],
        env={"TF_CLI_CONFIG_FILE": str(builder.cli_config)},
        built=True,
        mirror=builder.mirror,
        bin_dir=builder.bin_dir,
    )


def tool_binary(name: str) -> Path:
    """A tool pinned in toolchain.toml (actionlint, terraform-docs, tflint, ...), built with
    the toolchain."""
    builder = Builder()
    if not builder.complete():
        builder.build()
    spec = next((t for t in builder.pins.get("tools", []) if t["binary"] == name), None)
    if spec is None:
        raise RuntimeError(f"{name} is not a tool pinned in toolchain.toml")
    return builder.root / spec.get("install_dir", "bin") / name


def actionlint_binary() -> Path:
    return tool_binary("actionlint")


# ------------------------------------------------------------------------------- CLI


def main(argv: list[str] | None = None) -> int:
    configure_logging()
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--env", action="store_true", help="print shell exports and exit")
    parser.add_argument("--json", action="store_true", help="print a JSON summary")
    args = parser.parse_args(argv)
    t0 = time.monotonic()
    tc = get_toolchain(build=True)
    if args.env:
        print(tc.shell_exports())
        return 0
    summary = {
        "cli": tc.version_line(),
        "binary": str(tc.binary),
        "built": tc.built,
        "providers": tc.providers() if tc.built else ["(from the public registry at init)"],
        "seconds": round(time.monotonic() - t0, 1),
    }
    if args.json:
        print(json.dumps(summary, indent=2))
        return 0
    print(summary["cli"])
    for prov in summary["providers"]:
        print(f"  provider {prov}")
    if tc.built:
        print(f"  CLI config: {tc.env['TF_CLI_CONFIG_FILE']}")
    print(f"  ({summary['seconds']}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
