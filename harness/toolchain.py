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

    python -m harness.toolchain          # ensure, then print the CLI version and providers
    python -m harness.toolchain --env    # print shell exports (TF_CLI_CONFIG_FILE, PATH)
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from filelock import FileLock

from harness.paths import REPO_ROOT, cache_root

PINS_FILE = REPO_ROOT / "toolchain.toml"
MIRROR_HOSTS = ("registry.opentofu.org", "registry.terraform.io")
CLI_DEFAULTS = {"TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}


def log(msg: str) -> None:
    print(f"[toolchain] {msg}", file=sys.stderr, flush=True)


def load_pins(path: Path = PINS_FILE) -> dict:
    with open(path, "rb") as fh:
        return tomllib.load(fh)


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
        grace: float = 120.0,
    ) -> subprocess.CompletedProcess:
        """Run the CLI, capturing output.

        On KeyboardInterrupt (Ctrl-C, or SIGTERM turned into one by the stack) the CLI gets
        one SIGINT and up to ``grace`` seconds to stop cleanly and write its state, so that
        a destroy afterwards knows about every resource it had created.
        """
        cmd = [str(self.binary), *args]
        proc = subprocess.Popen(
            cmd,
            cwd=cwd,
            env=self.environ(env),
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,  # a terminal Ctrl-C reaches us only; we forward it once
        )
        try:
            out, err = proc.communicate()
        except BaseException:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGINT)
            try:
                proc.communicate(timeout=grace)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.communicate()
            raise
        result = subprocess.CompletedProcess(cmd, proc.returncode, out, err)
        if check and proc.returncode != 0:
            raise subprocess.CalledProcessError(proc.returncode, cmd, out, err)
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

    def tftest(self, tfdir: Path | str, env: dict[str, str] | None = None):
        """A ``tftest.TerraformTest`` bound to this CLI and its environment."""
        import tftest

        merged = {**CLI_DEFAULTS, **self.env}
        if env:
            merged.update(env)
        return tftest.TerraformTest(str(tfdir), binary=str(self.binary), env=merged)

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
        return builder.toolchain()
    if mode != "build":
        installed = find_installed()
        if installed is not None and registry_reachable():
            return installed
    if not build:
        raise RuntimeError(
            "the offline toolchain is not built and no registry is reachable: run `make toolchain`"
        )
    return builder.build()


# --------------------------------------------------------------------------- builder


