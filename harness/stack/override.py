"""The emulator override: what points a root module's aws provider at the emulator.

Written into the working copy as ``zz_emulator_override.tf`` (an override file, the way
``tflocal`` does it): every service the stack talks to at the emulator's URL (the keys are the
deployer's, from the environment: ``Stack.env``),
path-style S3, and a local backend in place of the S3 one.
"""

from __future__ import annotations

from pathlib import Path

from harness.emulator.clients import EMULATOR_ROOT, Credentials, s3control_endpoint

OVERRIDE_FILE = "zz_emulator_override.tf"

# The services the stack talks to; every one is pointed at the emulator.
EMULATED_SERVICES = (
    "cloudwatch",
    "ec2",
    "iam",
    "kms",
    "logs",
    "rds",
    "s3",
    "secretsmanager",
    "sns",
    "ssm",
    "sts",
)

# The AWS SDK sends S3 Control requests (provider 6.x reads bucket tags through it) to
# ``{account_id}.{endpoint host}``, here ``123456789012.localhost``: a name nothing on this
# machine resolves. The provider's ``http_proxy`` setting sends requests for any host but
# loopback through the emulator itself (the SDK's proxy rules never proxy 127.0.0.1 or
# ``localhost``), and the emulator's HTTP server takes the absolute-form request line as
# any proxy would: the name is never looked up, and nothing on the host is changed.
EMULATOR_ACCOUNT_ID = "123456789012"


def emulator_override(
    endpoint: str, state_path: Path, credentials: Credentials = EMULATOR_ROOT
) -> str:
    entries = {svc: endpoint for svc in EMULATED_SERVICES}
    entries["s3control"] = s3control_endpoint(endpoint)
    endpoints = "\n".join(f'    {svc:<14} = "{url}"' for svc, url in sorted(entries.items()))
    return f"""# Written by harness/stack/stack.py: points the aws provider at the emulator ({endpoint}).
provider "aws" {{
  s3_use_path_style           = true
  http_proxy                  = "{endpoint}"
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_region_validation      = true

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
