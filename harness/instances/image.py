"""The emulator's AMI: a Debian root built once with debootstrap, booted by every instance.

On AWS the stack boots Ubuntu 24.04; Ubuntu's archive cannot be reached from our
machines, so the emulator boots Debian bookworm (Python 3.11 instead of 3.12, cloud-init
22.4 instead of 24.x), which ``user_data`` treats the same way (it only uses apt, python3,
systemd and coreutils). The image holds what the user_data script needs, so that its
``apt-get install`` is a no-op that still works, plus systemd and cloud-init configured for
the NoCloud datasource only, and an sshd as on the Ubuntu AMI (port 22 on every address,
keys only, no root login; host keys made by cloud-init at each instance's first boot).

It is built once into ``~/.cache/filestore/image/<key>/root`` where the key hashes the
recipe below (suite, mirrors, package list, the files written into the image, the build
steps) and the trust the host gives to the network (its extra CA certificates and apt's
network settings). An instance never writes to it: each one mounts it as the lower layer of
an overlayfs with its own upper layer (its "EBS volume"). A failed build leaves no cache
entry, and says why.

**Differences from an EC2 AMI, on purpose.** The image trusts what the build host trusts:
the host's extra CA certificates (``/usr/local/share/ca-certificates``, e.g. an
intercepting proxy's) are installed, pip is told to use the system bundle
(``/etc/pip.conf``), and apt gets the host's proxy and release-date settings, so that apt
and pip inside an instance reach Debian and PyPI the way the host does. An AMI trusts only
the public CAs. The instance's interface is configured from outside (by the emulator's
network plane): cloud-init's network configuration and systemd-networkd are off.

    python -m harness.instances.image build      # build (or find) the image, print its path and time
    python -m harness.instances.image path       # the image path when it is built, else exit 1
    python -m harness.instances.image prune      # remove images of older recipes no instance uses
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from filelock import FileLock

from harness.host import last_lines, tail
from harness.instances import nspawn
from harness.log import configure as configure_logging
from harness.log import logger
from harness.paths import cache_root

SUITE = "bookworm"
MIRROR = "http://deb.debian.org/debian"
SECURITY_MIRROR = "http://deb.debian.org/debian-security"
# What an instance needs: an init, cloud-init, and everything user_data uses.
PACKAGES = (
    "systemd-sysv",
    "cloud-init",
    "python3",
    "python3-venv",
    "curl",
    "ca-certificates",
    "logrotate",  # user_data writes /etc/logrotate.d/filestore
    "sudo",  # cloud-init's default user, as on the Ubuntu AMI
    "iproute2",  # `ss` for diagnostics
    "openssh-server",  # the web security group's port 22, as on the Ubuntu AMI
)
CLOUD_CFG = """\
# The emulator's instances: NoCloud only (the seed is written by the data plane), and no
# network configuration at all (the emulator configures the interface from outside).
datasource_list: [ NoCloud ]
network: {config: disabled}
manage_etc_hosts: false
locale: C.UTF-8
# Debian's module lists, `ssh` included: each instance has a network namespace of its
# own, so its sshd listens there, not on the host's port 22. The image has no host key;
# the `ssh` module makes the instance's own at its first boot (cloud-init.service runs
# before sshd.service). No RSA key: 0.7 s of a shared core at every first boot, and
# every current client takes ed25519.
ssh_deletekeys: true
ssh_genkeytypes: [ ed25519, ecdsa ]
disable_root: true
ssh_pwauth: false
"""
# Read before Debian's own settings (sshd takes the first value it reads); cloud-init's
# `ssh_pwauth: false` says the same in /etc/ssh/sshd_config.
SSHD_CONFIG = """\
# The emulator's instances, as the Ubuntu AMI: keys only, no root login.
Port 22
ListenAddress 0.0.0.0
ListenAddress ::
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin no
"""
FILES = {
    "etc/cloud/cloud.cfg.d/99-filestore-emulator.cfg": CLOUD_CFG,
    "etc/ssh/sshd_config.d/50-filestore-emulator.conf": SSHD_CONFIG,
    "etc/pip.conf": "[global]\ncert = /etc/ssl/certs/ca-certificates.crt\n",
    # journals on the instance's disk, readable by the harness after a stop
    "etc/systemd/journald.conf.d/50-filestore.conf": "[Journal]\nStorage=persistent\n",
}
# Nothing inside may configure the network; no prompt may wait on the console.
MASKED_UNITS = (
    "systemd-networkd.service",
    "systemd-networkd.socket",
    "systemd-networkd-wait-online.service",
    "systemd-network-generator.service",
    "systemd-firstboot.service",
    "console-getty.service",
)
APT_HOST_SETTINGS = (
    "Acquire::http::Proxy",
    "Acquire::https::Proxy",
    "Acquire::Check-Valid-Until",
    "Acquire::Check-Date",
)
HOST_CA_DIR = Path("/usr/local/share/ca-certificates")
ENABLED_UNITS = ("ssh.service",)
RECIPE_STEPS = 3  # bump when the steps in build() change


log = logger("image")


def host_apt_settings() -> str:
    """apt settings of the build host that decide how the archive is reached."""
    lines = []
    for key in APT_HOST_SETTINGS:
        out = subprocess.run(
            ["apt-config", "shell", "V", key], capture_output=True, text=True
        ).stdout.strip()
        if out.startswith("V="):
            lines.append(f'{key} "{out[2:].strip(chr(39))}";')
    return "\n".join(lines) + ("\n" if lines else "")


def host_certificates() -> dict[str, str]:
    if not HOST_CA_DIR.is_dir():
        return {}
    return {p.name: p.read_text() for p in sorted(HOST_CA_DIR.glob("*.crt"))}


@dataclass(frozen=True)
class Recipe:
    suite: str = SUITE
    mirror: str = MIRROR
    security_mirror: str = SECURITY_MIRROR
    packages: tuple[str, ...] = PACKAGES
    files: dict[str, str] = field(default_factory=lambda: dict(FILES))
    masked_units: tuple[str, ...] = MASKED_UNITS
    enabled_units: tuple[str, ...] = ENABLED_UNITS
    apt_settings: str = field(default_factory=host_apt_settings)
    certificates: dict[str, str] = field(default_factory=host_certificates)
    steps: int = RECIPE_STEPS

    def key(self) -> str:
        doc = json.dumps(asdict(self), sort_keys=True).encode()
        return hashlib.sha256(doc).hexdigest()[:16]

    def sources_list(self) -> str:
        return (
            f"deb {self.mirror} {self.suite} main\n"
            f"deb {self.mirror} {self.suite}-updates main\n"
            f"deb {self.security_mirror} {self.suite}-security main\n"
        )


def image_dir(recipe: Recipe | None = None, cache: Path | None = None) -> Path:
    return (cache or cache_root() / "image") / (recipe or Recipe()).key()


def find(recipe: Recipe | None = None, cache: Path | None = None) -> Path | None:
    """The image's root when it is built, else None."""
    base = image_dir(recipe, cache)
    return base / "root" if (base / ".complete").exists() else None


