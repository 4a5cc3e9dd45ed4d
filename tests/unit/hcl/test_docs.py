"""The tables of the module and environment READMEs are terraform-docs' (`make docs`,
.terraform-docs.yml): its check mode over each of them."""

from __future__ import annotations

import subprocess

import pytest
from hcl_summary import REPO_ROOT, ROOTS


@pytest.fixture(scope="session")
def terraform_docs() -> str:
    from harness.toolchain.locate import tool_binary

    return str(tool_binary("terraform-docs"))


@pytest.mark.toolchain
@pytest.mark.parametrize("root", ROOTS)
def test_readme_tables_are_up_to_date(terraform_docs, root):
    proc = subprocess.run(
        [terraform_docs, "--output-check", root], cwd=REPO_ROOT, capture_output=True, text=True
    )
    assert proc.returncode == 0, f"{proc.stderr}{proc.stdout}\nregenerate with: make docs"
