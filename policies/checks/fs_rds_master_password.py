"""CKV_FS_19: a database's master password is never written in the configuration.

``password = "Filestore#2026"`` on an ``aws_db_instance`` (``master_password`` on an
``aws_rds_cluster``) ends up in the repository, the plan and the state.  checkov's
secrets framework misses a password a person chose (too little entropy) and no
built-in looks at the argument.  Passes: no password (a replica, a restore), RDS
managing it (``manage_master_user_password = true``), or a value that comes from a
generator or a secret store (``random_password.*.result``, ``*.secret_string``,
``data.aws_ssm_parameter.*.value``, ``ephemeral.*``).  A literal fails, also when it
arrives through a variable's default or a module argument (checkov renders those in).
A value the scan cannot resolve (``var.db_password`` with no default, scanned alone)
is UNKNOWN, never PASSED; so is every password in a plan, where a generated one is a
value like any other (the catalogue owns this check at the static layer only).
"""

from __future__ import annotations

import re
from typing import Any

import fs_lib as lib
import fs_secrets as secrets
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

PASSWORD_KEYS = ("password", "master_password", "password_wo", "master_password_wo")
GENERATED = re.compile(
    r"\brandom_password\.[\w-]+(?:\[[^\]]*\])?\.result\b|\.secret_string\b"
    r"|\bdata\.aws_ssm_parameter\.[\w-]+(?:\[[^\]]*\])?\.value\b|\bephemeral\."
)


class MasterPasswordNotWritten(BaseResourceCheck):
    def __init__(self) -> None:
        name = "RDS master password is generated or stored, never written in the configuration"
        super().__init__(
            **lib.meta("CKV_FS_19", name, CheckCategories.SECRETS),
            supported_resources=["aws_db_instance", "aws_rds_cluster"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        self.evaluated_keys = list(PASSWORD_KEYS)
        if lib.in_plan(self):  # a generated password is a literal there: judged on the HCL
            return lib.verdict(self, [], ["a plan's password (generated or written?)"])
        problems, unresolved = [], []
        for key in PASSWORD_KEYS:
            for value in lib.flatten(conf.get(key)):
                text = str(value).strip()
                if value is None or text in ("", "null") or GENERATED.search(text):
                    continue
                if lib.is_unresolved(text) or secrets.HCL_REFERENCE.match(text):
                    unresolved.append(f"{key} = {text}")
                else:
                    problems.append(f"{key} is a literal ({secrets.redact(text)})")
        return lib.verdict(self, problems, unresolved)


check = MasterPasswordNotWritten()
