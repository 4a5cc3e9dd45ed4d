"""The emulator's instance image: keyed by its recipe, built once, never half-built."""

from __future__ import annotations

import dataclasses

import pytest

from harness.instances import image
from harness.net import free_port


def test_the_key_follows_the_recipe():
    base = image.Recipe()
    assert base.key() == image.Recipe().key()
    changed = [
        dataclasses.replace(base, packages=(*base.packages, "vim")),
        dataclasses.replace(base, suite="trixie"),
        dataclasses.replace(base, files={**base.files, "etc/motd": "hi\n"}),
        dataclasses.replace(base, certificates={"extra.crt": "x"}),
        dataclasses.replace(base, enabled_units=()),
        dataclasses.replace(base, steps=base.steps + 1),
    ]
    assert len({r.key() for r in changed} | {base.key()}) == len(changed) + 1


def test_the_recipe_has_an_sshd_for_keys_only_and_no_host_key():
    """As the Ubuntu AMI: openssh-server enabled on port 22 of every address, no password,
    no root; the host keys are each instance's (cloud-init's ``ssh`` module, first boot)."""
    recipe = image.Recipe()
    assert "openssh-server" in recipe.packages and "ssh.service" in recipe.enabled_units
    sshd = recipe.files["etc/ssh/sshd_config.d/50-filestore-emulator.conf"].splitlines()
    for line in ("Port 22", "ListenAddress 0.0.0.0", "ListenAddress ::"):
        assert line in sshd
    for line in ("PasswordAuthentication no", "KbdInteractiveAuthentication no"):
        assert line in sshd
    assert "PermitRootLogin no" in sshd
    cfg = recipe.files["etc/cloud/cloud.cfg.d/99-filestore-emulator.cfg"]
    # Debian's module lists stand (its cloud_init_modules has `ssh`); keys are made, not kept
    assert "cloud_init_modules" not in cfg and "ssh_deletekeys: true" in cfg
    assert "ssh_genkeytypes: [ ed25519, ecdsa ]" in cfg and "ssh_pwauth: false" in cfg
    assert not any("ssh_host_" in path for path in recipe.files)


def test_without_package_access_the_build_fails_clearly_and_caches_nothing(tmp_path):
    bogus = image.Recipe(mirror=f"http://127.0.0.1:{free_port()}/debian")
    with pytest.raises(image.ImageBuildError, match="(?s)debootstrap.*failed.*fetch Debian"):
        image.ensure(bogus, cache=tmp_path)
    assert [p.name for p in tmp_path.iterdir() if not p.name.endswith(".lock")] == []
    assert image.find(bogus, cache=tmp_path) is None


def test_the_image_is_an_ami_for_the_emulator():
    """Built once (minutes on a clean machine, then cached); what an instance relies on."""
    root = image.ensure()
    assert (root / "etc/machine-id").read_text() == ""  # each instance gets its own
    cfg = (root / "etc/cloud/cloud.cfg.d/99-filestore-emulator.cfg").read_text()
    assert "datasource_list: [ NoCloud ]" in cfg and "network: {config: disabled}" in cfg
    for unit in ("systemd-networkd.service", "systemd-firstboot.service"):
        assert (root / "etc/systemd/system" / unit).resolve().as_posix() == "/dev/null"
    for tool in ("usr/bin/cloud-init", "usr/bin/python3", "usr/bin/curl", "usr/sbin/logrotate"):
        assert (root / tool).exists(), tool
    assert (root / "usr/lib/python3.11/ensurepip").is_dir()  # python3 -m venv works
    bundle = (root / "etc/ssl/certs/ca-certificates.crt").read_text()
    for cert in image.host_certificates().values():  # trusts what the build host trusts
        assert cert.strip().splitlines()[1] in bundle
