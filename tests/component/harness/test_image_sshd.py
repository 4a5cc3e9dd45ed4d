"""The instance image's sshd, checked on the built image without booting it: installed and
enabled, no host key baked in (each instance makes its own at first boot), and the
effective configuration the image's own files give (host's ``sshd -T``: the same Debian
OpenSSH). Builds the image when it is not cached (a minute or two, then cached)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

from harness.host import find_program
from harness.instances import image
from harness.stack.tunnel import generate_keypair


@pytest.fixture(scope="module")
def root() -> Path:
    return image.ensure()


def test_no_host_key_is_in_the_image(root):
    assert (root / "usr/sbin/sshd").exists()
    assert sorted(p.name for p in (root / "etc/ssh").glob("ssh_host_*")) == []


def test_sshd_is_enabled_and_starts_after_cloud_init_made_the_keys(root):
    units = root / "etc/systemd/system"
    wanted = units / "multi-user.target.wants/ssh.service"
    assert wanted.is_symlink() and Path(wanted.readlink()).name == "ssh.service"
    # cloud-init.service orders itself before sshd.service: Debian's alias of ssh.service
    assert Path((units / "sshd.service").readlink()).name == "ssh.service"
    assert "Before=sshd.service" in (root / "lib/systemd/system/cloud-init.service").read_text()
    debian = yaml.safe_load((root / "etc/cloud/cloud.cfg").read_text())
    ours = yaml.safe_load((root / "etc/cloud/cloud.cfg.d/99-filestore-emulator.cfg").read_text())
    assert "ssh" in debian["cloud_init_modules"] and "cloud_init_modules" not in ours
    assert ours["ssh_deletekeys"] is True and ours["ssh_genkeytypes"] == ["ed25519", "ecdsa"]


@pytest.mark.sshd
def test_sshd_listens_on_22_everywhere_for_keys_only(root, tmp_path):
    sshd = find_program("sshd")
    assert sshd, "sshd not found: run `make setup` (installs Debian's openssh-server)"
    # the image's sshd_config, its drop-ins read from the image instead of the host's /etc
    config = (root / "etc/ssh/sshd_config").read_text()
    assert re.search(r"(?m)^Include /etc/ssh/sshd_config\.d/\*\.conf$", config)
    rooted = config.replace("Include /etc/ssh/", f"Include {root}/etc/ssh/")
    (tmp_path / "sshd_config").write_text(rooted)
    host_key, _ = generate_keypair(tmp_path, "host_key")  # -T needs one; the image has none
    out = subprocess.run(
        [sshd, "-T", "-f", str(tmp_path / "sshd_config"), "-h", str(host_key)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    effective = {}
    for line in out:
        key, _, value = line.partition(" ")
        effective.setdefault(key, []).append(value)
    assert effective["port"] == ["22"]
    assert sorted(effective["listenaddress"]) == ["0.0.0.0:22", "[::]:22"]
    assert effective["passwordauthentication"] == ["no"]
    assert effective["kbdinteractiveauthentication"] == ["no"]
    assert effective["permitrootlogin"] == ["no"]
    assert effective["pubkeyauthentication"] == ["yes"]
