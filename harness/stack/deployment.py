"""One live deployment: the stack, its app, its database. The one way to run a stack.

The integration fixtures, `make up`/`make down` (``harness/stack/up.py``), the lifecycle CLI
(``harness/stack/deploy_cli.py``: the interruption tests) and the benchmarks all go through
:func:`deploy`. The test bodies are the same for both targets; only this layer differs:

* ``emulator``: moto with the EC2 data plane (``harness/instances/dataplane.py``): the instance boots
  as a container and runs the exact user_data the EC2 API holds. A MariaDB stands in for
  RDS on the port the stack's database is given (``db_port``), and holds the master user
  and the password Terraform stored in SSM. Every VPC is a real network
  (``harness/instances/networking.py``): inside it the RDS endpoint name resolves to the
  database's private address, behind its security group; the app listens on port 80 of the
  instance's private address, and the suite reaches its public address as an internet
  client at the operator's address (``OPERATOR_ADDRESS``, inside ``operator_cidr``),
  through a loopback port the emulator gives (``harness/instances/internet_access.py``).
  The CloudWatch agent's download is unreachable offline, so its install is off.
* ``aws``: the standard credential chain, a key pair made for the run, SSH open to the
  runner's address only, the app on the instance's public address, RDS through an SSH
  tunnel via the instance.

On AWS (and on the emulator with ``FILESTORE_PLAN_GATE=1``) the plan is saved, scanned by
the security gate (``python -m harness.gate --dirs --plan``) and only then applied, the
saved plan itself, so what was scanned is what is applied.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import requests

from harness.emulator.launcher import MotoServer
from harness.instances.instance import RDS_CA_FILE
from harness.instances.internet_access import connect_url
from harness.paths import REPO_ROOT
from harness.runid import new_run_id
from harness.stack.local_app import wait_healthy
from harness.stack.stack import Stack, log
from harness.stack.standins import MariaDB, StandInDatabase, TlsMariaDB
from harness.stack.targets import aws_target, emulator_target
from harness.stack.tunnel import SSHTunnel, generate_keypair
from harness.sweeper.sweep import Inventory

EMULATOR_AMI = "ami-785db401"  # any AMI moto knows: every emulated instance boots our image
APP_READY_TIMEOUT = {"emulator": 900.0, "aws": 900.0}  # boot + user_data (apt, pip, app)
# the suite's own address on the emulator's internet: the operator's (operator_cidr)
OPERATOR_ADDRESS = "203.0.113.10"


class DeploymentError(RuntimeError):
    pass


class MissingCredentials(DeploymentError):
    pass


@dataclass
class Deployment:
    target: str
    stack: Stack
    inventory: Inventory
    moto: MotoServer | None = None
    db_server: MariaDB | None = None
    key_path: Path | None = None
    db_kwargs: dict = field(default_factory=dict)
    app_url: str = ""
    # the emulator's: until the booted instance's cloud-init is done (a clear error with its
    # logs when user_data failed); on AWS the health check alone waits
    boot_check: Callable[[Deployment, float], None] | None = None
    # the app_url output as this machine reaches it (the emulator: through its internet)
    reach: Callable[[str], str] | None = None

    @property
    def run_id(self) -> str:
        return self.stack.run_id

    @property
    def outputs(self) -> dict:
        return self.stack.outputs()

    def client(self, service: str):
        return self.inventory.client(service)

    def db(self):
        import pymysql

        return pymysql.connect(**self.db_kwargs, connect_timeout=10)

    @property
    def instance(self):
        """The emulated instance (exec, files, logs) behind ``instance_id``."""
        from harness.instances.instance import Instance

        if self.moto is None:
            raise DeploymentError("only the emulator's instances can be entered from here")
        return Instance(self.outputs["instance_id"])

    def app_password(self) -> str:
        return self.client("ssm").get_parameter(
            Name=self.outputs["db_password_parameter"], WithDecryption=True
        )["Parameter"]["Value"]

    def wait_app(self, timeout: float | None = None) -> dict:
        """Until the instance's app answers: bounded; on the emulator a failed or slow
        bootstrap is reported with the tail of cloud-init-output.log and the unit's journal."""
        timeout = timeout or APP_READY_TIMEOUT[self.target]
        url = self.outputs["app_url"].rstrip("/")
        self.app_url = self.reach(url).rstrip("/") if self.reach else url
        with self.stack.timer.stage("app", self.run_id):
            if self.boot_check is not None:
                self.boot_check(self, timeout)
                timeout = 60.0  # user_data ends with the app answering; this is a check
            try:
                return wait_healthy(self.app_url, timeout=timeout, log=log.info)
            except TimeoutError as exc:
                detail = self.instance.diagnostics("filestore.service") if self.moto else ""
                raise DeploymentError(f"{exc}\n{detail}") from exc

    def refresh(self) -> dict:
        """After another apply (e.g. a replaced instance): new outputs, the app again."""
        self.stack._outputs = None
        return self.wait_app()


