"""Find and delete resources the suite left behind, by tag.

Every resource of a test run carries ``Project`` and ``run_id`` tags (provider
``default_tags``). Run ids made by the harness embed their creation time
(``t2611290530abcde`` = 2026-11-29 05:30 UTC), so a sweep can keep young runs alone.

    python -m harness.sweeper --target emulator --endpoint http://127.0.0.1:5000 --older-than 0s
    python -m harness.sweeper --target aws --older-than 6h [--dry-run]

The same inventory answers "is anything tagged with this run id left?" for the tests.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

RUN_ID_TAG = "run_id"
PROJECT_TAG = "Project"
RUN_ID_TIME = re.compile(r"^[a-z](\d{10})[0-9a-f]{5}$")


def run_id_created(run_id: str) -> datetime | None:
    match = RUN_ID_TIME.match(run_id or "")
    if not match:
        return None
    try:
        return datetime.strptime(match.group(1), "%y%m%d%H%M").replace(tzinfo=UTC)
    except ValueError:
        return None


def new_run_id(prefix: str = "t") -> str:
    """Short, lowercase, unique, with its creation time (UTC) embedded."""
    return f"{prefix}{time.strftime('%y%m%d%H%M', time.gmtime())}{os.urandom(3).hex()[:5]}"


def parse_age(text: str) -> timedelta:
    match = re.fullmatch(r"(\d+)([smhd])", text.strip())
    if not match:
        raise argparse.ArgumentTypeError(f"age like 30m, 6h, 2d: {text!r}")
    n, unit = int(match.group(1)), match.group(2)
    units = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
    return timedelta(**{units[unit]: n})


@dataclass
class Found:
    kind: str
    ident: str
    run_id: str
    delete: Callable[[], None] = field(repr=False, default=lambda: None)
    order: int = 50

    def __str__(self) -> str:
        return f"{self.kind} {self.ident} (run_id={self.run_id})"


def _tags(items) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in items or []}


class Inventory:
    """Lists (and can delete) the stack's resource types in one account/region."""

    def __init__(self, endpoint_url: str | None = None, region: str | None = None) -> None:
        kwargs: dict = {"region_name": region or os.environ.get("AWS_REGION") or "us-east-1"}
        if endpoint_url:
            kwargs.update(
                endpoint_url=endpoint_url,
                aws_access_key_id="testing",
                aws_secret_access_key="testing",
            )
        self._kwargs = kwargs
        self._config = Config(retries={"max_attempts": 5, "mode": "standard"})
        self._clients: dict = {}

    def client(self, name: str):
        if name not in self._clients:
            self._clients[name] = boto3.client(name, config=self._config, **self._kwargs)
        return self._clients[name]

    # -------------------------------------------------------------- listing
    def find(self, match: Callable[[dict[str, str]], bool]) -> list[Found]:
        found: list[Found] = []
        for lister in (
            self._ec2_instances,
            self._ec2_network,
            self._rds,
            self._s3,
            self._ssm,
            self._logs,
            self._alarms,
            self._iam,
        ):
            found.extend(lister(match))
        return sorted(found, key=lambda f: f.order)

    def by_run_id(self, run_id: str) -> list[Found]:
        return self.find(lambda tags: tags.get(RUN_ID_TAG) == run_id)

    def _ec2_instances(self, match) -> list[Found]:
        ec2 = self.client("ec2")
        out = []
        for page in ec2.get_paginator("describe_instances").paginate():
            for res in page["Reservations"]:
                for inst in res["Instances"]:
                    tags = _tags(inst.get("Tags"))
                    if inst["State"]["Name"] in ("terminated", "shutting-down") or not match(tags):
                        continue
                    iid = inst["InstanceId"]

                    def delete(iid=iid):
                        ec2.terminate_instances(InstanceIds=[iid])
                        ec2.get_waiter("instance_terminated").wait(
                            InstanceIds=[iid], WaiterConfig={"Delay": 5, "MaxAttempts": 120}
                        )

                    out.append(Found("ec2:instance", iid, tags.get(RUN_ID_TAG, ""), delete, 10))
        return out

    def _ec2_network(self, match) -> list[Found]:
        ec2 = self.client("ec2")
        out: list[Found] = []

        def tagged(items, key):
            for item in items:
                tags = _tags(item.get("Tags"))
                if match(tags):
                    yield item[key], tags.get(RUN_ID_TAG, "")

        groups = [
            sg
            for sg in ec2.describe_security_groups()["SecurityGroups"]
            if sg.get("GroupName") != "default" and match(_tags(sg.get("Tags")))
        ]
        revoked: list[bool] = []

        def revoke_all() -> None:
            # groups may reference each other: every rule goes before any group does
            if revoked:
                return
            for sg in groups:
                with contextlib.suppress(ClientError):
                    if sg.get("IpPermissions"):
                        ec2.revoke_security_group_ingress(
                            GroupId=sg["GroupId"], IpPermissions=sg["IpPermissions"]
                        )
                with contextlib.suppress(ClientError):
                    if sg.get("IpPermissionsEgress"):
                        ec2.revoke_security_group_egress(
                            GroupId=sg["GroupId"], IpPermissions=sg["IpPermissionsEgress"]
                        )
            revoked.append(True)

        for sg in groups:

            def delete(sg=sg):
                revoke_all()
                ec2.delete_security_group(GroupId=sg["GroupId"])

            out.append(
                Found(
                    "ec2:security-group",
                    sg["GroupId"],
                    _tags(sg.get("Tags")).get(RUN_ID_TAG, ""),
                    delete,
                    60,
                )
            )
        for sid, rid in tagged(ec2.describe_subnets()["Subnets"], "SubnetId"):
            out.append(
                Found("ec2:subnet", sid, rid, lambda s=sid: ec2.delete_subnet(SubnetId=s), 70)
            )
        for rt in ec2.describe_route_tables()["RouteTables"]:
            tags = _tags(rt.get("Tags"))
            if any(a.get("Main") for a in rt.get("Associations", [])) or not match(tags):
                continue

            def delete(rt=rt):
                for assoc in rt.get("Associations", []):
                    if assoc.get("RouteTableAssociationId") and not assoc.get("Main"):
                        ec2.disassociate_route_table(AssociationId=assoc["RouteTableAssociationId"])
                ec2.delete_route_table(RouteTableId=rt["RouteTableId"])

            out.append(
                Found("ec2:route-table", rt["RouteTableId"], tags.get(RUN_ID_TAG, ""), delete, 65)
            )
        for igw in ec2.describe_internet_gateways()["InternetGateways"]:
            tags = _tags(igw.get("Tags"))
            if not match(tags):
                continue

            def delete(igw=igw):
                for att in igw.get("Attachments", []):
                    ec2.detach_internet_gateway(
                        InternetGatewayId=igw["InternetGatewayId"], VpcId=att["VpcId"]
                    )
                ec2.delete_internet_gateway(InternetGatewayId=igw["InternetGatewayId"])

            out.append(
                Found(
                    "ec2:internet-gateway",
                    igw["InternetGatewayId"],
                    tags.get(RUN_ID_TAG, ""),
                    delete,
                    75,
                )
            )
        for vid, rid in tagged(ec2.describe_vpcs()["Vpcs"], "VpcId"):
            out.append(Found("ec2:vpc", vid, rid, lambda v=vid: ec2.delete_vpc(VpcId=v), 90))
        for kid, rid in tagged(ec2.describe_key_pairs().get("KeyPairs", []), "KeyName"):
            out.append(
                Found("ec2:key-pair", kid, rid, lambda k=kid: ec2.delete_key_pair(KeyName=k), 20)
            )
        return out

    def _rds(self, match) -> list[Found]:
        rds = self.client("rds")
        out = []
        for db in rds.describe_db_instances()["DBInstances"]:
            tags = _tags(db.get("TagList"))
            if not match(tags) or db.get("DBInstanceStatus") == "deleting":
                continue
            ident = db["DBInstanceIdentifier"]

            def delete(ident=ident):
                with contextlib.suppress(ClientError):
                    rds.modify_db_instance(
                        DBInstanceIdentifier=ident, DeletionProtection=False, ApplyImmediately=True
                    )
                rds.delete_db_instance(
                    DBInstanceIdentifier=ident, SkipFinalSnapshot=True, DeleteAutomatedBackups=True
                )
                rds.get_waiter("db_instance_deleted").wait(
                    DBInstanceIdentifier=ident, WaiterConfig={"Delay": 15, "MaxAttempts": 80}
                )

            out.append(Found("rds:db-instance", ident, tags.get(RUN_ID_TAG, ""), delete, 10))
        for group in rds.describe_db_subnet_groups()["DBSubnetGroups"]:
            arn = group.get("DBSubnetGroupArn")
            tags = _tags(rds.list_tags_for_resource(ResourceName=arn)["TagList"]) if arn else {}
            if match(tags):
                name = group["DBSubnetGroupName"]
                out.append(
                    Found(
                        "rds:subnet-group",
                        name,
                        tags.get(RUN_ID_TAG, ""),
                        lambda n=name: rds.delete_db_subnet_group(DBSubnetGroupName=n),
                        30,
                    )
                )
        return out

    def _s3(self, match) -> list[Found]:
        s3 = self.client("s3")
        out = []
        for bucket in s3.list_buckets().get("Buckets", []):
            name = bucket["Name"]
            try:
                tags = _tags(s3.get_bucket_tagging(Bucket=name)["TagSet"])
            except ClientError:
                continue
            if not match(tags):
                continue

            def delete(name=name):
                paginator = s3.get_paginator("list_object_versions")
                for page in paginator.paginate(Bucket=name):
                    objs = [
                        {"Key": v["Key"], "VersionId": v["VersionId"]}
                        for v in page.get("Versions", []) + page.get("DeleteMarkers", [])
                    ]
                    if objs:
                        s3.delete_objects(Bucket=name, Delete={"Objects": objs, "Quiet": True})
                s3.delete_bucket(Bucket=name)

            out.append(Found("s3:bucket", name, tags.get(RUN_ID_TAG, ""), delete, 40))
        return out

    def _ssm(self, match) -> list[Found]:
        ssm = self.client("ssm")
        out = []
        for page in ssm.get_paginator("describe_parameters").paginate():
            for param in page["Parameters"]:
                name = param["Name"]
                tags = _tags(
                    ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=name)["TagList"]
                )
                if match(tags):
                    out.append(
                        Found(
                            "ssm:parameter",
                            name,
                            tags.get(RUN_ID_TAG, ""),
                            lambda n=name: ssm.delete_parameter(Name=n),
                            40,
                        )
                    )
        return out

    def _logs(self, match) -> list[Found]:
        logs = self.client("logs")
        out = []
        for page in logs.get_paginator("describe_log_groups").paginate():
            for group in page["logGroups"]:
                name = group["logGroupName"]
                try:
                    tags = logs.list_tags_for_resource(resourceArn=group["arn"].removesuffix(":*"))[
                        "tags"
                    ]
                except (ClientError, KeyError):
                    tags = logs.list_tags_log_group(logGroupName=name).get("tags", {})
                if match(tags):
                    out.append(
                        Found(
                            "logs:log-group",
                            name,
                            tags.get(RUN_ID_TAG, ""),
                            lambda n=name: logs.delete_log_group(logGroupName=n),
                            40,
                        )
                    )
        return out

    def _alarms(self, match) -> list[Found]:
        cw = self.client("cloudwatch")
        out = []
        for page in cw.get_paginator("describe_alarms").paginate():
            for alarm in page.get("MetricAlarms", []):
                tags = _tags(cw.list_tags_for_resource(ResourceARN=alarm["AlarmArn"])["Tags"])
                if match(tags):
                    name = alarm["AlarmName"]
                    out.append(
                        Found(
                            "cloudwatch:alarm",
                            name,
                            tags.get(RUN_ID_TAG, ""),
                            lambda n=name: cw.delete_alarms(AlarmNames=[n]),
                            40,
                        )
                    )
        return out

    def _profile_tags(self, prof: dict) -> dict[str, str]:
        """Tags of an instance profile; an emulator without the API falls back to its role's."""
        if prof.get("Tags"):
            return _tags(prof["Tags"])
        iam = self.client("iam")
        try:
            return _tags(
                iam.list_instance_profile_tags(InstanceProfileName=prof["InstanceProfileName"])[
                    "Tags"
                ]
            )
        except (ClientError, BotoCoreError):
            for role in prof.get("Roles", []):
                return _tags(iam.list_role_tags(RoleName=role["RoleName"])["Tags"])
        return {}

    def _iam(self, match) -> list[Found]:
        iam = self.client("iam")
        out = []
        for page in iam.get_paginator("list_instance_profiles").paginate():
            for prof in page["InstanceProfiles"]:
                tags = self._profile_tags(prof)
                if not match(tags):
                    continue

                def delete(prof=prof):
                    for role in prof.get("Roles", []):
                        iam.remove_role_from_instance_profile(
                            InstanceProfileName=prof["InstanceProfileName"],
                            RoleName=role["RoleName"],
                        )
                    iam.delete_instance_profile(InstanceProfileName=prof["InstanceProfileName"])

                out.append(
                    Found(
                        "iam:instance-profile",
                        prof["InstanceProfileName"],
                        tags.get(RUN_ID_TAG, ""),
                        delete,
                        45,
                    )
                )
        for page in iam.get_paginator("list_roles").paginate():
            for role in page["Roles"]:
                name = role["RoleName"]
                tags = _tags(iam.list_role_tags(RoleName=name)["Tags"])
                if not match(tags):
                    continue

                def delete(name=name):
                    for pol in iam.list_role_policies(RoleName=name)["PolicyNames"]:
                        iam.delete_role_policy(RoleName=name, PolicyName=pol)
                    for att in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]:
                        iam.detach_role_policy(RoleName=name, PolicyArn=att["PolicyArn"])
                    for prof in iam.list_instance_profiles_for_role(RoleName=name)[
                        "InstanceProfiles"
                    ]:
                        iam.remove_role_from_instance_profile(
                            InstanceProfileName=prof["InstanceProfileName"], RoleName=name
                        )
                    iam.delete_role(RoleName=name)

                out.append(Found("iam:role", name, tags.get(RUN_ID_TAG, ""), delete, 50))
        for page in iam.get_paginator("list_policies").paginate(Scope="Local"):
            for pol in page["Policies"]:
                tags = _tags(iam.list_policy_tags(PolicyArn=pol["Arn"])["Tags"])
                if match(tags):
                    arn = pol["Arn"]

                    def delete(arn=arn):
                        for ent in iam.list_entities_for_policy(PolicyArn=arn)["PolicyRoles"]:
                            iam.detach_role_policy(RoleName=ent["RoleName"], PolicyArn=arn)
                        iam.delete_policy(PolicyArn=arn)

                    out.append(Found("iam:policy", arn, tags.get(RUN_ID_TAG, ""), delete, 48))
        return out


