"""CKV_FS_14: no secret reaches EC2 user_data, by value or written in clear.

checkov's secrets framework (``CKV_SECRET_*``, every file of a root with
``enable-secret-scan-all-files``) and CKV_AWS_46 find keys and high-entropy strings.
Two things they cannot see, which this check follows from the ``user_data`` /
``user_data_base64`` expression through the locals, module arguments and outputs it
goes through (checkov's graph, across modules: ``fs_lib.walk``):

* a secret that is written nowhere: a generated password handed to ``templatefile()``
  (``random_password.*.result``, ``*.secret_string``, ``aws_ssm_parameter.*.value``,
  ``tls_private_key.*.private_key*``, ``aws_iam_access_key.*.secret``), or a template
  variable named like a secret (``*password``, ``*secret``, ``*token``...; a name such
  as ``db_password_parameter`` or ``secret_arn`` holds a reference and passes);
* a password a person chose, written in clear (``DB_PASSWORD='Summer2024!'``): too
  little entropy for the secrets framework.  Looked for (``fs_secrets``) in every text
  on the way -- the expression, locals, a module argument written inline -- and in
  every file that ``templatefile()``/``file()`` renders there.

In a plan the rendered user_data is read instead (``user_data_base64`` decoded).

Fail closed: a rendered file that cannot be found (``templatefile(var.path, ...)``
with nothing at the path's literal tail) leaves the instance UNKNOWN, never PASSED.
"""

from __future__ import annotations

import os
import re
from typing import Any

import fs_lib as lib
import fs_secrets as secrets
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

USER_DATA_KEYS = ("user_data", "user_data_base64")
SECRET_VALUE = re.compile(
    r"\brandom_password\.[\w-]+(?:\[[^\]]*\])?\.(?:result|bcrypt_hash)\b"
    r"|\.secret_string\b"
    r"|\baws_ssm_parameter\.[\w-]+(?:\[[^\]]*\])?\.(?:value|insecure_value)\b"
    r"|\btls_private_key\.[\w-]+(?:\[[^\]]*\])?\.private_key"
    r"|\baws_iam_access_key\.[\w-]+(?:\[[^\]]*\])?\.secret\b"
)
# a key of templatefile()'s variables (as checkov renders them: 'name': value)
SECRET_NAME = re.compile(
    r"""['"]?\b(\w*(?:password|passwd|passphrase|secret|private_key|access_key|api_key|token))['"]?\s*[:=]""",
    re.IGNORECASE,
)


def _display(path: str) -> str:
    rel = os.path.relpath(path)
    return path if rel.startswith("../..") else rel


class UserDataGetsNoSecret(BaseResourceCheck):
    def __init__(self) -> None:
        name = "EC2 user_data is given no secret (generated passwords, passwords in clear)"
        super().__init__(
            **lib.meta("CKV_FS_14", name, CheckCategories.SECRETS),
            supported_resources=["aws_instance", "aws_launch_template", "aws_launch_configuration"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        self.evaluated_keys = list(USER_DATA_KEYS)
        own = [str(v) for key in USER_DATA_KEYS for v in lib.flatten(conf.get(key))]
        if not own:
            return CheckResult.PASSED
        if lib.in_plan(self):  # the rendered user_data itself
            return self._rendered(conf)
        nodes = lib.entity_nodes(self, conf)
        # (the directory the text is written in, the text)
        here = next((str(lib.node(self, i).get("file_path_")) for i in nodes), "")
        texts = [(os.path.dirname(here), t) for t in own]
        trail: list[Any] = []
        for key in USER_DATA_KEYS:
            lib.walk(self, nodes, key, trail)
        texts += [
            (os.path.dirname(str(node.get("file_path_"))), str(value))
            for node, value in trail
            for value in lib.flatten(value)
        ]
        problems = [
            f"{m.group(0)} is rendered into user_data"
            for _, t in texts
            for m in SECRET_VALUE.finditer(t)
        ]
        unresolved: list[str] = []
        for directory, text in texts:
            if "templatefile(" in text:
                variables = text.split("templatefile(", 1)[1]
                problems += [
                    f"template variable {m.group(1)!r} passes a secret into user_data"
                    for m in SECRET_NAME.finditer(variables)
                    if not secrets.REFERENCE_NAME.search(m.group(1))
                ]
            problems += [f"user_data: {desc}" for _, desc in secrets.literal_secrets(text)]
            for reference in secrets.file_references(text):
                found = secrets.locate(reference, directory)
                if not found:
                    unresolved.append(f"the file {reference!r} rendered into user_data")
                for path in found:
                    problems += [
                        f"{_display(path)}:{line}: {desc}"
                        for line, desc in secrets.literal_secrets(secrets.read(path))
                    ]
        return lib.verdict(self, problems, unresolved)

    def _rendered(self, conf: dict[str, Any]) -> CheckResult:
        """In a plan: user_data_base64 decoded (gzip too); user_data the provider keeps
        as a hash cannot be read (UNKNOWN)."""
        problems, unresolved = [], []
        for value in lib.flatten(conf.get("user_data_base64")):
            text = secrets.decode(str(value))
            if text is None:
                unresolved.append("user_data_base64 that is not base64")
            problems += [f"user_data:{n}: {d}" for n, d in secrets.literal_secrets(text or "")]
        for value in lib.flatten(conf.get("user_data")):
            if re.fullmatch(r"[0-9a-f]{40}", str(value)):
                unresolved.append("user_data (the plan holds its hash)")
            else:
                problems += [f"user_data:{n}: {d}" for n, d in secrets.literal_secrets(str(value))]
        return lib.verdict(self, problems, unresolved)


check = UserDataGetsNoSecret()
