"""CKV_FS_14: no secret *value* is handed to EC2 user_data.

Secrets written in clear -- inline in ``user_data``, or in the template and script
files that ``templatefile()``/``file()`` render, such as
``app/deploy/user_data.sh.tftpl`` -- are found by checkov's secrets framework
(``CKV_SECRET_*``; ``.checkov.yaml`` turns on ``enable-secret-scan-all-files`` so
that ``.tftpl``/``.sh``/``.tpl`` files are read too) and by CKV_AWS_46.

What neither can see is a secret that is written nowhere: a generated password
passed to ``templatefile()`` as a variable (``db_password = random_password.db.result``)
is rendered into user_data in clear, for anyone allowed to describe the instance.
This check reads the user_data expression, and the locals it goes through
(``user_data_base64 = base64gzip(local.user_data)`` in modules/compute, which
checkov leaves unrendered), for

* values that are secrets: ``random_password.*.result``, ``*.secret_string``,
  ``aws_ssm_parameter.*.value``, ``tls_private_key.*.private_key*``,
  ``aws_iam_access_key.*.secret``;
* template variables named like a secret (``*password``, ``*secret``, ``*token``...);
  a name such as ``db_password_parameter`` or ``secret_arn`` holds a reference
  and passes.
"""

from __future__ import annotations

import re
from typing import Any

import fs_lib as lib
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


class UserDataGetsNoSecretValue(BaseResourceCheck):
    def __init__(self) -> None:
        name = "EC2 user_data is given no secret value (generated passwords, secret strings)"
        super().__init__(
            **lib.meta("CKV_FS_14", name, CheckCategories.SECRETS),
            supported_resources=["aws_instance", "aws_launch_template", "aws_launch_configuration"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        self.evaluated_keys = list(USER_DATA_KEYS)
        texts = [str(v) for key in USER_DATA_KEYS for v in lib.flatten(conf.get(key))]
        if not texts:
            return CheckResult.PASSED
        mine = lib.entity_nodes(self, conf)
        for key in USER_DATA_KEYS:
            for node in lib.walk(self, mine, key).values():
                if node.get("block_type_") == "locals":
                    texts += [str(v) for v in lib.flatten(node.get(str(node.get("block_name_"))))]
        problems = [
            f"{m.group(0)} is rendered into user_data"
            for t in texts
            for m in SECRET_VALUE.finditer(t)
        ]
        if "templatefile(" in "".join(texts):
            problems += [
                f"template variable {m.group(1)!r} passes a secret into user_data"
                for t in texts
                for m in SECRET_NAME.finditer(t.split("templatefile(", 1)[-1])
            ]
        return lib.verdict(self, problems)


check = UserDataGetsNoSecretValue()