def sweep(
    inventory: Inventory,
    *,
    older_than: timedelta,
    project: str = "filestore",
    dry_run: bool = False,
    now: datetime | None = None,
) -> tuple[list[Found], list[tuple[Found, str]]]:
    """Delete the suite's resources whose run id is older than ``older_than``."""
    now = now or datetime.now(UTC)

    def match(tags: dict[str, str]) -> bool:
        if tags.get(PROJECT_TAG) != project:
            return False
        created = run_id_created(tags.get(RUN_ID_TAG, ""))
        return created is not None and now - created >= older_than

    deleted: list[Found] = []
    failed: list[tuple[Found, str]] = []
    for item in inventory.find(match):
        if dry_run:
            print(f"would delete {item}")
            deleted.append(item)
            continue
        try:
            item.delete()
        except ClientError as exc:
            failed.append((item, str(exc)))
            print(f"FAILED   {item}: {exc}")
            continue
        deleted.append(item)
        print(f"deleted  {item}")
    return deleted, failed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument(
        "--target", choices=["emulator", "aws"], default=os.environ.get("TARGET", "emulator")
    )
    parser.add_argument("--endpoint", default=os.environ.get("EMULATOR_URL", ""))
    parser.add_argument("--region", default=os.environ.get("AWS_REGION", "us-east-1"))
    parser.add_argument("--older-than", type=parse_age, default=parse_age("6h"))
    parser.add_argument("--project", default="filestore")
    parser.add_argument("--dry-run", action="store_true")
    args = parser.parse_args(argv)
    if args.target == "emulator":
        endpoint = args.endpoint or _up_endpoint()
        if not endpoint:
            print("emulator target: give --endpoint or EMULATOR_URL (or run `make up` first)")
            return 2
    else:
        endpoint = None
    inv = Inventory(endpoint_url=endpoint, region=args.region)
    deleted, failed = sweep(
        inv, older_than=args.older_than, project=args.project, dry_run=args.dry_run
    )
    print(f"sweep: {len(deleted)} deleted, {len(failed)} failed ({args.target})")
    return 1 if failed else 0


def _up_endpoint() -> str:
    from harness.paths import STACK_STATE_DIR

    env_file = STACK_STATE_DIR / "up.env"
    if env_file.exists():
        for line in env_file.read_text().splitlines():
            if line.startswith("EMULATOR_URL="):
                return line.split("=", 1)[1].strip()
    return ""


if __name__ == "__main__":
    sys.exit(main())
