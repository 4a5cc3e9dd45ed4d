"""Which system packages `make setup` installs, per platform and target.

`scripts/setup.sh` asks this module (standard library only: it runs before the virtual
environments exist) and does what it says. The choice, and why:

- **Target.** ``emulator`` (the default: everything `make test` runs) needs MariaDB (the
  RDS stand-in and the app tests), an OpenSSH server (the tunnel test), a Chromium-family
  browser (the browser test) and, for the emulator's booted instances, ``debootstrap`` and
  ``systemd-container``, and ``nftables`` (``nft``: the security groups of the emulator's
  VPC networks, ``harness/network/``). ``aws`` applies to a real account and reaches the database through
  an SSH tunnel: it needs the OpenSSH client and nothing else.
- **Debian** (12, 13): Debian's own packages, ``chromium`` included.
- **Ubuntu 24.04** (GitHub's ``ubuntu-24.04`` runners): Ubuntu's ``chromium`` is a
  transitional package for the snap, which does not run there, so no browser package: the
  runner image ships Google Chrome at ``/usr/bin/google-chrome``, which the browser test
  uses through ``FILESTORE_CHROMIUM``. The image also ships MySQL 8.0 (service disabled).
  The harness cannot run MySQL 8.0 in MariaDB's place: it makes its throwaway data
  directory with ``mariadb-install-db`` and MariaDB's options, and MySQL 8.0 has no
  ``mysql_install_db`` at all (``mysqld --initialize`` replaced it). MariaDB exists in
  Ubuntu's archive (10.11, the same series as Debian 12's, so the harness is unchanged),
  but ``mariadb-server-core`` conflicts with ``mysql-server-8.0`` and breaks
  ``mysql-server-core-8.0``/``mysql-client-8.0`` (both install ``/usr/sbin/mysqld``). So on
  a CI runner (``GITHUB_ACTIONS=true``, a throwaway machine) the image's MySQL packages are
  purged first; on anybody else's Ubuntu an installed MySQL is an error that says so,
  never removed behind its owner's back.

    python3 -m harness.toolchain.platform_packages --target emulator            # human-readable plan
    python3 -m harness.toolchain.platform_packages --target aws --shell         # for setup.sh: eval "$(...)"
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

TARGETS = ("emulator", "aws")
SUPPORTED = {"debian": ("12", "13"), "ubuntu": ("24.04",)}
# what the Ubuntu 24.04 runner image installs for MySQL (images/ubuntu/scripts/build/install-mysql.sh)
RUNNER_MYSQL = (
    "mysql-server",
    "mysql-server-8.0",
    "mysql-server-core-8.0",
    "mysql-client",
    "mysql-client-8.0",
    "mysql-client-core-8.0",
)
RUNNER_CHROME = "/usr/bin/google-chrome"  # the runner image's Google Chrome (its CHROME_BIN)
INSTANCE_HOSTS = ("debootstrap", "systemd-container")  # the emulator's booted instances
NETWORK_HOSTS = ("nftables",)  # the VPC networks' security groups (harness/network/)


class PlatformError(RuntimeError):
    """This machine cannot be set up as asked; the message says what to do."""


@dataclass(frozen=True)
class Plan:
    platform: str
    target: str
    install: tuple[str, ...]
    remove: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def shell(self) -> str:
        """Variables for ``eval`` in setup.sh."""
        lines = [
            f"PLATFORM={shlex.quote(self.platform)}",
            f"INSTALL={shlex.quote(' '.join(self.install))}",
            f"REMOVE={shlex.quote(' '.join(self.remove))}",
            f"TEST_ENV={shlex.quote(' '.join(f'{k}={v}' for k, v in self.env.items()))}",
        ]
        return "\n".join(lines)

    def __str__(self) -> str:
        lines = [f"{self.platform}, target {self.target}"]
        lines.append(f"  install: {' '.join(self.install) or '(nothing)'}")
        if self.remove:
            lines.append(f"  remove first: {' '.join(self.remove)}")
        lines += [f"  test environment: {k}={v}" for k, v in self.env.items()]
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)


def read_os_release(path: Path = Path("/etc/os-release")) -> dict[str, str]:
    """``/etc/os-release`` as a dict (os-release(5): KEY=value, shell quoting)."""
    try:
        text = path.read_text()
    except OSError as exc:
        raise PlatformError(f"cannot read {path}: {exc}") from exc
    values = {}
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            parts = shlex.split(value) if value else [""]
            values[key] = parts[0] if parts else ""
    return values


def platform_of(os_release: Mapping[str, str]) -> tuple[str, str]:
    """(distribution, version), or a PlatformError naming what is supported."""
    distro, version = os_release.get("ID", ""), os_release.get("VERSION_ID", "")
    if version in SUPPORTED.get(distro, ()):
        return distro, version
    known = ", ".join(f"{d} {v}" for d, vs in SUPPORTED.items() for v in vs)
    name = os_release.get("PRETTY_NAME") or f"{distro or '?'} {version or '?'}"
    raise PlatformError(
        f"unsupported platform {name!r}: `make setup` knows {known}. Install MariaDB, an "
        "OpenSSH server and Chromium yourself (FILESTORE_CHROMIUM names the browser)."
    )


def dpkg_installed(package: str) -> bool:
    if not shutil.which("dpkg-query"):
        return False
    proc = subprocess.run(
        ["dpkg-query", "-W", "-f=${Status}", package], capture_output=True, text=True
    )
    return proc.returncode == 0 and "install ok installed" in proc.stdout


def plan(
    target: str,
    os_release: Mapping[str, str],
    *,
    environ: Mapping[str, str] | None = None,
    installed: Callable[[str], bool] = dpkg_installed,
    exists: Callable[[str], bool] = os.path.exists,
) -> Plan:
    """The packages to install (and remove) for ``target`` on this platform."""
    if target not in TARGETS:
        raise PlatformError(f"TARGET must be one of {', '.join(TARGETS)}, not {target!r}")
    environ = os.environ if environ is None else environ
    distro, version = platform_of(os_release)
    name = f"{distro}-{version}"
    if target == "aws":
        return Plan(
            name, target, ("openssh-client",), notes=("the AWS target needs no local services",)
        )
    common = ("mariadb-server", "openssh-server", *INSTANCE_HOSTS, *NETWORK_HOSTS)
    if distro == "debian":
        return Plan(name, target, (*common, "chromium"))
    return _ubuntu(name, target, common, environ, installed, exists)


def _ubuntu(name, target, common, environ, installed, exists) -> Plan:
    notes = []
    mysql = tuple(p for p in RUNNER_MYSQL if installed(p))
    if mysql and environ.get("GITHUB_ACTIONS") != "true":
        raise PlatformError(
            f"MySQL is installed ({', '.join(mysql)}) and MariaDB, which the harness runs "
            "in place of RDS, conflicts with it. Remove MySQL yourself, or run the suite "
            "where MariaDB can be installed (`make setup` only replaces MySQL on CI runners)."
        )
    if mysql:
        notes.append("the runner image's MySQL 8.0 makes way for MariaDB (they conflict)")
    browser = environ.get("FILESTORE_CHROMIUM") or (RUNNER_CHROME if exists(RUNNER_CHROME) else "")
    if not browser:
        raise PlatformError(
            "no browser for the browser test: Ubuntu's `chromium` is a snap, which cannot run "
            f"here. Install Google Chrome ({RUNNER_CHROME}) or set FILESTORE_CHROMIUM to a "
            "Chromium-family binary."
        )
    notes.append(f"browser: {browser} (not installed by setup)")
    # the instance image is Debian (Ubuntu's archive is not reachable here): debootstrap
    # checks Debian's release signatures with Debian's keyring, which Ubuntu lacks
    packages = (*common, "debian-archive-keyring")
    return Plan(name, target, packages, mysql, {"FILESTORE_CHROMIUM": browser}, tuple(notes))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--target", default=os.environ.get("TARGET") or "emulator")
    parser.add_argument("--os-release", type=Path, default=Path("/etc/os-release"))
    parser.add_argument("--shell", action="store_true", help="variables for eval in setup.sh")
    args = parser.parse_args(argv)
    try:
        result = plan(args.target, read_os_release(args.os_release))
    except PlatformError as exc:
        print(f"make setup: {exc}", file=sys.stderr)
        return 2
    print(result.shell() if args.shell else result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
