"""One live deployment for the integration tests: the stack, the app endpoint, the database.

The test bodies are the same for both targets; only this layer differs:

* ``emulator``: moto (started here, or ``EMULATOR_URL``), a MariaDB playing RDS with the
  credentials Terraform stored in SSM, the app run locally by gunicorn.
* ``aws``: the standard credential chain, a key pair made for the run, SSH open to the
  runner's address only, the app on the instance's public address, RDS through an SSH
  tunnel via the instance.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import requests

from harness.app_runner import AppServer, app_environment, stand_in_database, wait_healthy
from harness.emulator import MariaDB, MotoServer
from harness.stack import Stack, progress
from harness.sweeper import Inventory, new_run_id
from harness.tunnel import SSHTunnel, generate_keypair


class MissingCredentials(RuntimeError):
    pass


@dataclass
class Deployment:
    target: str
    stack: Stack
    outputs: dict
    app_url: str
    inventory: Inventory
    db_kwargs: dict
    moto: MotoServer | None = None
    extras: dict = field(default_factory=dict)

    @property
    def run_id(self) -> str:
        return self.stack.run_id

    def client(self, service: str):
        return self.inventory.client(service)

    def db(self):
        import pymysql

        return pymysql.connect(**self.db_kwargs, connect_timeout=10)


def check_aws_credentials(region: str) -> str:
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        ident = boto3.client("sts", region_name=region).get_caller_identity()
    except (BotoCoreError, ClientError) as exc:
        raise MissingCredentials(
            "TARGET=aws needs AWS credentials from the standard chain (env, profile, SSO, or "
            f"the OIDC role in GitHub Actions); none usable were found: {exc}"
        ) from exc
    return ident["Arn"]


def runner_public_cidr() -> str:
    override = os.environ.get("OPERATOR_CIDR")
    if override:
        return override
    ip = requests.get("https://checkip.amazonaws.com", timeout=10).text.strip()
    return f"{ip}/32"


@contextlib.contextmanager
def deploy(
    target: str = "emulator",
    *,
    moto: MotoServer | None = None,
    environment: str = "dev",
    run_id: str | None = None,
    keep: bool = False,
) -> Iterator[Deployment]:
    """apply -> yield a Deployment -> destroy (registered before apply)."""
    run_id = run_id or new_run_id()
    region = os.environ.get("AWS_REGION", "us-east-1")
    with contextlib.ExitStack() as stack_cm:
        if target == "emulator":
            if moto is None:
                moto = stack_cm.enter_context(MotoServer())
            stack = Stack(environment, "emulator", endpoint_url=moto.url, run_id=run_id)
            inventory = Inventory(endpoint_url=moto.url, region=region)
        elif target == "aws":
            caller = check_aws_credentials(region)
            progress(f"{run_id}: AWS target as {caller}")
            keydir = Path(tempfile.mkdtemp(prefix=f"ssh-{run_id}-"))
            key_path, public_key = generate_keypair(keydir)
            inventory = Inventory(region=region)
            ec2 = inventory.client("ec2")
            key_name = f"filestore-{run_id}"
            ec2.import_key_pair(
                KeyName=key_name,
                PublicKeyMaterial=public_key.encode(),
                TagSpecifications=[
                    {
                        "ResourceType": "key-pair",
                        "Tags": [
                            {"Key": "Project", "Value": "filestore"},
                            {"Key": "run_id", "Value": run_id},
                        ],
                    }
                ],
            )
            stack_cm.callback(ec2.delete_key_pair, KeyName=key_name)
            stack = Stack(
                environment,
                "aws",
                run_id=run_id,
                tf_vars={"operator_cidr": runner_public_cidr(), "ssh_key_name": key_name},
            )
        else:
            raise ValueError(f"unknown target {target!r}")

        with stack.lifecycle(keep=keep), contextlib.ExitStack() as services:
            outputs = stack.outputs()
            with stack.timer.stage("app", run_id):
                if target == "emulator":
                    db = services.enter_context(stand_in_database(outputs, moto))
                    env = app_environment(outputs, moto=moto, db_host=db.host, db_port=db.port)
                    app = AppServer(env)
                    app.init_db()  # user_data does this on the instance
                    services.enter_context(app)
                    app_url = app.url
                    db_kwargs = db.connect_kwargs()
                else:
                    app_url = outputs["app_url"]
                    wait_healthy(app_url, timeout=900)
                    password = inventory.client("ssm").get_parameter(
                        Name=outputs["db_password_parameter"], WithDecryption=True
                    )["Parameter"]["Value"]
                    tunnel = services.enter_context(
                        SSHTunnel(
                            host=outputs["instance_public_ip"],
                            user="ubuntu",
                            key_path=key_path,
                            remote_host=outputs["db_address"],
                            remote_port=int(outputs["db_port"]),
                        )
                    )
                    db_kwargs = {
                        "host": "127.0.0.1",
                        "port": tunnel.local_port,
                        "user": outputs["db_username"],
                        "password": password,
                        "database": outputs["db_name"],
                    }
            deployment = Deployment(
                target=target,
                stack=stack,
                outputs=outputs,
                app_url=app_url,
                inventory=inventory,
                db_kwargs=db_kwargs,
                moto=moto,
            )
            # on exit: the app, database and tunnel stop first, then the stack is destroyed
            yield deployment


__all__ = ["Deployment", "MissingCredentials", "MariaDB", "deploy"]
