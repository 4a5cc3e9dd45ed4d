"""The lean aws provider is enough: every type our HCL uses is in the built provider's schema.

The offline build compiles only the services listed in toolchain.toml. A resource of a new
service must fail here, naming the service to add, not half-way through an apply.
"""

from __future__ import annotations

import json
import re

import pytest

from harness.paths import REPO_ROOT
from harness.toolchain import lean_provider
from harness.toolchain.locate import Builder, get_toolchain, load_pins

# Every place with HCL that a provider must understand: the stack, the environments, the
# checkov fixtures and the toolchain proof (tofu test files mock the provider: not needed).
HCL_ROOTS = ("modules", "environments", "tests/unit/policies/fixtures", "tests/integration/proof")
BLOCK = re.compile(r'^\s*(resource|data)\s+"(aws_[a-z0-9_]+)"', re.M)


def hcl_types() -> dict[str, set[str]]:
    """``{"resource": {...}, "data": {...}}`` over every .tf file under HCL_ROOTS."""
    found: dict[str, set[str]] = {"resource": set(), "data": set()}
    for root in HCL_ROOTS:
        for path in (REPO_ROOT / root).rglob("*.tf"):
            if ".terraform" in path.parts:
                continue
            for kind, name in BLOCK.findall(path.read_text()):
                found[kind].add(name)
    return found


@pytest.fixture(scope="module")
def schema(tmp_path_factory) -> dict[str, set[str]]:
    aws = next(p for p in load_pins()["providers"] if p["source"] == "hashicorp/aws")
    workdir = tmp_path_factory.mktemp("schema")
    (workdir / "main.tf").write_text(
        'terraform {\n  required_providers {\n    aws = {\n      source  = "hashicorp/aws"\n'
        f'      version = "{aws["version"]}"\n    }}\n  }}\n}}\n'
    )
    tc = get_toolchain(build=False)
    tc.run("init", "-input=false", "-backend=false", cwd=workdir)
    doc = json.loads(tc.run("providers", "schema", "-json", cwd=workdir).stdout)
    (provider,) = (v for k, v in doc["provider_schemas"].items() if k.endswith("hashicorp/aws"))
    return {
        "resource": set(provider.get("resource_schemas", {})),
        "data": set(provider.get("data_source_schemas", {})),
    }


def test_the_hcl_uses_types_of_several_services():
    used = hcl_types()
    assert {"aws_instance", "aws_db_instance", "aws_s3_bucket"} <= used["resource"]
    assert "aws_iam_policy_document" in used["data"]


@pytest.mark.toolchain
@pytest.mark.parametrize("kind", ["resource", "data"])
def test_every_type_the_hcl_uses_is_in_the_built_provider(schema, kind):
    missing = sorted(hcl_types()[kind] - schema[kind])
    index = (Builder().provider_index() or {}).get("all", {})
    hints = [f"{name} (service {index.get(name, '?')!r})" for name in missing]
    assert not missing, (
        f"{kind} types missing from the built aws provider: {', '.join(hints)}. Add the "
        "service to `services` in toolchain.toml and run `make toolchain`."
    )


@pytest.mark.toolchain
def test_the_default_build_is_lean():
    index = Builder().provider_index()
    assert index is not None, "the aws provider was built without a service list"
    aws = next(p for p in load_pins()["providers"] if p["source"] == "hashicorp/aws")
    assert index["services"] == sorted(aws["services"])
    assert 3 * len(index["built"]) < len(index["all"]), "the lean build is not lean"


# --------------------------------------------------------- the two generated files


REGISTRY = f"""package sdkv2

import (
\t"context"

\t"{lean_provider.MODULE}/internal/conns"
\t"{lean_provider.MODULE}/internal/service/ec2"
\t"{lean_provider.MODULE}/internal/service/s3"
\t"{lean_provider.MODULE}/internal/service/sagemaker"
)

func servicePackages(ctx context.Context) []conns.ServicePackage {{
\tv := []conns.ServicePackage{{
\t\tec2.ServicePackage(ctx),
\t\ts3.ServicePackage(ctx),
\t\tsagemaker.ServicePackage(ctx),
\t}}
\treturn v
}}
"""

ACCESSORS = """package conns

import (
\t"context"

\t"github.com/aws/aws-sdk-go-v2/service/ec2"
\t"github.com/aws/aws-sdk-go-v2/service/sagemaker"
)

func (c *AWSClient) EC2Client(ctx context.Context) *ec2.Client {
\treturn nil
}

func (c *AWSClient) SageMakerClient(ctx context.Context) *sagemaker.Client {
\treturn nil
}
"""


def test_registry_keeps_only_the_chosen_services():
    text = lean_provider.filter_registry(REGISTRY, {"ec2", "s3"})
    assert "sagemaker" not in text
    assert "ec2.ServicePackage(ctx)" in text and '/internal/service/s3"' in text


def test_accessors_keep_only_what_is_called_and_the_imports_they_need():
    text = lean_provider.filter_accessors(ACCESSORS, "conn := meta.EC2Client(ctx)")
    assert "func (c *AWSClient) EC2Client" in text
    assert '"github.com/aws/aws-sdk-go-v2/service/ec2"' in text
    assert "sagemaker" not in text.lower()


def test_an_unknown_service_is_a_clear_error(tmp_path):
    (tmp_path / lean_provider.SERVICE_DIR / "ec2").mkdir(parents=True)
    with pytest.raises(lean_provider.LeanBuildError, match="does not have: ec3"):
        lean_provider.prepare(tmp_path, ["ec2", "ec3"], tmp_path / "work")
