"""The emulator's EC2 data plane: one container per instance, kept in step with the EC2 API.

moto's EC2 is a control plane only: an instance is a record. This reconciler watches that
record through the API (DescribeInstances, once a second) and makes it real with
``harness/instances/instance.py``:

=====================  ===========================================================
API state              container
=====================  ===========================================================
pending / running      booted (the first time: a new disk from the image)
stopping / stopped     halted, its disk kept (EBS); the next start boots the same disk
shutting-down /        halted, and its disk removed
terminated, or gone
RebootInstances        an orderly reboot (moto keeps the state ``running``, so the
                       request itself is the signal: ``harness/emulator/server.py`` hands
                       it to :meth:`DataPlane.reboot`)
=====================  ===========================================================

A container that powers itself off (or cannot boot) is reported to the API as a stop, as
EC2 does for an OS-initiated shutdown; the reason is kept in the instance's state dir and
shown by :func:`harness.instances.instance.wait_ready`.

Every instance sits in its VPC (``harness/instances/networking.py``): its own network
namespace with its ENI's private IP, behind its security groups and its subnet's routes.
At each boot the plane hands the instance what a hypervisor would: the NoCloud seed (the
instance id and the **user data exactly as the EC2 API holds it**, from
DescribeInstanceAttribute; Terraform's gzip stays gzip, cloud-init reads it), a metadata
service of its own (``harness/instances/imds.py``) at its subnet's router address, the
VPC's resolver in /etc/resolv.conf, and the systemd drop-in
``/etc/systemd/system.conf.d/50-filestore-emulator.conf`` whose ``DefaultEnvironment=``
gives every unit ``AWS_EC2_METADATA_SERVICE_ENDPOINT`` (that address: 169.254.169.254 is
never used on our machines), ``AWS_ENDPOINT_URL`` (the emulator's https endpoint on the
internet) and ``AWS_CA_BUNDLE`` (the emulator's CA, which signs that endpoint's
certificate). That drop-in is the only emulator-specific setting inside an instance; no
access key is ever written there. Each boot also gets the emulator's CA as the "RDS CA
bundle" (``harness/stack/standins.py``), which signs the stand-in database's certificate.

It runs as a thread of the moto server process (``python -m harness.emulator.server
--instances IMAGE``), so it starts and stops with the emulator. On stop every container,
mount and disk it made is removed; were the process killed, the containers halt on their
own (parent-death signal) and :func:`harness.instances.instance.sweep` removes the rest.
"""

from __future__ import annotations

import base64
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from botocore.config import Config
from werkzeug.test import run_wsgi_app

from harness.emulator.ca import emulator_ca
from harness.emulator.clients import client
from harness.emulator.errorlog import query_form
from harness.emulator.iam.identities import Ec2RoleCredentialsClient
from harness.instances import nspawn
from harness.instances.imds import (
    Lazy,
    MetadataService,
    RoleCredentials,
    iam_tree,
    identity_document,
    metadata_tree,
)
from harness.instances.instance import API_CA_FILE, BOOT_ERROR, BootFiles, Instance
from harness.instances.internet_access import NetworkAccessApp
from harness.instances.networking import InstanceNet, InstanceNetworks
from harness.log import logger

ACTIVE = {"pending", "running"}
STOPPED = {"stopping", "stopped"}
REBOOTED = 133  # systemd-nspawn's exit status when the container rebooted


log = logger("dataplane")


@dataclass
class Managed:
    instance: Instance
    imds: MetadataService | None = None
    net: InstanceNet | None = None
    hostname: str = ""
    abandoned: bool = False


