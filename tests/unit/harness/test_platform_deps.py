"""`make setup` installs what the target needs, with the platform's own packages (os-release
fixtures for Debian 12 and GitHub's Ubuntu 24.04 runners)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from harness.paths import REPO_ROOT
from harness.toolchain.platform_packages import RUNNER_MYSQL, PlatformError, plan, read_os_release

FIXTURES = REPO_ROOT / "tests" / "unit" / "harness" / "fixtures" / "os-release"
DEBIAN_12 = read_os_release(FIXTURES / "debian-12")
UBUNTU_24 = read_os_release(FIXTURES / "ubuntu-24.04")
RUNNER = {"GITHUB_ACTIONS": "true"}
EMULATOR_SERVICES = {
    "mariadb-server",
    "openssh-server",
    "debootstrap",
    "systemd-container",
    "nftables",
}


def runner_image(package: str) -> bool:
    """What the ubuntu-24.04 image has installed (its MySQL 8.0 among others)."""
    return package in RUNNER_MYSQL


def chrome_present(path: str) -> bool:
    return path == "/usr/bin/google-chrome"


def test_os_release_is_parsed_with_its_quoting():
    assert (DEBIAN_12["ID"], DEBIAN_12["VERSION_ID"]) == ("debian", "12")
    assert UBUNTU_24["PRETTY_NAME"] == "Ubuntu 24.04.3 LTS"


def test_debian_emulator_gets_debians_own_packages():
    result = plan("emulator", DEBIAN_12, environ={}, installed=lambda p: False)
    assert set(result.install) == EMULATOR_SERVICES | {"chromium"}
    assert result.remove == () and dict(result.env) == {}


@pytest.mark.parametrize("os_release", [DEBIAN_12, UBUNTU_24], ids=["debian-12", "ubuntu-24.04"])
def test_the_aws_target_needs_no_local_services(os_release):
    result = plan("aws", os_release, environ=RUNNER, installed=runner_image, exists=chrome_present)
    assert result.install == ("openssh-client",) and result.remove == ()


def test_the_ubuntu_runner_uses_its_chrome_and_replaces_its_mysql_with_mariadb():
    result = plan(
        "emulator", UBUNTU_24, environ=RUNNER, installed=runner_image, exists=chrome_present
    )
    # no `chromium` (a snap there); Debian's keyring for the instance image's debootstrap
    assert set(result.install) == EMULATOR_SERVICES | {"debian-archive-keyring"}
    assert set(result.remove) == set(RUNNER_MYSQL)
    assert dict(result.env) == {"FILESTORE_CHROMIUM": "/usr/bin/google-chrome"}


def test_an_explicit_browser_wins_and_an_ubuntu_without_mysql_removes_nothing():
    env = {"FILESTORE_CHROMIUM": "/opt/chrome/chrome"}
    result = plan(
        "emulator", UBUNTU_24, environ=env, installed=lambda p: False, exists=lambda p: False
    )
    assert result.remove == () and result.env["FILESTORE_CHROMIUM"] == "/opt/chrome/chrome"


def test_a_persons_mysql_is_never_removed():
    with pytest.raises(PlatformError, match="MySQL is installed"):
        plan("emulator", UBUNTU_24, environ={}, installed=runner_image, exists=chrome_present)


def test_ubuntu_without_a_usable_browser_says_what_to_do():
    with pytest.raises(PlatformError, match="FILESTORE_CHROMIUM"):
        plan(
            "emulator", UBUNTU_24, environ=RUNNER, installed=lambda p: False, exists=lambda p: False
        )


@pytest.mark.parametrize(
    ("target", "os_release", "message"),
    [
        (
            "emulator",
            read_os_release(FIXTURES / "ubuntu-22.04"),
            "unsupported platform 'Ubuntu 22.04",
        ),
        ("emulator", {}, "unsupported platform"),
        ("staging", DEBIAN_12, "TARGET must be one of emulator, aws"),
    ],
)
def test_bad_input_is_a_clear_error(target, os_release, message):
    with pytest.raises(PlatformError, match=message):
        plan(target, os_release, environ={}, installed=lambda p: False)


def test_setup_sh_reads_the_plan_with_eval(tmp_path):
    """The shell form, as scripts/setup.sh evaluates it."""
    script = (
        f'eval "$({sys.executable} -m harness.toolchain.platform_packages --target emulator --shell '
        f'--os-release {FIXTURES / "debian-12"})"; read -r -a pkgs <<<"$INSTALL"; '
        'echo "$PLATFORM ${#pkgs[@]} [$REMOVE] [$TEST_ENV]"'
    )
    out = subprocess.run(
        ["bash", "-c", script], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "debian-12 6 [] []"


def test_the_cli_refuses_an_unknown_platform_with_exit_2():
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "harness.toolchain.platform_packages",
            "--os-release",
            str(FIXTURES / "ubuntu-22.04"),
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2 and "make setup: unsupported platform" in proc.stderr
