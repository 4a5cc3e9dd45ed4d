"""Module READMEs carry a generated Inputs/Outputs section that must match the HCL.

On failure, regenerate with the command printed in the message.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness import tfdocs
from harness.paths import REPO_ROOT

FOLDERS = tfdocs.default_paths()
MODULE_NAMES = {"network", "security", "storage", "database", "iam", "compute", "monitoring"}


def _id(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


def test_every_contract_module_is_documented():
    found = {p.name for p in FOLDERS if p.parent.name == "modules"}
    assert found >= MODULE_NAMES, f"modules without .tf files: {sorted(MODULE_NAMES - found)}"


@pytest.mark.parametrize("folder", FOLDERS, ids=_id)
def test_readme_matches_hcl(folder: Path):
    drift = tfdocs.check_module(folder)
    rel = folder.relative_to(REPO_ROOT)
    assert drift is None, f"{drift}\nregenerate with: python -m harness.tfdocs --write {rel}"


@pytest.mark.parametrize("folder", FOLDERS, ids=_id)
def test_readme_has_prose_and_usage(folder: Path):
    text = (folder / "README.md").read_text(encoding="utf-8")
    before_docs = text.split(tfdocs.BEGIN, 1)[0]
    assert before_docs.startswith("# "), "README must start with a title"
    assert len(before_docs.split()) > 20, (
        "README needs a short description above the generated part"
    )
    if folder.parent.name == "modules":
        assert "```hcl" in before_docs and f'modules/{folder.name}"' in before_docs, (
            "usage example missing"
        )


@pytest.mark.parametrize("folder", FOLDERS, ids=_id)
def test_every_variable_and_output_is_described(folder: Path):
    module = tfdocs.parse_module(folder)
    assert [v.name for v in module.variables if not v.description] == []
    assert [o.name for o in module.outputs if not o.description] == []


# ----------------------------------------------------------- the tool itself

SAMPLE_VARIABLES = """
variable "name" {
  description = "A \\"quoted\\" name | with a pipe."
  type        = string
}

variable "cidrs" {
  description = <<-EOT
    Several
    lines.
  EOT
  type        = list(string)
  default     = ["10.0.0.0/16"]
}

variable "settings" {
  description = "An object."
  type        = object({ size = number, tags = optional(map(string), {}) })
  default     = { size = 3 }
}

variable "nothing" {
  description = "Null default: optional."
  type        = string
  default     = null
}

variable "secret" {
  description = "Hidden."
  type        = string
  default     = ""
  sensitive   = true
}
"""

SAMPLE_OUTPUTS = """
output "id" {
  description = "The ID."
  value       = aws_s3_bucket.this.id
}
"""

SAMPLE_MAIN = """
# comment
resource "aws_s3_bucket" "this" {
  bucket = "x"
}

data "aws_region" "current" {}

resource "aws_s3_object" "files" {
  for_each = toset([])
  bucket   = aws_s3_bucket.this.id
  key      = each.key
}
"""


@pytest.fixture
def sample_module(tmp_path: Path) -> Path:
    (tmp_path / "variables.tf").write_text(SAMPLE_VARIABLES)
    (tmp_path / "outputs.tf").write_text(SAMPLE_OUTPUTS)
    (tmp_path / "main.tf").write_text(SAMPLE_MAIN)
    return tmp_path


def test_parse_module_reads_variables_outputs_resources(sample_module: Path):
    module = tfdocs.parse_module(sample_module)
    by_name = {v.name: v for v in module.variables}
    assert by_name["name"].required and by_name["name"].type == "string"
    assert by_name["name"].description == 'A "quoted" name | with a pipe.'
    assert by_name["cidrs"].description == "Several\nlines."
    assert by_name["cidrs"].default == '["10.0.0.0/16"]'
    assert by_name["settings"].type.startswith("object(")
    assert by_name["settings"].default == "{size = 3}"
    assert by_name["nothing"].default == "null" and not by_name["nothing"].required
    assert by_name["secret"].sensitive
    assert [(o.name, o.description) for o in module.outputs] == [("id", "The ID.")]
    assert {r.address: r.repeated for r in module.resources} == {
        "aws_s3_bucket.this": "",
        "aws_s3_object.files": "for_each",
        "data.aws_region.current": "",
    }


def test_render_escapes_table_cells(sample_module: Path):
    docs = tfdocs.render_docs(tfdocs.parse_module(sample_module))
    assert docs.startswith(tfdocs.BEGIN) and docs.rstrip().endswith(tfdocs.END)
    row = next(line for line in docs.splitlines() if line.startswith("| `name` |"))
    assert 'A "quoted" name \\| with a pipe.' in row
    assert row.endswith("| n/a | yes |")
    # required inputs first, then the optional ones by name
    inputs = docs.split("## Inputs", 1)[1].split("## Outputs", 1)[0]
    names = [line.split("`")[1] for line in inputs.splitlines() if line.startswith("| `")]
    assert names == ["name", "cidrs", "nothing", "secret", "settings"]


def test_write_then_check_round_trip(sample_module: Path, capsys: pytest.CaptureFixture[str]):
    readme = sample_module / "README.md"
    readme.write_text("# sample\n\nHand-written text.\n")
    assert tfdocs.main(["--check", str(sample_module)]) == 1
    out = capsys.readouterr().out
    assert "drifted:" in out and "python -m harness.tfdocs --write" in out

    assert tfdocs.main(["--write", str(sample_module)]) == 0
    text = readme.read_text()
    assert text.startswith("# sample\n\nHand-written text.\n\n" + tfdocs.BEGIN)
    assert tfdocs.main(["--check", str(sample_module)]) == 0

    # hand edits outside the markers survive a rewrite; edits inside are undone
    readme.write_text(text.replace("The ID.", "Edited.") + "\nFooter.\n")
    assert tfdocs.check_module(sample_module) is not None
    tfdocs.write_module(sample_module)
    rewritten = readme.read_text()
    assert "The ID." in rewritten and "Edited." not in rewritten
    assert rewritten.endswith("Footer.\n")


def test_missing_readme_is_drift_and_write_creates_it(sample_module: Path):
    assert "missing" in (tfdocs.check_module(sample_module) or "")
    assert tfdocs.write_module(sample_module)
    assert (sample_module / "README.md").read_text().startswith(f"# {sample_module.name}\n")
