"""A lean offline build of terraform-provider-aws: only the services the stack uses.

The provider compiles every one of its ~450 service packages, and every AWS SDK client,
because two generated files name them all:

* ``internal/provider/sdkv2/service_packages_gen.go``: the registry of service packages
  (imports ``internal/service/<name>`` for every service);
* ``internal/conns/awsclient_gen.go``: one client accessor per service
  (imports ``github.com/aws/aws-sdk-go-v2/service/<name>`` for every service).

Nothing else imports them wholesale. So the build leaves the pinned source as it is and
hands ``go build -overlay`` two generated replacements: the registry with the chosen
services only, and the accessors that the compiled packages actually call. Go refuses
overlays beneath GOMODCACHE, so the source is first mirrored with hard links (no bytes
copied) into the toolchain cache.

The list of services is data (``services`` in toolchain.toml); ``tests/unit/harness/
test_provider_schema.py`` proves it covers every resource type the HCL uses, and names
the service to add when it does not. ``FILESTORE_PROVIDER_SERVICES=all`` builds the full
provider. This belongs upstream as a build tag or a generator flag
(``internal/generate/servicepackages``): the same two files, filtered.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

MODULE = "github.com/hashicorp/terraform-provider-aws"
REGISTRY = Path("internal/provider/sdkv2/service_packages_gen.go")
ACCESSORS = Path("internal/conns/awsclient_gen.go")
SERVICE_DIR = Path("internal/service")
TYPE_INDEX = "aws-resource-types.json"

_IMPORT_BLOCK = re.compile(r"^import\s*\((.*?)^\)", re.S | re.M)
_IMPORT_LINE = re.compile(r'^import\s+(?:\w+\s+)?"([^"]+)"', re.M)
_QUOTED = re.compile(r'"([^"]+)"')
_ACCESSOR = re.compile(r"^func \(c \*AWSClient\) (\w+)\(", re.M)
_TYPE_NAME = re.compile(r'TypeName:\s+"(aws_[a-z0-9_]+)"')
_NAMES_CONST = re.compile(r'^\s+(\w+)\s+= "(\w+)"$', re.M)
# A client accessor builds its client through the service package registered under
# names.X, and code may look a service package up by name: both need it registered.
_NEEDS_PACKAGE = re.compile(r"(?:client\[[^\]]+\]\(ctx, c, |ServicePackage\(ctx, )names\.(\w+)")


class LeanBuildError(RuntimeError):
    pass


def available_services(src: Path) -> list[str]:
    return sorted(p.name for p in (src / SERVICE_DIR).iterdir() if p.is_dir())


def filter_registry(text: str, services: set[str]) -> str:
    """The registry with only ``services``' imports and ``X.ServicePackage(ctx)`` entries."""
    kept = []
    for line in text.splitlines(keepends=True):
        m = re.match(rf'\s+"{MODULE}/internal/service/(\w+)"', line) or re.match(
            r"\s+(\w+)\.ServicePackage\(ctx\),", line
        )
        if m and m.group(1) not in services:
            continue
        kept.append(line)
    return "".join(kept)


def _imports(go_file: Path) -> list[str]:
    text = go_file.read_text(errors="replace")
    found = _IMPORT_LINE.findall(text)
    for block in _IMPORT_BLOCK.findall(text):
        found.extend(_QUOTED.findall(block))
    return found


def own_packages(src: Path, registry_text: str) -> list[Path]:
    """The provider's own package directories reachable from ``main.go`` (tests excluded),
    with the registry as filtered: the packages the lean binary compiles."""
    todo, seen = [src], set()
    while todo:
        pkg = todo.pop()
        if pkg in seen:
            continue
        seen.add(pkg)
        for go_file in pkg.glob("*.go"):
            if go_file.name.endswith("_test.go"):
                continue
            if go_file == src / REGISTRY:
                paths = _QUOTED.findall(_IMPORT_BLOCK.search(registry_text).group(1))
            else:
                paths = _imports(go_file)
            for path in paths:
                if path.startswith(MODULE + "/"):
                    todo.append(src / path.removeprefix(MODULE + "/"))
    return sorted(seen)


def filter_accessors(text: str, used_in: str) -> str:
    """``awsclient_gen.go`` with only the accessors that ``used_in`` calls, and the SDK
    imports those accessors need."""
    head, sep, body = text.partition("\nfunc ")
    blocks = [f"func {b}" for b in (sep and body).split("\nfunc ")] if sep else []
    kept = []
    for block in blocks:
        m = _ACCESSOR.match(block)
        if m and not re.search(rf"\.{m.group(1)}\b", used_in):
            continue
        kept.append(block)
    code = "\n".join(kept)
    header = []
    for line in head.splitlines(keepends=True):
        m = re.match(r'\s+(?:(\w+)\s+)?"github.com/aws/aws-sdk-go-v2/service/(\w+)"', line)
        if m and not re.search(rf"\b{m.group(1) or m.group(2)}\.", code):
            continue
        header.append(line)
    return "".join(header) + "\n" + code


def type_index(src: Path, services: list[str] | None = None) -> dict[str, str]:
    """Every resource and data source type the pinned source defines -> its service."""
    index = {}
    for name in services or available_services(src):
        gen = src / SERVICE_DIR / name / "service_package_gen.go"
        if gen.exists():
            for type_name in _TYPE_NAME.findall(gen.read_text()):
                index.setdefault(type_name, name)
    return index


def mirror_source(module_dir: Path, dest: Path) -> Path:
    """A hard-linked copy of the module (Go allows no overlay beneath GOMODCACHE)."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["cp", "-al", str(module_dir), str(dest)], check=True)
    for path in [
        dest,
        *dest.rglob("*"),
    ]:  # the module cache is read-only; the copy's dirs need not be
        if path.is_dir():
            path.chmod(0o755)
    return dest


def prepare(src: Path, services: list[str], work: Path) -> tuple[Path, list[str]]:
    """Write the two replacements and the overlay file into ``work``.

    Returns the overlay and the services registered: the ones asked for, plus every
    service whose client or package the compiled code reaches (the provider builds a
    client through its service package, so e.g. S3's tag reading needs s3control
    registered), found by iterating to a fixed point.
    """
    available = set(available_services(src))
    unknown = sorted(set(services) - available)
    if unknown:
        raise LeanBuildError(
            f"toolchain.toml names services the provider does not have: {', '.join(unknown)} "
            f"(they are the folder names under {SERVICE_DIR}/ of {MODULE})"
        )
    consts = dict(_NAMES_CONST.findall((src / "names" / "consts_gen.go").read_text()))
    registered = set(services)
    while True:
        registry = filter_registry((src / REGISTRY).read_text(), registered)
        corpus = "\n".join(
            f.read_text(errors="replace")
            for pkg in own_packages(src, registry)
            for f in pkg.glob("*.go")
            if not f.name.endswith("_test.go") and f != src / ACCESSORS
        )
        accessors = filter_accessors((src / ACCESSORS).read_text(), corpus)
        needed = {consts.get(c, "") for c in _NEEDS_PACKAGE.findall(accessors + corpus)}
        needed &= available
        if needed <= registered:
            break
        registered |= needed
    work.mkdir(parents=True, exist_ok=True)
    replace = {}
    for rel, text in ((REGISTRY, registry), (ACCESSORS, accessors)):
        out = work / rel.name
        out.write_text(text)
        replace[str(src / rel)] = str(out)
    overlay = work / "overlay.json"
    overlay.write_text(json.dumps({"Replace": replace}, indent=1))
    return overlay, sorted(registered)
