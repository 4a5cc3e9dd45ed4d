"""The web server: IMDSv2 only, encrypted root volume, Ubuntu from Canonical, and a
user_data rendered with templatefile() from app/deploy/user_data.sh.tftpl that carries
no secret (the database password travels as the *name* of its SSM parameter)."""

from __future__ import annotations

import re

import pytest
from hclmodel import ENVIRONMENTS, REPO_ROOT, Expr, call_arguments, object_items

TEMPLATE = REPO_ROOT / "app" / "deploy" / "user_data.sh.tftpl"

# the password itself, as opposed to the name or ARN of the parameter holding it
SECRET_REF = re.compile(
    r"random_password\.\w+(\[[^\]]*\])?\.(result|bcrypt_hash)"
    r"|aws_ssm_parameter\.\w+(\[[^\]]*\])?\.(value|insecure_value)"
    r"|module\.database\.password\b"
    r"|var\.\w*(password|secret)\b"
)
SECRET_TEXT = {
    "AWS access key id": re.compile(r"\b(AKIA|ASIA|AIDA|AROA)[0-9A-Z]{16}\b"),
    "AWS secret key setting": re.compile(r"(?i)aws_secret_access_key|aws_session_token"),
    "private key": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "password literal": re.compile(
        r"(?i)\b\w*password\s*[:=]\s*(?!\$\{|var\.|local\.|module\.|random_password\.)[\"']?[^\s\"'$]"
    ),
    "MySQL password on a command line": re.compile(r"\bmysql\b[^\n]*\s-p\S"),
}


@pytest.fixture(scope="module")
def instance(stack):
    return stack.resource("compute", "aws_instance")


@pytest.fixture(scope="module")
def template_text() -> str:
    assert TEMPLATE.is_file(), f"{TEMPLATE.relative_to(REPO_ROOT)} missing"
    return TEMPLATE.read_text(encoding="utf-8")


def _templatefile_call(stack) -> tuple[str, dict[str, str]]:
    """(path argument, {template variable: expression}) of the compute module's one
    templatefile() call."""
    compute = stack.module("compute")
    calls = [str(v) for v in compute.locals.values() if "templatefile(" in str(v)]
    calls += [r.text for r in compute.resources if "templatefile(" in r.text]
    assert len(calls) == 1, f"modules/compute: want one templatefile() call, found {len(calls)}"
    path, variables = call_arguments(calls[0], "templatefile")
    return path, object_items(variables)


def test_imdsv2_is_required(instance):
    md = instance.block("metadata_options")
    assert md.get("http_tokens") == "required", f'{instance.where}: http_tokens = "required"'
    assert md.get("http_endpoint", "enabled") == "enabled", instance.where


def test_root_volume_is_encrypted(instance):
    root = instance.block("root_block_device")
    assert root.get("encrypted") is True, f"{instance.where}: root_block_device.encrypted = true"
    for ebs in instance.blocks("ebs_block_device"):
        assert ebs.get("encrypted") is True, f"{instance.where}: unencrypted ebs_block_device"


def test_instance_uses_the_given_network_and_profile(instance):
    assert instance["subnet_id"] == Expr("var.subnet_id"), instance.where
    assert instance["vpc_security_group_ids"] == Expr("var.security_group_ids"), instance.where
    assert instance["iam_instance_profile"] == Expr("var.instance_profile_name"), instance.where


def test_ami_is_ubuntu_2404_from_canonical(stack):
    ami = stack.module("compute").data_source("aws_ami")
    assert ami["owners"] == ["099720109477"], f"{ami.where}: owner must be Canonical"
    names = [f["values"] for f in ami.blocks("filter") if f["name"] == "name"]
    assert names and all(re.search(r"ubuntu-noble-24\.04-amd64-server", n[0]) for n in names), (
        f"{ami.where}: name filter must select Ubuntu 24.04 LTS amd64"
    )
    assert ami.get("most_recent") is True, ami.where


