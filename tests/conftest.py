"""Shared pytest setup for the whole suite (kept small: per-area fixtures live beside
their tests)."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness import gate
from harness.emulator.clients import DEFAULT_REGION, FAKE_CREDENTIALS


@pytest.fixture
def fake_aws_env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Fake AWS credentials and a region in the environment, so that nothing a test
    does can reach a real account with real credentials."""
    env = {**FAKE_CREDENTIALS, "AWS_DEFAULT_REGION": DEFAULT_REGION, "AWS_REGION": DEFAULT_REGION}
    for key in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


@pytest.fixture(scope="session")
def checkov() -> Path:
    """The checkov binary, or a test *failure* (not a skip) that says what to do."""
    try:
        return gate.checkov_bin()
    except gate.GateError as exc:
        pytest.fail(f"the policy tests need checkov: {exc}", pytrace=False)
