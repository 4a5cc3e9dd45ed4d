"""Values and variable validations, checked for real by OpenTofu: ``tofu test`` with
mocked providers, one pytest test per module. modules/stack's tests also plan both
environments (``run { module { source = "../../environments/<name>" } }``).

The ``.tftest.hcl`` files live in ``modules/<name>/tests/`` (so ``tofu test`` works in a
module folder by hand too). Every run happens in a temporary copy of ``modules/``,
``app/`` and ``environments/``, so no ``.terraform/`` or lock file lands in the
repository. No cloud, no credentials: the
providers are ``mock_provider`` blocks; the CLI and the provider schemas come from the
offline toolchain (``make toolchain``); without one they fail, saying to run `make setup`.

By hand:  cd modules/security && tofu init -backend=false && tofu test
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from hcl_summary import MODULES, REPO_ROOT

MODULE_TESTS = {
    m: sorted((REPO_ROOT / "modules" / m / "tests").glob("*.tftest.hcl")) for m in MODULES
}
# `init` of a CLI without the offline mirror, on a machine without internet
OFFLINE = re.compile(r"could not connect to registry|failed to request discovery document")
COPY_IGNORE = shutil.ignore_patterns(
    ".terraform", ".terraform.lock.hcl", "*.tfstate*", "__pycache__", "*.pyc", "terraform.tfvars"
)


def _runs(files: list[Path]) -> int:
    return sum(len(re.findall(r'^run\s+"', f.read_text(), re.M)) for f in files)


@pytest.mark.parametrize("module", MODULES)
def test_every_module_has_tofu_tests(module):
    files = MODULE_TESTS[module]
    assert files, f"modules/{module}/tests/*.tftest.hcl missing"
    text = "\n".join(f.read_text() for f in files)
    assert "mock_provider" in text, f"modules/{module}/tests: use mock providers (no cloud)"
    assert "expect_failures" in text, f"modules/{module}/tests: no validation is exercised"


@pytest.fixture(scope="session")
def toolchain():
    """The CLI of ``harness.toolchain.locate`` (TF_BINARY, else the built offline toolchain, else a
    PATH CLI when a registry is reachable); never builds one here."""
    from harness.toolchain.locate import get_toolchain

    try:
        return get_toolchain(build=False)
    except Exception as exc:  # not built and nothing usable on PATH: a setup failure
        pytest.fail(f"no OpenTofu/Terraform toolchain ({exc}): run `make setup`")


@pytest.fixture(scope="session")
def workspace(tmp_path_factory) -> Path:
    """modules/, app/ and environments/ copied with the repository's relative layout."""
    root = tmp_path_factory.mktemp("tofu-test")
    for folder in ("modules", "app", "environments"):
        shutil.copytree(REPO_ROOT / folder, root / folder, ignore=COPY_IGNORE)
    return root


def _init_and_test(toolchain, folder: Path, runs: int) -> None:
    rel = folder.relative_to(folder.parents[1])
    init = toolchain.run(
        "init", "-backend=false", "-input=false", "-no-color", cwd=folder, check=False
    )
    if init.returncode != 0 and OFFLINE.search(init.stderr) and not toolchain.built:
        pytest.fail(f"{toolchain.binary} cannot install providers offline: run `make toolchain`")
    assert init.returncode == 0, (
        f"`tofu init -backend=false` failed in {rel}:\n{init.stderr}{init.stdout}"
    )
    test = toolchain.run("test", "-no-color", cwd=folder, check=False)
    output = f"{test.stdout}\n{test.stderr}"
    failed = re.findall(r'run "([^"]+)"\.\.\. (?:fail|error)', output)
    assert test.returncode == 0, (
        f"`tofu test` failed in {rel}: failing runs {failed}\n{output[-6000:]}\n"
        f"reproduce: cd {rel} && tofu init -backend=false && tofu test"
    )
    m = re.search(r"(\d+) passed, (\d+) failed", output)
    assert m and int(m.group(1)) == runs and m.group(2) == "0", (
        f"{rel}: expected {runs} passing runs:\n{output[-3000:]}"
    )


@pytest.mark.toolchain
@pytest.mark.parametrize("module", [m for m in MODULES if MODULE_TESTS[m]])
def test_tofu_test_module(toolchain, workspace, module):
    _init_and_test(toolchain, workspace / "modules" / module, _runs(MODULE_TESTS[module]))