def test_user_data_is_rendered_from_the_template(stack, instance):
    keys = [k for k in ("user_data", "user_data_base64") if k in instance]
    assert keys, f"{instance.where}: no user_data"
    rendered = stack.module("compute").expand(instance[keys[0]])
    assert "templatefile(" in rendered and "/deploy/user_data.sh.tftpl" in rendered, (
        f"{instance.where}: {keys[0]} is not rendered with templatefile() from "
        f"deploy/user_data.sh.tftpl: {rendered[:200]}"
    )
    path, _ = _templatefile_call(stack)
    assert path == '"${var.app_source_dir}/deploy/user_data.sh.tftpl"', path


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_environment_points_compute_at_the_app(stack, env):
    root = stack.env(env)
    src = root.resolve(root.effective("compute", "app_source_dir"))
    assert src == "${path.root}/../../app", f"{root.module_calls['compute'].where}: {src!r}"


def test_template_variables_are_all_passed(stack, template_text):
    _, variables = _templatefile_call(stack)
    used = set(re.findall(r"(?<!\$)\$\{\s*([A-Za-z_]\w*)", template_text))
    used |= set(
        re.findall(r"(?<!%)%\{\s*(?:if|for\s+\w+\s+in)\s+!?\s*([A-Za-z_]\w*)", template_text)
    )
    missing = used - set(variables)
    assert not missing, f"{TEMPLATE.name} uses {sorted(missing)}, not passed by templatefile()"


def test_template_variables_carry_no_secret(stack):
    compute = stack.module("compute")
    _, variables = _templatefile_call(stack)
    for name, expr in variables.items():
        assert not re.search(r"password|secret", name, re.I), f"template variable {name}"
        text = compute.expand(expr)
        assert not SECRET_REF.search(text), f"modules/compute: template variable {name} = {text}"


def test_app_gets_the_password_parameter_name_only(stack):
    compute = stack.module("compute")
    env_text = compute.expand(Expr("local.app_environment"))
    assert re.search(r"FILESTORE_DB_PASSWORD_PARAM\s*=\s*var\.db_password_parameter_name", env_text)
    assert not re.search(r"FILESTORE_DB_PASSWORD\s*=", env_text), (
        "modules/compute: the app environment must not carry FILESTORE_DB_PASSWORD"
    )


def test_compute_takes_no_secret_input(stack):
    for var in stack.module("compute").variables.values():
        if re.search(r"password|secret", var.name):
            assert re.search(r"_parameter_(name|arn)$", var.name), (
                f"{var.where}: compute must take the password parameter's name, not a secret"
            )


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_environment_passes_the_parameter_name_not_the_password(stack, env):
    root = stack.env(env)
    call = root.module_calls["compute"]
    assert call["db_password_parameter_name"] == Expr("module.database.password_parameter_name")
    for arg, value in call.body.items():
        text = root.expand(value)
        assert not SECRET_REF.search(text), f"{call.where}: {arg} = {text}"


@pytest.mark.parametrize("name", sorted(SECRET_TEXT))
def test_template_has_no_secret(template_text, name):
    hits = [
        f"{TEMPLATE.name}:{n}: {line.strip()}"
        for n, line in enumerate(template_text.splitlines(), 1)
        if SECRET_TEXT[name].search(line)
    ]
    assert not hits, f"{name} in the user_data template:\n" + "\n".join(hits)


@pytest.mark.parametrize("name", sorted(SECRET_TEXT))
def test_hcl_has_no_secret(stack, name):
    hits = []
    for root in stack.roots.values():
        for fname, text in root.sources.items():
            for n, line in enumerate(text.splitlines(), 1):
                if SECRET_TEXT[name].search(line.split("#", 1)[0]):
                    hits.append(f"{root.path}/{fname}:{n}: {line.strip()}")
        for key, value in (root.tfvars_example or {}).items():
            if re.search(r"password|secret", key, re.I) or (
                isinstance(value, str) and SECRET_TEXT[name].search(value)
            ):
                hits.append(f"{root.path}/terraform.tfvars.example: {key}")
    assert not hits, f"{name}:\n" + "\n".join(hits)


APP_STEPS = {
    "fails fast": r"^set -euo pipefail$",
    "creates the schema": r"flask\"? --app app init-db",
    "runs the app under gunicorn": r"gunicorn .*'app:create_app\(\)'",
    "as a systemd service": r"systemctl enable [\w.-]+\.service",
    "started at boot": r"systemctl (re)?start [\w.-]+\.service",
}


@pytest.mark.parametrize("step", list(APP_STEPS))
def test_template_installs_and_starts_the_app(template_text, step):
    """No manual step: user_data installs the app, creates the schema and starts it."""
    assert re.search(APP_STEPS[step], template_text, re.M), f"{TEMPLATE.name}: no step: {step}"