class Builder:
    """Builds the pinned CLI, providers and tools from Go modules into the cache."""

    def __init__(self, pins: dict | None = None) -> None:
        self.pins = pins or load_pins()
        self.go_env = dict(os.environ)
        toolchain = self.pins.get("go", {}).get("toolchain") or ""
        self.go_env["GOTOOLCHAIN"] = toolchain or os.environ.get("GOTOOLCHAIN", "local")
        self.go_env["GOFLAGS"] = "-buildvcs=false"
        self.go_env.setdefault("CGO_ENABLED", "0")
        # one `go env` call: it runs on every lookup of the (warm) toolchain
        go_version, goos, goarch = subprocess.run(
            ["go", "env", "GOVERSION", "GOOS", "GOARCH"],
            capture_output=True,
            text=True,
            env=self.go_env,
            check=True,
        ).stdout.split()
        self.go_version = go_version
        self.platform = f"{goos}_{goarch}"
        self.root = cache_root() / "toolchain" / self.key()
        self.bin_dir = self.root / "bin"
        self.mirror = self.root / "mirror"
        self.cli_config = self.root / "tofurc"

    # identity ---------------------------------------------------------------
    def key(self) -> str:
        blob = json.dumps(self.pins, sort_keys=True) + self.go_version + self.platform
        return hashlib.sha256(blob.encode()).hexdigest()[:12]

    def complete(self) -> bool:
        return (self.root / ".complete").exists()

    def toolchain(self) -> Toolchain:
        cli = self.pins["cli"]
        return Toolchain(
            binary=self.bin_dir / cli["binary"],
            kind=cli["binary"],
            env={"TF_CLI_CONFIG_FILE": str(self.cli_config)},
            built=True,
            mirror=self.mirror,
            bin_dir=self.bin_dir,
        )

    # build ------------------------------------------------------------------
    def build(self) -> Toolchain:
        self.root.mkdir(parents=True, exist_ok=True)
        with FileLock(str(self.root) + ".lock"):
            if self.complete():
                return self.toolchain()
            t0 = time.monotonic()
            log(f"building the offline toolchain into {self.root}")
            cli = self.pins["cli"]
            self._build_go_binary(
                cli,
                self.bin_dir / cli["binary"],
                extra_ldflags=cli.get("extra_ldflags", ""),
            )
            for tool in self.pins.get("tools", []):
                self._build_go_binary(tool, self.bin_dir / tool["binary"])
            platform = self.platform
            for prov in self.pins.get("providers", []):
                ns, typ = prov["source"].split("/")
                store = self.root / "providers" / f"terraform-provider-{typ}_v{prov['version']}"
                self._build_go_binary(prov, store, expect_version=prov["version"])
                for host in MIRROR_HOSTS:
                    dest = self.mirror / host / ns / typ / prov["version"] / platform
                    dest.mkdir(parents=True, exist_ok=True)
                    target = dest / store.name
                    if target.exists():
                        target.unlink()
                    os.link(store, target)
            self._write_cli_config()
            (self.root / ".complete").write_text(
                json.dumps({"built_at": time.time(), "pins": self.pins}, indent=1)
            )
            log(f"toolchain built in {time.monotonic() - t0:.0f}s")
        return self.toolchain()

    def _module_dir(self, module: str, version: str) -> Path:
        proc = subprocess.run(
            ["go", "mod", "download", "-json", f"{module}@{version}"],
            capture_output=True,
            text=True,
            env=self.go_env,
        )
        try:
            info = json.loads(proc.stdout)
        except json.JSONDecodeError:
            info = {"Error": proc.stderr or proc.stdout}
        if proc.returncode != 0 or "Error" in info:
            raise RuntimeError(
                f"`go mod download -json {module}@{version}` failed:\n{info.get('Error', proc.stderr)}"
            )
        return Path(info["Dir"])

    def _build_go_binary(
        self, spec: dict, out: Path, *, extra_ldflags: str = "", expect_version: str = ""
    ) -> None:
        if out.exists():
            return
        version = spec.get("module_version", spec.get("version"))
        t0 = time.monotonic()
        log(f"downloading {spec['module']}@{version}")
        src = self._module_dir(spec["module"], version)
        if spec.get("version_file") and expect_version:
            found = (src / spec["version_file"]).read_text().strip()
            if found != expect_version:
                raise RuntimeError(
                    f"{spec['module']}@{version}: {spec['version_file']} says {found}, "
                    f"toolchain.toml pins {expect_version}"
                )
        log(f"downloading dependencies of {spec['module']}")
        subprocess.run(["go", "mod", "download"], cwd=src, env=self.go_env, check=True)
        go = self.pins.get("go", {})
        ldflags = " ".join(x for x in (go.get("ldflags", "-s -w"), extra_ldflags) if x)
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(out.name + ".tmp")
        cmd = ["go", "build", *go.get("flags", ["-trimpath"]), "-ldflags", ldflags, "-o", str(tmp)]
        cmd.append(spec.get("package", "."))
        log(f"compiling {spec['module']} ({' '.join(cmd)})")
        subprocess.run(cmd, cwd=src, env=self.go_env, check=True)
        tmp.rename(out)
        log(f"built {out.name} in {time.monotonic() - t0:.0f}s ({out.stat().st_size >> 20} MiB)")

    def _write_cli_config(self) -> None:
        includes = ", ".join(f'"{host}/*/*"' for host in MIRROR_HOSTS)
        self.cli_config.write_text(
            "# Written by harness/toolchain.py: providers come from the offline mirror only.\n"
            "provider_installation {\n"
            "  filesystem_mirror {\n"
            f'    path    = "{self.mirror}"\n'
            f"    include = [{includes}]\n"
            "  }\n"
            "}\n"
            "disable_checkpoint = true\n"
        )


def actionlint_binary() -> Path:
    """The actionlint built with the toolchain (or one on PATH)."""
    on_path = shutil.which("actionlint")
    if on_path:
        return Path(on_path)
    builder = Builder()
    if not builder.complete():
        builder.build()
    return builder.bin_dir / "actionlint"


# ------------------------------------------------------------------------------- CLI


def main(argv: list[str] | None = None) -> int:
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
