"""RDS MySQL: private, encrypted, in the private subnets, with a generated password that
lives in an SSM SecureString and in no output."""

from __future__ import annotations

import re

import pytest
from hclmodel import ENVIRONMENTS, Expr

# a value that carries the password itself (not the name or ARN of its parameter)
SECRET_REF = re.compile(
    r"random_password\.[a-z0-9_]+(\[[^\]]*\])?\.(result|bcrypt_hash)"
    r"|aws_ssm_parameter\.[a-z0-9_]+(\[[^\]]*\])?\.(value|insecure_value)"
    r"|\.password\b"
)


@pytest.fixture(scope="module")
def db(stack):
    return stack.resource("database", "aws_db_instance")


def test_engine_is_mysql(db):
    assert db["engine"] == "mysql", db.where


def test_not_publicly_accessible(db):
    assert db.get("publicly_accessible") is False, f"{db.where}: publicly_accessible = false"


def test_storage_encrypted(db):
    assert db.get("storage_encrypted") is True, f"{db.where}: storage_encrypted = true"


def test_in_a_subnet_group_over_the_given_subnets(stack, db):
    group = stack.resource("database", "aws_db_subnet_group")
    assert db["db_subnet_group_name"] == Expr(f"aws_db_subnet_group.{group.name}.name"), (
        f"{db.where}: db_subnet_group_name must be the module's subnet group"
    )
    assert group["subnet_ids"] == Expr("var.subnet_ids"), group.where
    var = stack.module("database").variables["subnet_ids"]
    conditions = " ".join(str(v["condition"]) for v in var.blocks("validation"))
    assert re.search(r"length\(var\.subnet_ids\)\s*>=\s*2", conditions), (
        f"{var.where}: must require two subnets (two AZs)"
    )


def test_uses_only_the_given_security_groups(db):
    assert db["vpc_security_group_ids"] == Expr("var.security_group_ids"), db.where


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_environment_gives_the_database_its_security_group(stack, env):
    root = stack.env(env)
    assert root.effective("database", "security_group_ids") == [
        Expr("module.security.db_security_group_id")
    ], root.module_calls["database"].where


def test_password_is_generated_by_random_password(stack, db):
    pw = stack.resource("database", "random_password")
    assert db["password"] == Expr(f"random_password.{pw.name}.result"), (
        f"{db.where}: password must be random_password.{pw.name}.result"
    )
    assert pw["length"] >= 16, f"{pw.where}: length {pw['length']} < 16"
    for manual in ("password_wo", "manage_master_user_password"):
        assert manual not in db, f"{db.where}: unexpected {manual}"


def test_password_is_stored_in_an_ssm_securestring(stack):
    pw = stack.resource("database", "random_password")
    params = [
        p
        for p in stack.resources(module="database", type="aws_ssm_parameter")
        if p.get("value") == Expr(f"random_password.{pw.name}.result")
    ]
    assert len(params) == 1, "modules/database: no aws_ssm_parameter holds the password"
    assert params[0]["type"] == "SecureString", f"{params[0].where}: type must be SecureString"
    assert params[0]["name"] == Expr("var.password_parameter_name"), params[0].where


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_password_parameter_name_follows_the_contract(stack, env):
    root = stack.env(env)
    name = root.resolve(root.effective("database", "password_parameter_name"))
    assert name == "/${var.project}/${local.environment}/${var.run_id}/db/password", (
        f"{root.module_calls['database'].where}: password_parameter_name is {name!r}"
    )


def test_no_output_exposes_the_password(stack):
    """An output carrying the password must at least be ``sensitive = true`` (the
    contract, docs/CONTRACTS.md, goes further: it is never output)."""
    exposed = []
    for root in stack.roots.values():
        for out in root.outputs.values():
            text = root.expand(out["value"])
            if SECRET_REF.search(text) and out.get("sensitive") is not True:
                exposed.append(f"{out.where} = {out['value']}")
    assert not exposed, "outputs exposing the database password:\n" + "\n".join(exposed)


def test_sensitive_values_are_not_variables_of_the_environments(stack):
    """Nobody types the password: no environment variable is named like one."""
    for env in stack.environments.values():
        names = [v.where for v in env.variables.values() if re.search("password|secret", v.name)]
        assert not names, f"password-like inputs: {names}"


def test_final_snapshot_is_taken_unless_skipped(stack, db):
    database = stack.module("database")
    assert database.resolve(Expr("var.skip_final_snapshot")) is False, (
        "modules/database: skip_final_snapshot must default to false"
    )
    assert "var.skip_final_snapshot" in str(db["final_snapshot_identifier"]), db.where


@pytest.mark.parametrize(
    "variable, safe",
    [("deletion_protection", True), ("multi_az", True), ("skip_final_snapshot", False)],
)
def test_module_defaults_are_the_safe_ones(stack, variable, safe):
    var = stack.module("database").variables[variable]
    assert var.get("default") is safe, f"{var.where}: default must be {safe}"
