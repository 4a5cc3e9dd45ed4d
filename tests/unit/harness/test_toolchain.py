"""The toolchain: pins, discovery order, the offline CLI configuration, the built binaries."""

from __future__ import annotations

import io
import json
import os
import time

import hcl2
import pytest

from harness.emulator.clients import Credentials
from harness.paths import REPO_ROOT
from harness.stack.override import EMULATED_SERVICES, emulator_override
from harness.stack.stack import Stack
from harness.stack.targets import emulator_target
from harness.toolchain.locate import MIRROR_HOSTS, Builder, Toolchain, get_toolchain, load_pins


def test_pins_name_a_cli_and_every_provider_the_stack_uses():
    pins = load_pins()
    assert pins["cli"]["module"] == "github.com/opentofu/opentofu"
    sources = {p["source"] for p in pins["providers"]}
    assert {"hashicorp/aws", "hashicorp/random"} <= sources
    for prov in pins["providers"]:
        # a pseudo-version names the commit it builds; it must agree with `commit`
        assert prov["module_version"].endswith(prov["commit"]), prov


def test_tf_binary_picks_the_cli(monkeypatch, tmp_path):
    fake = tmp_path / "terraform"
    fake.write_text("#!/bin/sh\necho Terraform v1.9.0\n")
    fake.chmod(0o755)
    monkeypatch.setenv("TF_BINARY", str(fake))
    monkeypatch.delenv("FILESTORE_TOOLCHAIN", raising=False)
    found = get_toolchain(build=False)
    assert found.binary == fake and found.kind == "terraform" and not found.built


def test_tf_binary_that_does_not_exist_is_an_error(monkeypatch):
    monkeypatch.setenv("TF_BINARY", "/nonexistent/tofu")
    monkeypatch.delenv("FILESTORE_TOOLCHAIN", raising=False)
    with pytest.raises(RuntimeError, match="was not found"):
        get_toolchain(build=False)


def test_cli_config_mirrors_both_registries(tmp_path, monkeypatch):
    monkeypatch.setenv("FILESTORE_CACHE", str(tmp_path))
    builder = Builder()
    builder.root.mkdir(parents=True)
    builder._write_cli_config()
    text = builder.cli_config.read_text()
    parsed = hcl2.load(io.StringIO(text))
    assert "provider_installation" in str(parsed)
    for host in MIRROR_HOSTS:
        assert f"{host}/*/*" in text
    assert "direct" not in text, "offline: the mirror must be the only source"


def test_each_part_is_keyed_by_its_own_pin(monkeypatch):
    pins = load_pins()
    before = Builder(pins)
    aws = next(p for p in pins["providers"] if p["source"] == "hashicorp/aws")
    more = {
        **pins,
        "tools": [*pins["tools"], {"module": "example.com/x", "version": "v1", "binary": "x"}],
    }
    after = Builder(more)
    assert after.part_dir(aws) == before.part_dir(aws), "a new tool must not rebuild the provider"
    assert after.root != before.root, "a new tool makes a new toolchain"
    lean_dir, cli_dir = before.part_dir(aws), before.part_dir(pins["cli"])
    monkeypatch.setenv("FILESTORE_PROVIDER_SERVICES", "all")
    full = Builder(pins)
    assert full.services(aws) is None
    assert full.part_dir(aws) != lean_dir, "lean and full builds are separate parts"
    assert full.part_dir(pins["cli"]) == cli_dir


def test_emulator_override_points_every_service_at_the_endpoint(tmp_path):
    text = emulator_override("http://127.0.0.1:4566", tmp_path / "s.tfstate")
    parsed = hcl2.load(io.StringIO(text))
    assert parsed["provider"] and parsed["terraform"]
    for svc in EMULATED_SERVICES:
        assert f"{svc} " in text and "http://127.0.0.1:4566" in text
    assert 'backend "local"' in text
    assert "s3_use_path_style           = true" in text
    # S3 Control's {account}.localhost goes through the emulator as a proxy: no /etc/hosts
    provider = parsed["provider"][0]['"aws"']  # python-hcl2 8 keeps the quotes
    assert provider["http_proxy"] == '"http://127.0.0.1:4566"'
    assert provider["endpoints"][0]["s3control"] == '"http://localhost:4566"'


def test_setup_leaves_etc_hosts_alone():
    assert "/etc/hosts" not in (REPO_ROOT / "scripts" / "setup.sh").read_text()


def test_stack_copy_keeps_the_layout_and_leaves_the_repo_alone(tmp_path):
    deployer = Credentials("ASIADEPLOYER", "s", "token")
    stack = Stack(
        emulator_target("http://127.0.0.1:1", credentials=lambda: deployer),
        "dev",
        workdir=tmp_path,
        toolchain=Toolchain(binary=tmp_path / "tofu", kind="tofu"),
    ).prepare()
    assert (tmp_path / "modules" / "network" / "main.tf").exists()
    assert (tmp_path / "app" / "deploy").is_dir()
    assert (stack.tfdir / "zz_emulator_override.tf").exists()
    assert not (REPO_ROOT / "environments" / "dev" / "zz_emulator_override.tf").exists()
    # Terraform's keys are the deployer's session (the target's), none in the copy
    assert "access_key" not in (stack.tfdir / "zz_emulator_override.tf").read_text()
    env = stack.env()
    assert (env["AWS_ACCESS_KEY_ID"], env["AWS_SESSION_TOKEN"]) == ("ASIADEPLOYER", "token")
    assert env["AWS_PROFILE"] == "" and env["AWS_EC2_METADATA_DISABLED"] == "true"
    # the inputs are in the working copy: a later destroy there (make down, by hand) has them
    inputs = json.loads((stack.tfdir / "zz_harness.auto.tfvars.json").read_text())
    assert inputs["run_id"] == stack.run_id


@pytest.mark.toolchain
def test_built_toolchain_reports_pinned_versions_and_is_fast_when_warm(monkeypatch):
    monkeypatch.setenv("FILESTORE_TOOLCHAIN", "build")
    monkeypatch.delenv("TF_BINARY", raising=False)  # a CLI named by hand wins over the build
    t0 = time.monotonic()
    tc = get_toolchain(build=False)  # `make setup` built it; this must not rebuild
    elapsed = time.monotonic() - t0
    pins = load_pins()
    assert tc.version_line() == f"OpenTofu {pins['cli']['version']}"
    providers = tc.providers()
    for prov in pins["providers"]:
        for host in MIRROR_HOSTS:
            assert f"{host}/{prov['source']} v{prov['version']}" in providers
    assert elapsed < 10, f"warm toolchain lookup took {elapsed:.1f}s"
    assert os.access(tc.binary, os.X_OK)