def ensure(recipe: Recipe | None = None, cache: Path | None = None) -> Path:
    """The image's root, built first when it is not in the cache (safe across workers)."""
    recipe = recipe or Recipe()
    base = image_dir(recipe, cache)
    if found := find(recipe, cache):
        return found
    base.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(base) + ".lock"):
        if found := find(recipe, cache):
            return found
        build(recipe, base)
    return base / "root"


class ImageBuildError(RuntimeError):
    pass


def _step(what: str, cmd: list[str], log_path: Path, timeout: float) -> None:
    log.info(what)
    with open(log_path, "a") as out:
        out.write(f"\n$ {' '.join(cmd)}\n")
        out.flush()
        try:
            proc = subprocess.run(
                cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, timeout=timeout
            )
        except subprocess.TimeoutExpired as exc:
            raise ImageBuildError(f"{what}: timed out after {timeout:.0f}s") from exc
    if proc.returncode != 0:
        raise ImageBuildError(
            f"{what} failed (exit {proc.returncode}); can this machine fetch Debian packages "
            f"from the mirror? Last lines of {log_path.name}:\n{tail(log_path, 25)}"
        )


def _inside(root: Path, script: str, what: str, log_path: Path, timeout: float) -> None:
    log.info(what)
    proc = nspawn.run(
        root,
        ["/bin/sh", "-ec", script],
        name=f"image-build-{os.getpid()}",
        timeout=timeout,
        setenv={"DEBIAN_FRONTEND": "noninteractive"},
    )
    with open(log_path, "a") as out:
        out.write(f"\n# {what}\n{proc.stdout}{proc.stderr}")
    if proc.returncode != 0:
        output = last_lines(proc.stdout + proc.stderr, 25)
        raise ImageBuildError(f"{what} failed (exit {proc.returncode}):\n{output}")


