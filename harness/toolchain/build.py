"""Build the pinned CLI, providers and tools from Go modules into the cache (offline).

Each binary is a *part* cached on its own, keyed by its own pin, the Go version and the
platform (``~/.cache/filestore/toolchain/parts/<name>-<key>/``): adding a tool or bumping
one pin rebuilds that part only. A *toolchain* (``toolchain/<key>/``, keyed by its parts)
assembles them with hard links: ``bin/``, a provider ``mirror/`` under both registry
host names, a CLI configuration with a ``filesystem_mirror`` for it, and plugin folders.

The aws provider is built lean by default: only the services listed in toolchain.toml
(see :mod:`harness.toolchain.lean_provider`). ``FILESTORE_PROVIDER_SERVICES=all`` builds all of
them; a comma-separated list builds those instead.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import time
import tomllib
from pathlib import Path

from filelock import FileLock

from harness.log import logger
from harness.paths import REPO_ROOT, cache_root
from harness.toolchain import lean_provider

PINS_FILE = REPO_ROOT / "toolchain.toml"
MIRROR_HOSTS = ("registry.opentofu.org", "registry.terraform.io")
SERVICES_ENV = "FILESTORE_PROVIDER_SERVICES"


log = logger("toolchain")


def load_pins(path: Path = PINS_FILE) -> dict:
    with open(path, "rb") as fh:
        return tomllib.load(fh)


def _hash(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:12]


class Builder:
    """Finds or builds every part pinned in toolchain.toml and assembles the toolchain."""

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
        base = cache_root() / "toolchain"
        self.parts_dir = base / "parts"
        self.root = base / self.key()
        self.bin_dir = self.root / "bin"
        self.mirror = self.root / "mirror"
        self.plugins = self.root / "plugins"
        self.cli_config = self.root / "tofurc"

    # identity ---------------------------------------------------------------
    def specs(self) -> list[tuple[str, dict]]:
        """(role, spec) for every part: the CLI, each provider, each tool."""
        found = [("cli", self.pins["cli"])]
        found += [("provider", p) for p in self.pins.get("providers", [])]
        found += [("tool", t) for t in self.pins.get("tools", [])]
        return found

    @staticmethod
    def services(spec: dict) -> list[str] | None:
        """The provider services to compile (None: all of them)."""
        wanted = os.environ.get(SERVICES_ENV, "").strip()
        if "services" not in spec or wanted == "all":
            return None
        if wanted:
            return sorted({s.strip() for s in wanted.split(",") if s.strip()})
        return sorted(spec["services"])

    def part_dir(self, spec: dict) -> Path:
        name = spec.get("binary") or f"terraform-provider-{spec['source'].split('/')[1]}"
        pinned = {k: v for k, v in spec.items() if k != "services"}
        go = self.pins.get("go", {})
        services = self.services(spec)
        # a lean build is also keyed by the generator that filters the source
        recipe = _file_hash(Path(lean_provider.__file__)) if services is not None else ""
        key = _hash(pinned, services, recipe, go, self.go_version, self.platform)
        return self.parts_dir / f"{name}-{key}"

    def key(self) -> str:
        return _hash([str(self.part_dir(spec)) for _, spec in self.specs()])

    def complete(self) -> bool:
        return (self.root / ".complete").exists()

    # build ------------------------------------------------------------------
    def build(self) -> Builder:
        self.root.mkdir(parents=True, exist_ok=True)
        with FileLock(str(self.root) + ".lock"):
            if self.complete():
                return self
            t0 = time.monotonic()
            log.info(f"assembling the offline toolchain in {self.root}")
            for role, spec in self.specs():
                binary = self._part(spec)
                if role == "provider":
                    self._into_mirror(spec, binary)
                else:
                    dest = self.root / spec.get("install_dir", "bin") / spec["binary"]
                    _link(binary, dest)
            self._write_cli_config()
            (self.root / ".complete").write_text(
                json.dumps({"built_at": time.time(), "pins": self.pins}, indent=1)
            )
            log.info(f"toolchain ready in {time.monotonic() - t0:.0f}s")
        return self

    def _into_mirror(self, spec: dict, binary: Path) -> None:
        ns, typ = spec["source"].split("/")
        for host in MIRROR_HOSTS:
            dest = self.mirror / host / ns / typ / spec["version"] / self.platform
            _link(binary, dest / f"terraform-provider-{typ}_v{spec['version']}")

    def _part(self, spec: dict) -> Path:
        """The part's binary, built once (its own lock: parts are shared by toolchains)."""
        part = self.part_dir(spec)
        out = part / part.name.rsplit("-", 1)[0]
        part.parent.mkdir(parents=True, exist_ok=True)
        with FileLock(str(part) + ".lock"):
            if not out.exists():
                self._build_go_binary(spec, part, out)
        return out

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

    def _build_go_binary(self, spec: dict, part: Path, out: Path) -> None:
        version = spec.get("module_version", spec.get("version"))
        t0 = time.monotonic()
        log.info(f"downloading {spec['module']}@{version}")
        src = self._module_dir(spec["module"], version)
        if spec.get("version_file"):
            found = (src / spec["version_file"]).read_text().strip()
            if found != spec["version"]:
                raise RuntimeError(
                    f"{spec['module']}@{version}: {spec['version_file']} says {found}, "
                    f"toolchain.toml pins {spec['version']}"
                )
        # no `go mod download` of the whole go.mod: `go build` fetches (and verifies against
        # go.sum) only the modules the build imports; for the lean provider that is a few
        # dozen SDK modules instead of every service's
        go = self.pins.get("go", {})
        ldflags = " ".join(x for x in (go.get("ldflags", "-s -w"), spec.get("extra_ldflags")) if x)
        cmd = ["go", "build", *go.get("flags", ["-trimpath"]), "-ldflags", ldflags]
        services = self.services(spec)
        workdir = src
        if services is not None:
            workdir = lean_provider.mirror_source(src, part / "src")
            overlay, registered = lean_provider.prepare(workdir, services, part / "overlay")
            cmd += ["-overlay", str(overlay)]
            index = {
                "services": services,
                "registered": registered,
                "built": sorted(lean_provider.type_index(workdir, registered)),
                "all": lean_provider.type_index(workdir),
            }
            (part / lean_provider.TYPE_INDEX).write_text(json.dumps(index))
            log.info(f"lean build: {', '.join(services)} (registered: {', '.join(registered)})")
        tmp = out.with_name(out.name + ".tmp")
        cmd += ["-o", str(tmp), spec.get("package", ".")]
        log.info(f"compiling {spec['module']} ({' '.join(cmd)})")
        try:
            subprocess.run(cmd, cwd=workdir, env=self.go_env, check=True)
        finally:
            if workdir != src:
                shutil.rmtree(workdir, ignore_errors=True)
        tmp.rename(out)
        log.info(
            f"built {out.name} in {time.monotonic() - t0:.0f}s ({out.stat().st_size >> 20} MiB)"
        )

    def _write_cli_config(self) -> None:
        includes = ", ".join(f'"{host}/*/*"' for host in MIRROR_HOSTS)
        self.cli_config.write_text(
            "# Written by harness/toolchain/build.py: providers come from the offline mirror only.\n"
            "provider_installation {\n"
            "  filesystem_mirror {\n"
            f'    path    = "{self.mirror}"\n'
            f"    include = [{includes}]\n"
            "  }\n"
            "}\n"
            "disable_checkpoint = true\n"
        )

    def provider_index(self, source: str = "hashicorp/aws") -> dict | None:
        """What the (lean) provider build recorded: its services and resource types."""
        spec = next(p for p in self.pins["providers"] if p["source"] == source)
        path = self.part_dir(spec) / lean_provider.TYPE_INDEX
        return json.loads(path.read_text()) if path.exists() else None


def _file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def _link(src: Path, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    if dest.exists():
        dest.unlink()
    os.link(src, dest)
