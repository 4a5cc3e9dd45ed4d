"""Planned inventories: what each root module would create, compared with a committed YAML.

The cloud-foundation-fabric way: tftest plans a root (each environment, each module
example) in a working copy, with no cloud; the plan comes down to its inventory (the
address of every resource it would create, plus the few attributes that say what a
resource is) and is compared with ``tests/inventory/<root>.yaml``. It owns no rule that
another layer owns (values and validations: ``tofu test``; security: checkov); it
catches resources appearing or vanishing in a pull request. On a difference the message
names them and gives the command that regenerates the YAML.

Where a root plans, by what its data sources need:

* offline (module examples, ``tests/unit``): fake keys, every ``skip_*`` setting, every
  endpoint at a closed loopback port (a data source that calls an API fails at once
  instead of reaching AWS), a local backend, the AMI as an input;
* on the emulator (environments, ``tests/integration``): modules/storage reads
  ``aws_caller_identity`` and modules/network ``aws_availability_zones`` in every
  environment, which no input bypasses. The AMI is still an input.

    python -m harness.stack.plan_inventory                         # compare every root
    python -m harness.stack.plan_inventory --update                # regenerate every YAML
    python -m harness.stack.plan_inventory --update environments/dev

Roots on the emulator start one (``EMULATOR_URL`` attaches to a running one instead).
"""

from __future__ import annotations

import argparse
import contextlib
import fnmatch
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import tftest
import yaml

from harness.emulator.clients import cli_env
from harness.emulator.launcher import moto_from_env
from harness.paths import APP_DIR, ENVIRONMENTS_DIR, MODULES_DIR, REPO_ROOT, WORKING_COPY_IGNORE
from harness.stack.override import EMULATED_SERVICES, OVERRIDE_FILE, emulator_override

INVENTORY_DIR = REPO_ROOT / "tests" / "inventory"
UPDATE_COMMAND = ".venv/bin/python -m harness.stack.plan_inventory --update"

# What a plan with no cloud needs of the inputs: fixed, documentation-range values.
AMI_ID = "ami-0123456789abcdef0"
INPUTS = {
    "environments/*": {
        "run_id": "inventory",
        "operator_cidr": "203.0.113.10/32",
        "ami_id": AMI_ID,
    },
    "modules/compute/examples/standalone": {
        "subnet_id": "subnet-0123456789abcdef0",
        "security_group_ids": ["sg-0123456789abcdef0"],
        "instance_profile_name": "compute-example",
        "ami_id": AMI_ID,
    },
}
# Roots whose data sources call an API whatever the inputs (see the module docstring).
EMULATOR_ROOTS = ("environments/*",)

# The attributes that say what a resource is; every other one belongs to another layer.
ATTRIBUTES = {
    "aws_instance": ("ami", "instance_type"),
    "aws_db_instance": ("engine", "engine_version", "instance_class"),
}
UNKNOWN = "(known after apply)"

# Nothing listens on port 1: an API call fails at once, and never leaves the machine.
CLOSED_ENDPOINT = "http://127.0.0.1:1"
CLI_ENV = {**cli_env(), "TF_INPUT": "0"}
# Settings of the caller's own AWS account that must not reach a plan with no cloud.
DROPPED_ENV = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE")


@dataclass(frozen=True)
class Root:
    """A root module that plans: an environment or a module example."""

    name: str  # its path in the repository, e.g. "environments/dev"

    def __str__(self) -> str:
        return self.name

    @property
    def source(self) -> Path:
        return REPO_ROOT / self.name

    @property
    def inventory_path(self) -> Path:
        return INVENTORY_DIR / f"{self.name}.yaml"

    @property
    def on_emulator(self) -> bool:
        return any(fnmatch.fnmatch(self.name, p) for p in EMULATOR_ROOTS)

    @property
    def tf_vars(self) -> dict:
        found = [v for pattern, v in INPUTS.items() if fnmatch.fnmatch(self.name, pattern)]
        if not found:
            raise KeyError(f"{self.name}: no plan inputs; add them to INPUTS in {__name__}")
        return found[0]

    @property
    def update_command(self) -> str:
        return f"{UPDATE_COMMAND} {self.name}"