def build(recipe: Recipe, base: Path) -> None:
    """debootstrap, then apt inside the root, then our configuration; atomic."""
    nspawn.require("debootstrap", "systemd-nspawn")
    staging = base.with_name(f"{base.name}.building-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    root, log_path = staging / "root", staging / "build.log"
    t0 = time.monotonic()
    try:
        _step(
            f"debootstrap {recipe.suite} from {recipe.mirror}",
            ["debootstrap", "--variant=minbase", "--include=systemd-sysv", recipe.suite]
            + [str(root), recipe.mirror],
            log_path,
            timeout=1800,
        )
        (root / "etc/apt/sources.list").write_text(recipe.sources_list())
        (root / "etc/apt/apt.conf.d/90filestore-host-network").write_text(recipe.apt_settings)
        ca_dir = root / "usr/local/share/ca-certificates"
        ca_dir.mkdir(parents=True, exist_ok=True)
        for name, text in recipe.certificates.items():
            (ca_dir / name).write_text(text)
        for rel, text in recipe.files.items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_text(text)
        apt = "apt-get -q -y -o DPkg::Lock::Timeout=600"
        _inside(
            root,
            f"{apt} update\n{apt} upgrade\n"
            f"{apt} install --no-install-recommends {' '.join(recipe.packages)}\n"
            f"{apt} -f install\nupdate-ca-certificates\n"
            f"systemctl mask {' '.join(recipe.masked_units)}\n"
            f"systemctl enable {' '.join(recipe.enabled_units)}\n"
            "apt-get clean\n",
            "apt-get install " + " ".join(recipe.packages),
            log_path,
            timeout=1800,
        )
        _finish(root)
        (staging / "manifest.json").write_text(
            json.dumps({**asdict(recipe), "key": recipe.key(), "built_in_s": time.monotonic() - t0})
        )
        (staging / ".complete").write_text("ok\n")
        shutil.rmtree(base, ignore_errors=True)
        staging.rename(base)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    log.info(f"built {base} in {time.monotonic() - t0:.0f}s")


def _finish(root: Path) -> None:
    """Make the root an image: every instance gets its own machine id and SSH host keys on
    first boot (openssh-server's install made keys: they go)."""
    (root / "etc/machine-id").write_text("")
    for key in (root / "etc/ssh").glob("ssh_host_*"):
        key.unlink()
    for stale in ("var/lib/dbus/machine-id", "etc/hostname"):
        (root / stale).unlink(missing_ok=True)
    (root / "var/log/journal").mkdir(parents=True, exist_ok=True)


def prune(recipe: Recipe | None = None, cache: Path | None = None) -> list[Path]:
    """Remove images of older recipes that no mounted instance uses (as its lower layer)."""
    current = image_dir(recipe, cache)
    mounts = Path("/proc/self/mountinfo").read_text()
    removed = []
    for path in current.parent.iterdir():
        if path == current or not path.is_dir() or f"lowerdir={path}/root" in mounts:
            continue
        builder = path.name.partition(".building-")[2]
        if builder and Path(f"/proc/{builder}").exists():
            continue
        with FileLock(str(path) + ".lock"):
            shutil.rmtree(path, ignore_errors=True)
        Path(str(path) + ".lock").unlink(missing_ok=True)
        removed.append(path)
    return removed


def main(argv: list[str] | None = None) -> int:
    configure_logging()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=("build", "path", "prune"))
    parser.add_argument("--mirror", default=MIRROR, help="Debian mirror (default: %(default)s)")
    args = parser.parse_args(argv)
    recipe = Recipe(mirror=args.mirror)
    if args.command == "path":
        found = find(recipe)
        print(found or "")
        return 0 if found else 1
    if args.command == "prune":
        for path in prune(recipe):
            log.info(f"removed {path}")
        return 0
    t0 = time.monotonic()
    try:
        root = ensure(recipe)
    except ImageBuildError as exc:
        log.error(f"ERROR: {exc}")
        return 1
    log.info(f"{root} ready in {time.monotonic() - t0:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
