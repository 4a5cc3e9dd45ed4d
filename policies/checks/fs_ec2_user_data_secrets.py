"""CKV_FS_14: no secrets in EC2 user_data, including rendered template files.

checkov's CKV_AWS_46 (and the secrets framework) see a key written inline in
``user_data`` but not the same key in a ``.tftpl``/``.sh`` file that
``templatefile()``/``file()`` renders.  This check scans:

1. the user_data / user_data_base64 expression itself (inline heredocs,
   ``base64encode("...")``, base64/gzip literals, values passed to
   ``templatefile()``);
2. every file named by ``templatefile()``, ``file()`` or ``filebase64()`` in
   it, also under ``base64gzip()``/``base64encode()``: ``${path.module}`` is
   the resource's module directory, ``${path.root}``/``${path.cwd}`` the root
   module of each caller, relative paths are tried against both.  A path built
   from a variable checkov could not resolve is looked up by its literal tail
   (``deploy/user_data.sh.tftpl``) in the module directory and its ancestors
   (``<dir>/<tail>``, ``<dir>/*/<tail>``, nearest first);
3. the template-like files (``*.tftpl *.tpl *.tmpl *.sh *.sh.tpl``) in the
   module directory, its ``templates/ scripts/ files/ user_data/ deploy/``
   sub-folders, and the folders of every file found in 2.

Secrets: AWS access key ids (AKIA/ASIA + 16), ``aws_secret_access_key`` with a
40-character value, PEM private keys, ``*password*/*secret*/*pwd*`` names set
to a literal (``$VAR``, ``${tpl}`` and ``$(command)`` values are references and
pass; names ending in ``_param``/``_name``/``_arn``/``_path``/``_file``/... hold
a reference, not a secret), ``IDENTIFIED BY '<literal>'``, and secrets handed
to ``templatefile()`` as variables (``random_password.*.result``,
``*.secret_string``, ``aws_ssm_parameter.*.value``, a key named like a
password).  A referenced template that cannot be found fails: the gate cannot
prove it clean.
"""

from __future__ import annotations

import os
from typing import Any

import fs_policy_lib as lib
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

USER_DATA_KEYS = ("user_data", "user_data_base64")


def _display(path: str) -> str:
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path
    return path if rel.startswith("../..") else rel


class UserDataHasNoSecrets(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="EC2 user_data (inline or rendered from a template file) holds no secrets",
            id="CKV_FS_14",
            categories=[CheckCategories.SECRETS],
            supported_resources=["aws_instance", "aws_launch_template", "aws_launch_configuration"],
            guideline="policies/README.md#ckv_fs_14",
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        self.evaluated_keys = list(USER_DATA_KEYS)
        expressions = [
            (key, str(value))
            for key in USER_DATA_KEYS
            for value in lib.flatten(conf.get(key))
            if value is not None and not isinstance(value, (dict, bool))
        ]
        if not expressions:
            return CheckResult.PASSED
        findings: list[str] = []

        # the expression, plus the locals/variables it goes through (checkov leaves
        # ``base64gzip(local.user_data)`` unrendered when the local is complex)
        chained: list[str] = []
        for idx, _ in lib.entity_nodes(self, conf):
            for key in USER_DATA_KEYS:
                chained += lib.referenced_expressions(self, idx, key)
        texts = [(key, expression) for key, expression in expressions] + [
            ("user_data", c) for c in chained
        ]

        # 1. the expressions themselves
        for key, expression in texts:
            findings += [f"{key}: {desc}" for _, desc in lib.find_secrets(expression)]
            for blob in lib.decoded_blobs(expression):
                findings += [
                    f"{key} (base64 literal): {desc}" for _, desc in lib.find_secrets(blob)
                ]
            findings += [f"{key}: {desc}" for desc in lib.secret_template_variables(expression)]

        # 2. + 3. files on disk
        files: set[str] = set()
        missing: set[str] = set()
        for file_path, roots in lib.entity_locations(self, conf):
            if not file_path.endswith(".tf"):
                continue  # a plan (JSON): user_data there is already rendered (or hashed)
            module_dir = os.path.dirname(file_path)
            var_values = lib.module_variable_values(self, module_dir)
            for _, expression in texts:
                found, unresolved = lib.resolve_file_references(
                    expression, file_path, roots, var_values
                )
                files.update(found)
                missing.update(unresolved)
            # every template the module renders, wherever its result goes
            source = lib.module_source_text(module_dir)
            found, unresolved = lib.resolve_file_references(source, file_path, roots, var_values)
            files.update(found)
            templates = {
                m.group(2)
                for m in lib.FILE_FUNCTION.finditer(source)
                if m.group(1) == "templatefile"
            }
            missing.update(ref for ref in unresolved if ref in templates)
            files.update(lib.template_files_in(module_dir))
        for path in list(files):
            files.update(lib.template_files_in(os.path.dirname(path)))
        for path in sorted(files):
            text = lib.read_text(path)
            findings += [
                f"{_display(path)}:{line}: {desc}" for line, desc in lib.find_secrets(text)
            ]
            for blob in lib.decoded_blobs(text):
                findings += [
                    f"{_display(path)} (base64): {desc}" for _, desc in lib.find_secrets(blob)
                ]

        if findings:
            self.details.extend(dict.fromkeys(findings))
            return CheckResult.FAILED
        if missing:
            self.details.extend(f"cannot locate {ref!r} to scan it" for ref in sorted(missing))
            return CheckResult.FAILED
        return CheckResult.PASSED


check = UserDataHasNoSecrets()