# ------------------------------------------------------------------------- emulator


def emulator_inputs(db_port: int) -> dict:
    return {
        "operator_cidr": f"{OPERATOR_ADDRESS}/32",  # the suite's clients, on the internet
        "ami_id": EMULATOR_AMI,
        "install_cloudwatch_agent": False,  # its download is not reachable offline
        "db_port": db_port,
        # the emulator's CA, which the data plane gives every instance (harness/stack/standins.py)
        "db_ca_bundle_url": f"file:///{RDS_CA_FILE}",
    }


def _wait_booted(dep: Deployment, timeout: float) -> None:
    from harness.instances.instance import wait_ready

    wait_ready(dep.instance, timeout=timeout, unit="filestore.service")


def _emulator_stack(services: contextlib.ExitStack, moto, environment, run_id, workdir, detach):
    if moto is None:
        moto = MotoServer(instances=True)
        moto.start()
        if not detach:
            services.callback(moto.stop)
    # TLS as RDS: a certificate for a name nobody uses until the endpoint is known
    db = TlsMariaDB(names=("rds-endpoint-pending.invalid",))
    db.start()
    if not detach:
        services.callback(db.destroy)
    stack = Stack(
        emulator_target(moto.url, session_name=f"terraform-{run_id}"),
        environment,
        run_id=run_id,
        tf_vars=emulator_inputs(db.port),
        workdir=workdir,
    )
    if not detach:  # after destroy: the data plane removes the containers within seconds
        services.callback(_report_instances_left, run_id)
    # the contract's parameter name (docs/CONTRACTS.md): known before apply
    parameter = f"/filestore/{environment}/{run_id}/db/password"
    stand_in = StandInDatabase(db, moto, run_id, parameter).start()
    services.callback(stand_in.stop)
    dep = Deployment(
        "emulator",
        stack,
        stack.inventory(),
        moto=moto,
        db_server=db,
        boot_check=_wait_booted,
        reach=lambda url: connect_url(moto.url, OPERATOR_ADDRESS, url),
    )
    return dep, stand_in


def _report_instances_left(run_id: str) -> None:
    from harness.instances.sweep import wait_removed

    if left := wait_removed(run_id):
        log.info(f"{run_id}: instances still there after teardown: {left}")


# ------------------------------------------------------------------------------ AWS


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


def _aws_stack(services: contextlib.ExitStack, moto, environment, run_id, workdir, detach):
    region = os.environ.get("AWS_REGION", "us-east-1")
    log.info(f"{run_id}: AWS target as {check_aws_credentials(region)}")
    key_path, public_key = generate_keypair(Path(tempfile.mkdtemp(prefix=f"ssh-{run_id}-")))
    inventory = Inventory(region=region)
    ec2 = inventory.client("ec2")
    key_name = f"filestore-{run_id}"
    tags = [{"Key": "Project", "Value": "filestore"}, {"Key": "run_id", "Value": run_id}]
    ec2.import_key_pair(
        KeyName=key_name,
        PublicKeyMaterial=public_key.encode(),
        TagSpecifications=[{"ResourceType": "key-pair", "Tags": tags}],
    )
    services.callback(ec2.delete_key_pair, KeyName=key_name)
    stack = Stack(
        aws_target(region),
        environment,
        run_id=run_id,
        tf_vars={"operator_cidr": runner_public_cidr(), "ssh_key_name": key_name},
        workdir=workdir,
    )
    return Deployment("aws", stack, inventory, key_path=key_path), None