def roots() -> list[Root]:
    """Every environment and every module example, in a stable order."""
    found = sorted(ENVIRONMENTS_DIR.glob("*/main.tf")) + sorted(
        MODULES_DIR.glob("*/examples/*/main.tf")
    )
    return [Root(str(p.parent.relative_to(REPO_ROOT))) for p in found]


# ---------------------------------------------------------------------------- plan


def offline_override(state_path: Path) -> str:
    endpoints = "\n".join(f'    {svc:<14} = "{CLOSED_ENDPOINT}"' for svc in EMULATED_SERVICES)
    return f"""# Written by harness/stack/plan_inventory.py: a plan with no cloud.
provider "aws" {{
  access_key                  = "testing"
  secret_key                  = "testing"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
  max_retries                 = 1

  endpoints {{
{endpoints}
  }}
}}

terraform {{
  backend "local" {{
    path = "{state_path}"
  }}
}}
"""


@contextlib.contextmanager
def working_copy(root: Root, endpoint: str | None = None) -> Iterator[Path]:
    """The root in a temporary copy (modules/ and app/ beside it, in the repository's
    layout) with the override file; deleted afterwards. ``endpoint``: the emulator's."""
    ignore = shutil.ignore_patterns(*WORKING_COPY_IGNORE)
    with tempfile.TemporaryDirectory(prefix="plan-inventory-") as tmp:
        work = Path(tmp)
        for folder in (MODULES_DIR, APP_DIR):
            shutil.copytree(folder, work / folder.name, ignore=ignore)
        tfdir = work / root.name
        if not tfdir.exists():
            shutil.copytree(root.source, tfdir, ignore=ignore)
        state = work / "terraform.tfstate"
        text = emulator_override(endpoint, state) if endpoint else offline_override(state)
        (tfdir / OVERRIDE_FILE).write_text(text)
        yield tfdir


@contextlib.contextmanager
def _tempfiles_in(path: Path) -> Iterator[None]:
    """tftest writes its plan file into tempfile's directory and never deletes it."""
    saved = tempfile.tempdir
    tempfile.tempdir = str(path)
    try:
        yield
    finally:
        tempfile.tempdir = saved


def plan(root: Root, toolchain, endpoint: str | None = None) -> tftest.TerraformPlanOutput:
    """tftest's plan of ``root`` (init, then plan and ``show -json``) in a working copy."""
    if root.on_emulator and not endpoint:
        raise ValueError(f"{root} reads data sources that call an API: plan it on the emulator")
    with working_copy(root, endpoint) as tfdir:
        tf = tftest.TerraformTest(
            tfdir,
            binary=str(toolchain.binary),
            env=toolchain.environ(CLI_ENV),
            cache_dir=tfdir.parent / ".tftest-cache",  # else tftest inspects the call stack
        )
        for name in DROPPED_ENV:
            tf.env.pop(name, None)
        tf.setup()
        with _tempfiles_in(tfdir):
            try:
                return tf.plan(output=True, tf_vars=root.tf_vars)
            except tftest.TerraformTestError as exc:
                if endpoint or CLOSED_ENDPOINT.removeprefix("http://") not in str(exc):
                    raise
                raise tftest.TerraformTestError(
                    f"{root}: a data source calls an API, which a plan with no cloud cannot "
                    "answer: give the root an input that bypasses it (as ami_id does for "
                    f"aws_ami), or plan it on the emulator (EMULATOR_ROOTS in {__name__})\n{exc}"
                ) from exc


def inventory(planned: tftest.TerraformPlanOutput) -> dict[str, dict]:
    """{address: {attribute: value}} of every managed resource the plan would create."""
    found: dict[str, dict] = {}
    for address, rc in planned.resource_changes.items():
        if rc.get("mode") != "managed" or rc["change"]["actions"] == ["no-op"]:
            continue
        after = rc["change"].get("after") or {}
        unknown = rc["change"].get("after_unknown") or {}
        found[address] = {
            attr: UNKNOWN if unknown.get(attr) else after.get(attr)
            for attr in ATTRIBUTES.get(rc["type"], ())
        }
    return dict(sorted(found.items()))


