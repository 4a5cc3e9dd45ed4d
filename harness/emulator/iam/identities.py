"""Who may call the emulator: the bootstrap admin, the deployer, and EC2 for an instance.

**The bootstrap admin** (in the emulator's process, :func:`bootstrap_admin`): an IAM user
``emulator-admin`` with an inline ``*`` policy whose one access key is the suite's
well-known fake key (``harness.emulator.clients.EMULATOR_ROOT``). It stands for the
operator's own account access: the harness's checks, the sweeper, the stand-in database's
password read, and the creation of the deployer use it. No other key exists until IAM
creates one: any other key is refused (``InvalidClientTokenId``). It is made again after
``/moto-api/reset``.

**The deployer** (client side, :func:`deployer_credentials`): a role whose inline policy is
the repository's deployer policy (``iam/deployer-policy.json``, the CI role's policy on
AWS), assumed by the admin for each stack; Terraform gets only its session keys.

**EC2** (:class:`Ec2RoleCredentialsClient`, served in the emulator's process by
:func:`assume_role_as_service`): what the hypervisor
does for an instance with a profile. It assumes the profile's role *as the service
principal* ``ec2.amazonaws.com``: the role's trust policy is evaluated for that principal,
and a role EC2 may not assume gives no credentials (:class:`AssumeRoleUnauthorized`, which
the metadata service answers as EC2's does).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from pathlib import Path

from harness.emulator.clients import EMULATOR_ROOT, Credentials, client
from harness.paths import REPO_ROOT

ADMIN_USER = "emulator-admin"
ADMIN_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}
DEPLOYER_POLICY = REPO_ROOT / "iam" / "deployer-policy.json"
DEPLOYER_ROLE_PREFIX = "emulator-deployer"  # outside filestore-*: it cannot edit itself
SESSION_SECONDS = 12 * 3600


def _account() -> str:
    from moto.core.models import DEFAULT_ACCOUNT_ID

    return DEFAULT_ACCOUNT_ID


def bootstrap_admin() -> None:
    """The admin user and its one key (``EMULATOR_ROOT``), in this process's IAM backend
    (idempotent)."""
    from moto.iam.models import iam_backends

    backend = iam_backends[_account()]["aws"]
    if ADMIN_USER in backend.users:
        return
    backend.create_user("us-east-1", ADMIN_USER)
    backend.put_user_policy(ADMIN_USER, "administrator", json.dumps(ADMIN_POLICY))
    key = backend.create_access_key(ADMIN_USER)
    key.access_key_id = EMULATOR_ROOT.access_key_id
    key.secret_access_key = EMULATOR_ROOT.secret_access_key


# ------------------------------------------------------------------ EC2 for an instance


class AssumeRoleUnauthorized(Exception):
    """EC2 may not assume the role (its trust policy does not name ec2.amazonaws.com)."""

    code = "AssumeRoleUnauthorizedAccess"


def assume_role_as_service(
    role_arn: str, service: str, session_name: str, duration: int, region: str
) -> dict:
    """``sts:AssumeRole`` by a service principal, trust policy honoured: STS's answer shape
    (``{"Credentials": {...}}``)."""
    from moto.iam.models import iam_backends
    from moto.sts.models import sts_backends

    from harness.emulator.iam.enforce import BASE_CONTEXT
    from harness.emulator.iam.policy import Result, policy_result

    account = role_arn.split(":")[4]
    try:
        role = iam_backends[account]["aws"].get_role_by_arn(role_arn)
    except Exception as exc:  # noqa: BLE001
        raise AssumeRoleUnauthorized(f"no role {role_arn}") from exc
    trust = role.assume_role_policy_document
    trust = json.loads(trust) if isinstance(trust, str) else trust
    context = {**BASE_CONTEXT, "aws:SourceAccount": account}
    verdict = policy_result(trust, "sts:AssumeRole", role_arn, {"Service": service}, context)
    if verdict is not Result.PERMITTED:
        raise AssumeRoleUnauthorized(
            f"{service} is not allowed to assume {role_arn} (its trust policy)"
        )
    assumed = sts_backends[account]["aws"].assume_role(
        region_name=region,
        role_session_name=session_name,
        role_arn=role_arn,
        policy="",
        duration=duration,
        external_id="",
    )
    return {
        "Credentials": {
            "AccessKeyId": assumed.access_key_id,
            "SecretAccessKey": assumed.secret_access_key,
            "SessionToken": assumed.session_token,
            "Expiration": assumed.expiration,
        }
    }


class Ec2RoleCredentialsClient:
    """Stands where an STS client stood for :class:`harness.instances.imds.RoleCredentials`: its
    ``assume_role`` is EC2's, asked of the emulator (``/_emulator/iam/ec2-assume-role``,
    signed by the bootstrap admin, who alone may stand in for EC2), never STS's API."""

    def __init__(self, endpoint_url: str, region: str = "us-east-1") -> None:
        self.endpoint_url, self.region = endpoint_url.rstrip("/"), region

    def assume_role(self, RoleArn: str, RoleSessionName: str, DurationSeconds: int = 3600):  # noqa: N803
        import requests
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials

        from harness.emulator.iam.wsgi import EC2_ASSUME_PATH

        body = json.dumps(
            {
                "RoleArn": RoleArn,
                "RoleSessionName": RoleSessionName,
                "DurationSeconds": DurationSeconds,
                "Region": self.region,
            }
        ).encode()
        url = self.endpoint_url + EC2_ASSUME_PATH
        request = AWSRequest("POST", url, data=body, headers={"Content-Type": "application/json"})
        admin = Credentials(EMULATOR_ROOT.access_key_id, EMULATOR_ROOT.secret_access_key)
        SigV4Auth(admin, "sts", self.region).add_auth(request)
        answer = requests.post(url, data=body, headers=dict(request.headers), timeout=10)
        if answer.status_code == 403 and answer.json().get("Code") == AssumeRoleUnauthorized.code:
            raise AssumeRoleUnauthorized(answer.json().get("Message", ""))
        answer.raise_for_status()
        return answer.json()


# ------------------------------------------------------------------ the deployer


def deployer_role_name(document: str) -> str:
    """One role per policy document (a test's reduced policy gets a role of its own)."""
    return f"{DEPLOYER_ROLE_PREFIX}-{hashlib.sha256(document.encode()).hexdigest()[:10]}"


def deployer_credentials(
    endpoint_url: str, session_name: str, policy_path: Path | None = None, region: str = "us-east-1"
) -> Credentials:
    """Session keys of the deployer role (made or updated by the admin, then assumed by it)."""
    document = json.dumps(json.loads((policy_path or DEPLOYER_POLICY).read_text()))
    iam, sts = (client(name, endpoint_url, region=region) for name in ("iam", "sts"))
    name = deployer_role_name(document)
    account = sts.get_caller_identity()["Account"]
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    # another stack on this emulator may have made it: the same document, the same role
    with contextlib.suppress(iam.exceptions.EntityAlreadyExistsException):
        iam.create_role(
            RoleName=name,
            AssumeRolePolicyDocument=json.dumps(trust),
            MaxSessionDuration=SESSION_SECONDS,
            Description="Terraform's deployer on the emulator (iam/deployer-policy.json)",
        )
    iam.put_role_policy(RoleName=name, PolicyName="deployer", PolicyDocument=document)
    arn = iam.get_role(RoleName=name)["Role"]["Arn"]
    creds = sts.assume_role(
        RoleArn=arn, RoleSessionName=session_name[:64], DurationSeconds=SESSION_SECONDS
    )["Credentials"]
    return Credentials(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