def scan_plan(stack: Stack) -> Path:
    """Save the plan, scan it with the gate, return it (DeploymentError if the gate fails)."""
    planfile = stack.workdir / "plan.bin"
    plan = stack.plan_json(planfile)
    report = REPO_ROOT / "reports" / f"plan-{stack.environment}-{stack.run_id}.json"
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(json.dumps(plan))
    with stack.timer.stage("plan gate", stack.run_id):
        gate = subprocess.run(
            [sys.executable, "-m", "harness.gate", "--quiet", "--dirs", "--plan", str(report),
             "--plan-root", f"environments/{stack.environment}",
             "--out", str(report.with_suffix(""))],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=600,
        )  # fmt: skip
    if gate.returncode != 0:
        raise DeploymentError(f"the security gate refused the plan ({report}):\n{gate.stdout}")
    return planfile


def apply_scanned(stack: Stack, check: Callable[[dict], None] | None = None) -> dict:
    """A change to a live stack, as the first apply: plan -> gate scan -> ``check`` (an
    assertion on the plan) -> apply exactly that saved plan; returns the plan."""
    planfile = scan_plan(stack)
    plan = json.loads(stack.tf("show", "-json", str(planfile)).stdout)
    if check is not None:
        check(plan)
    stack.apply(planfile)
    return plan


# --------------------------------------------------------------------------- deploy

# what each target starts and hands the stack: (services, moto, environment, run_id, workdir,
# detach) -> (the Deployment, the stand-in database or None)
_BUILDERS = {"emulator": _emulator_stack, "aws": _aws_stack}


@contextlib.contextmanager
def deploy(
    target: str = "emulator",
    *,
    moto: MotoServer | None = None,
    environment: str = "dev",
    run_id: str | None = None,
    keep: bool = False,
    detach: bool = False,
    workdir: Path | None = None,
    gate: bool | None = None,
) -> Iterator[Deployment]:
    """apply -> wait for the app -> yield a Deployment -> destroy (registered before apply).

    ``keep`` (or ``KEEP_STACK=1``) skips destroy; ``detach`` also leaves the emulator and
    the database running after the block (``make up``; ``make down`` stops them). ``gate``:
    scan the saved plan and apply exactly it (default: on AWS, or FILESTORE_PLAN_GATE=1).
    """
    run_id = run_id or new_run_id()
    if gate is None:
        gate = target == "aws" or os.environ.get("FILESTORE_PLAN_GATE") == "1"
    with contextlib.ExitStack() as services:
        if target not in _BUILDERS:
            raise ValueError(f"unknown target {target!r} ({' or '.join(_BUILDERS)})")
        dep, stand_in = _BUILDERS[target](services, moto, environment, run_id, workdir, detach)
        lifecycle = dep.stack.lifecycle(
            keep=keep or detach, before_apply=scan_plan if gate else None
        )
        with lifecycle, contextlib.ExitStack() as connections:
            if stand_in is not None:
                stand_in.wait()
                dep.db_kwargs = dep.db_server.connect_kwargs()
            else:
                dep.db_kwargs = _tunnel_to_rds(dep, connections)
            dep.wait_app()
            # on exit: the tunnel closes, then the stack is destroyed, then the services stop
            yield dep


def _tunnel_to_rds(dep: Deployment, connections: contextlib.ExitStack) -> dict:
    out = dep.outputs
    dep.wait_app()  # the instance (the tunnel's jump host) is up once its app answers
    tunnel = connections.enter_context(
        SSHTunnel(
            host=out["instance_public_ip"],
            user="ubuntu",
            key_path=dep.key_path,
            remote_host=out["db_address"],
            remote_port=int(out["db_port"]),
        )
    )
    return {
        "host": "127.0.0.1",
        "port": tunnel.local_port,
        "user": out["db_username"],
        "password": dep.app_password(),
        "database": out["db_name"],
    }


__all__ = ["Deployment", "DeploymentError", "MissingCredentials", "deploy", "emulator_inputs"]