class DataPlane:
    def __init__(
        self,
        endpoint_url: str,
        image: Path,
        *,
        region: str = "us-east-1",
        state_root: Path | None = None,
        interval: float = 1.0,
    ) -> None:
        self.endpoint_url, self.image, self.region = endpoint_url.rstrip("/"), image, region
        self.state_root, self.interval = state_root, interval
        self.networks: InstanceNetworks | None = None
        self.managed: dict[str, Managed] = {}
        self._reboots: set[str] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_error = ""
        config = Config(retries={"max_attempts": 3, "mode": "standard"})
        self.ec2, self.iam, self.sts, self.rds = (
            client(s, self.endpoint_url, region=region, config=config)
            for s in ("ec2", "iam", "sts", "rds")
        )

    # ----------------------------------------------------------------- control
    def start(self) -> DataPlane:
        nspawn.require("systemd-nspawn", "nsenter", "setpriv")
        if not (self.image / "etc/os-release").exists():
            raise RuntimeError(
                f"no instance image at {self.image} (python -m harness.instances.image build)"
            )
        host, port = self.endpoint_url.split("//", 1)[1].rsplit(":", 1)
        self.networks = InstanceNetworks(self.ec2, (host, int(port)), interval=self.interval)
        self.networks.start()  # in the caller's thread: a namespace error shows at once
        self._thread = threading.Thread(target=self._run, name="dataplane", daemon=True)
        self._thread.start()
        log.info(f"watching {self.endpoint_url} (image {self.image})")
        return self

    def stop(self) -> None:
        """Stop watching, and remove every container, mount and disk this plane made."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=120)
            self._thread = None

    def reboot(self, instance_ids: list[str]) -> None:
        """A RebootInstances request the API accepted (called from moto's request thread)."""
        with self._lock:
            self._reboots.update(instance_ids)

    def _run(self) -> None:
        # Containers are started from this thread only: their parent-death signal is tied
        # to it, and it removes them all before it ends.
        try:
            while not self._stop.is_set():
                try:
                    self.reconcile()
                    self._last_error = ""
                except Exception as exc:  # the API not up yet, a transient error: retry
                    if str(exc) != self._last_error:
                        log.info(f"reconcile failed: {traceback.format_exc()}")
                    self._last_error = str(exc)
                self._stop.wait(self.interval)
        finally:
            for iid in list(self.managed):
                self._guarded(self._remove, iid, graceful=False)
            if self.networks is not None:
                self.networks.close()

    @staticmethod
    def _guarded(action, iid: str, *args, **kwargs) -> None:
        """One instance's trouble must not hold up the others: log it, go on."""
        try:
            action(iid, *args, **kwargs)
        except Exception:
            log.info(f"{iid}: {action.__name__} failed: {traceback.format_exc()}")

    # --------------------------------------------------------------- reconcile
    def reconcile(self) -> None:
        described = {}
        for page in self.ec2.get_paginator("describe_instances").paginate():
            for res in page["Reservations"]:
                for inst in res["Instances"]:
                    described[inst["InstanceId"]] = {**inst, "OwnerId": res.get("OwnerId", "")}
        databases = self.rds.describe_db_instances().get("DBInstances", [])
        self.networks.sync(databases, list(described.values()))
        for iid, desc in described.items():
            self._guarded(self._step, iid, desc)
        for iid in set(self.managed) - set(described):  # the emulator was reset
            self._guarded(self._remove, iid, graceful=False)
        with self._lock:
            reboots, self._reboots = self._reboots, set()
        for iid in reboots:
            managed = self.managed.get(iid)
            if managed and managed.instance.exit_code() is None and managed.instance.leader():
                log.info(f"{iid}: reboot")
                managed.instance.reboot()

    def _step(self, iid: str, desc: dict) -> None:
        state = desc["State"]["Name"]
        managed = self.managed.get(iid)
        if state not in ACTIVE | STOPPED:
            if managed:
                self._remove(iid, graceful=True)
            return
        if managed is None:
            if state not in ACTIVE:
                return
            tags = {t["Key"]: t["Value"] for t in desc.get("Tags", [])}
            inst = Instance.create(
                iid,
                image=self.image,
                run_id=tags.get("run_id", ""),
                emulator_url=self.endpoint_url,
                root=self.state_root,
            )
            managed = self.managed[iid] = Managed(inst)
        inst = managed.instance
        if managed.abandoned:
            return
        if not inst.exists():
            log.info(f"{iid}: its disk was swept; leaving the instance down")
            managed.abandoned = True
            self._stop_metadata(managed)
            return
        code = inst.exit_code()
        if state in STOPPED:
            if code is not None or inst.running():
                log.info(f"{iid}: stop")
                inst.stop()
                self._stop_metadata(managed)
        elif code is None and not inst.running():
            self._boot(managed, desc)
        elif code == REBOOTED:
            log.info(f"{iid}: rebooting")
            inst.start(managed.net.path)
        elif code is not None:
            self._fail(managed, f"the container exited with status {code}")

    def _boot(self, managed: Managed, desc: dict) -> None:
        inst, iid = managed.instance, desc["InstanceId"]
        log.info(f"{iid}: boot")
        try:
            inst.mount()
            user_data = self._user_data(iid)
            managed.net = self.networks.attach(desc)
            managed.imds = self._metadata(desc, user_data, managed.net)
            managed.hostname = desc.get("PrivateDnsName") or iid
            inst.write_boot_files(
                BootFiles(
                    instance_id=iid,
                    hostname=managed.hostname,
                    user_data=user_data,
                    environment={
                        "AWS_EC2_METADATA_SERVICE_ENDPOINT": managed.imds.url,
                        "AWS_ENDPOINT_URL": self.networks.api_url,
                        "AWS_CA_BUNDLE": "/" + API_CA_FILE,
                    },
                    nameserver=managed.net.nameserver,
                    ca=emulator_ca().cert_pem,
                )
            )
            inst.save(metadata_url=managed.imds.url)
            inst.start(managed.net.path)
        except Exception as exc:
            self._fail(managed, f"could not boot: {exc}")

    def _fail(self, managed: Managed, reason: str) -> None:
        """The container is down on its own: keep why, and tell the API (an OS shutdown)."""
        inst = managed.instance
        log.info(f"{inst.id}: {reason}")
        inst.stop(timeout=5)
        self._stop_metadata(managed)
        (inst.dir / BOOT_ERROR).write_text(reason + "\n")
        self.ec2.stop_instances(InstanceIds=[inst.id])

    def _remove(self, iid: str, *, graceful: bool) -> None:
        managed = self.managed.pop(iid)
        log.info(f"{iid}: terminate")
        self._stop_metadata(managed)
        managed.instance.destroy(timeout=10 if graceful else 0)
        self.networks.release(iid)

    @staticmethod
    def _stop_metadata(managed: Managed) -> None:
        if managed.imds is not None:
            managed.imds.stop()
            managed.imds = None

    # ------------------------------------------------------------- what it hands
    def _user_data(self, iid: str) -> bytes | None:
        attr = self.ec2.describe_instance_attribute(InstanceId=iid, Attribute="userData")
        value = attr.get("UserData", {}).get("Value")
        return base64.b64decode(value) if value else None

    def _metadata(
        self, desc: dict, user_data: bytes | None, net: InstanceNet | None = None
    ) -> MetadataService:
        """The instance's metadata service, at its subnet's router (``net``; None: on the
        host's loopback, for a test of the service alone)."""
        iid = desc["InstanceId"]
        roles: dict[str, RoleCredentials] = {}  # per role: credentials cached until renewal

        def iam() -> dict | None:
            """The profile associated now (moto associates it only after RunInstances has
            made the instance visible: a profile read at boot could be missing for good)."""
            reservations = self.ec2.describe_instances(InstanceIds=[iid])["Reservations"]
            arn = reservations[0]["Instances"][0].get("IamInstanceProfile", {}).get("Arn")
            if not arn:
                return None
            name = arn.rsplit("/", 1)[-1]
            profile = self.iam.get_instance_profile(InstanceProfileName=name)["InstanceProfile"]
            if not profile.get("Roles"):
                return None
            role_arn = profile["Roles"][0]["Arn"]
            if role_arn not in roles:
                # EC2 assumes it, as ec2.amazonaws.com, trust policy honoured
                ec2 = Ec2RoleCredentialsClient(self.endpoint_url, self.region)
                roles[role_arn] = RoleCredentials(ec2, role_arn, iid)
            return iam_tree(profile, roles[role_arn])

        account = desc.get("OwnerId") or "123456789012"
        return MetadataService(
            metadata_tree(desc, self.region, Lazy(iam)),
            identity=identity_document(desc, self.region, account),
            user_data=user_data,
            **({"host": net.gateway, "netns": net.vpc_ns} if net else {}),
        ).start()


# ------------------------------------------------------------------ in moto's server


class Ec2ActionHook:
    """WSGI middleware in front of moto: once moto has accepted an EC2 action named in
    ``listeners`` (query protocol, as every SDK sends EC2), call that listener with the
    request's instance ids. moto keeps an instance ``running`` through RebootInstances, so
    the plane could not see a reboot in DescribeInstances: it learns of it here."""

    def __init__(self, app, listeners: dict[str, Callable[[list[str]], None]]) -> None:
        self.app, self.listeners = app, listeners

    def __call__(self, environ, start_response):
        if "/ec2/aws4_request" not in environ.get("HTTP_AUTHORIZATION", ""):
            return self.app(environ, start_response)
        params = query_form(environ)  # {} unless a url-encoded POST: not a query-protocol call
        listener = self.listeners.get(params.get("Action", [""])[0])
        if listener is None:
            return self.app(environ, start_response)
        body, status, headers = run_wsgi_app(self.app, environ)
        start_response(status, headers.to_wsgi_list())
        if status.startswith("2"):
            listener([v[0] for k, v in params.items() if k.startswith("InstanceId.")])
        return body


def attach_data_plane(app, endpoint_url: str, image: str):
    """The data plane for the moto server at ``endpoint_url``, started, and ``app`` wrapped
    so that it hears of reboots and serves the network's routes
    (``harness/instances/internet_access.py``): ``(app, plane)``."""
    import os

    plane = DataPlane(
        endpoint_url, Path(image), region=os.environ.get("AWS_DEFAULT_REGION", "us-east-1")
    ).start()
    app = Ec2ActionHook(app, {"RebootInstances": plane.reboot})
    return NetworkAccessApp(app, plane.networks), plane


def server_args() -> list[str]:
    """``harness.emulator.server`` arguments that start the data plane; the image is built
    first (in the caller's process, where a failed build is a clear error) if need be."""
    from harness.instances import image

    return ["--instances", str(image.ensure())]