# ----------------------------------------------------------------------- the YAML


def dump(root: Root, resources: dict[str, dict]) -> str:
    header = (
        f"# What `plan` creates in {root} ({'on the emulator' if root.on_emulator else 'offline'}):\n"
        "# every resource address, and the attributes that say what it is.\n"
        f"# Generated, do not edit: {root.update_command}\n"
    )
    body = {"root": root.name, "resources": resources}
    return header + yaml.safe_dump(body, sort_keys=False, default_flow_style=False, width=100)


def load(root: Root) -> dict[str, dict] | None:
    """The committed inventory, or None when there is none."""
    if not root.inventory_path.exists():
        return None
    data = yaml.safe_load(root.inventory_path.read_text()) or {}
    return {k: v or {} for k, v in (data.get("resources") or {}).items()}


def write(root: Root, resources: dict[str, dict]) -> Path:
    root.inventory_path.parent.mkdir(parents=True, exist_ok=True)
    root.inventory_path.write_text(dump(root, resources))
    return root.inventory_path


@dataclass
class Difference:
    """What the plan has that the committed YAML has not, and the other way round."""

    root: Root
    appeared: list[str] = field(default_factory=list)
    vanished: list[str] = field(default_factory=list)
    changed: dict[str, tuple[dict, dict]] = field(default_factory=dict)
    missing_file: bool = False

    def __bool__(self) -> bool:
        return bool(self.appeared or self.vanished or self.changed or self.missing_file)

    def report(self) -> str:
        path = self.root.inventory_path
        rel = path.relative_to(REPO_ROOT) if path.is_relative_to(REPO_ROOT) else path
        if self.missing_file:
            lines = [f"{self.root}: no committed inventory ({rel})"]
        else:
            lines = [f"{self.root}: the plan differs from {rel}"]
        lines += [f"  + {a}  (appeared)" for a in self.appeared]
        lines += [f"  - {a}  (vanished)" for a in self.vanished]
        lines += [f"  ~ {a}: {was} -> {now}" for a, (was, now) in sorted(self.changed.items())]
        lines.append(f"If the change is intended, regenerate the YAML: {self.root.update_command}")
        return "\n".join(lines)


def compare(root: Root, planned: dict[str, dict], committed: dict[str, dict] | None) -> Difference:
    if committed is None:
        return Difference(root, appeared=sorted(planned), missing_file=True)
    return Difference(
        root,
        appeared=sorted(set(planned) - set(committed)),
        vanished=sorted(set(committed) - set(planned)),
        changed={
            a: (committed[a], planned[a])
            for a in sorted(set(planned) & set(committed))
            if committed[a] != planned[a]
        },
    )


# ----------------------------------------------------------------------------- CLI


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m harness.stack.plan_inventory", description=__doc__
    )
    parser.add_argument("--update", action="store_true", help="write the YAML of each root")
    parser.add_argument("roots", nargs="*", help="e.g. environments/dev (default: every root)")
    args = parser.parse_args(argv)
    known = {r.name: r for r in roots()}
    unknown = [r for r in args.roots if r.rstrip("/") not in known]
    if unknown:
        parser.error(f"not a root: {', '.join(unknown)} (roots: {', '.join(known)})")
    selected = [known[r.rstrip("/")] for r in args.roots] or list(known.values())

    from harness.toolchain.locate import get_toolchain

    toolchain = get_toolchain()
    failed = 0
    with contextlib.ExitStack() as stack:
        endpoint = None
        if any(r.on_emulator for r in selected):
            endpoint = stack.enter_context(moto_from_env()).url
        for root in selected:
            t0 = time.monotonic()
            planned = inventory(plan(root, toolchain, endpoint if root.on_emulator else None))
            took = f"planned in {time.monotonic() - t0:.1f}s"
            if args.update:
                print(f"{root}: {len(planned)} resources ({took}) -> {write(root, planned)}")
                continue
            diff = compare(root, planned, load(root))
            failed += bool(diff)
            print(
                diff.report() if diff else f"{root}: {len(planned)} resources as committed ({took})"
            )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
