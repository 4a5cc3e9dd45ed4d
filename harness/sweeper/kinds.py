"""What the sweeper can delete: one entry per resource type, keyed by our kind names.

``order`` is the deletion order (dependencies first): instances and databases, then what
they used (key pairs, subnet groups), then the standalone services, IAM, and the network
from the security groups outwards to the VPC. ``live`` narrows what the tagging API
returned to what really exists and may be deleted (a terminated instance keeps its tags for
an hour on AWS; a VPC's default security group and main route table go with the VPC; an
instance's root disk goes with the instance and an automated DB snapshot with its instance).

A deleter gets ``(inventory, ident, context)``; ``context["idents"]`` holds every ident of
the same kind found in the same search, for deleters that must act on the whole batch
first (security groups that reference each other).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from botocore.exceptions import ClientError


class Clients(Protocol):
    """What a deleter needs of the sweep: a client per service (``Inventory`` is one)."""

    def client(self, name: str): ...


Deleter = Callable[[Clients, str, dict], None]
Live = Callable[[Clients, list[str]], set[str]]


@dataclass(frozen=True)
class Kind:
    name: str
    order: int
    delete: Deleter
    live: Live | None = None


# ARN "service:type" -> our kind name, where they differ (moto and AWS spell flow logs apart)
ARN_KINDS = {
    "rds:db": "rds:db-instance",
    "rds:subgrp": "rds:subnet-group",
    "rds:pg": "rds:parameter-group",
    "ec2:vpc-flow-log": "ec2:flow-log",
    "ec2:flow-logs": "ec2:flow-log",
}


# services whose ARNs end in the bare resource name, with no type before it
BARE_NAMES = {"s3": "bucket", "sns": "topic", "sqs": "queue"}


def parse_arn(arn: str) -> tuple[str, str]:
    """``arn:aws:ec2:r:a:vpc/vpc-1`` -> (``ec2:vpc``, ``vpc-1``); S3 -> (``s3:bucket``, name)."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        raise ValueError(f"not an ARN: {arn!r}")
    service, resource = parts[2], parts[5]
    if service in BARE_NAMES:
        return f"{service}:{BARE_NAMES[service]}", resource
    cut = min((i for i in (resource.find("/"), resource.find(":")) if i >= 0), default=-1)
    if cut < 0:
        return f"{service}:{resource}", resource
    rtype, ident = resource[:cut], resource[cut + 1 :]
    if service == "logs":
        ident = ident.removesuffix(":*")
    if service == "ssm" and rtype == "parameter" and "/" in ident:
        ident = "/" + ident  # hierarchical names lose their leading slash in the ARN
    return f"{service}:{rtype}", ident


# ------------------------------------------------------------------------- EC2


def _live_instances(inv: Clients, ids: list[str]) -> set[str]:
    pages = inv.client("ec2").get_paginator("describe_instances")
    return {
        inst["InstanceId"]
        for page in pages.paginate(Filters=[{"Name": "instance-id", "Values": ids}])
        for res in page["Reservations"]
        for inst in res["Instances"]
        if inst["State"]["Name"] not in ("terminated", "shutting-down")
    }


def _live_volumes(inv: Clients, ids: list[str]) -> set[str]:
    """Volumes that are not an instance's disk: an attached volume that is deleted on
    termination goes with its instance (deleting it first fails with VolumeInUse). A filter,
    not VolumeIds: one volume already gone (the tag index lags) must not fail the batch."""
    filters = [{"Name": "volume-id", "Values": ids}]
    volumes = inv.client("ec2").describe_volumes(Filters=filters)["Volumes"]
    return {
        vol["VolumeId"]
        for vol in volumes
        if not any(
            att.get("State") in ("attaching", "attached") and att.get("DeleteOnTermination", True)
            for att in vol.get("Attachments", [])
        )
    }


def _delete_instance(inv: Clients, ident: str, context: dict) -> None:
    ec2 = inv.client("ec2")
    ec2.terminate_instances(InstanceIds=[ident])
    ec2.get_waiter("instance_terminated").wait(
        InstanceIds=[ident], WaiterConfig={"Delay": 5, "MaxAttempts": 120}
    )


def _security_groups(inv: Clients, ids: list[str]) -> list[dict]:
    filters = [{"Name": "group-id", "Values": ids}]
    return inv.client("ec2").describe_security_groups(Filters=filters)["SecurityGroups"]


def _live_security_groups(inv: Clients, ids: list[str]) -> set[str]:
    return {sg["GroupId"] for sg in _security_groups(inv, ids) if sg["GroupName"] != "default"}


def _delete_security_group(inv: Clients, ident: str, context: dict) -> None:
    ec2 = inv.client("ec2")
    if not context.get("revoked"):
        # groups of one stack reference each other: every rule goes before any group does
        for sg in _security_groups(inv, context["idents"]):
            for rules, revoke in (
                (sg.get("IpPermissions"), ec2.revoke_security_group_ingress),
                (sg.get("IpPermissionsEgress"), ec2.revoke_security_group_egress),
            ):
                # best effort: the delete below says what is really in the way
                if rules:
                    with contextlib.suppress(ClientError):
                        revoke(GroupId=sg["GroupId"], IpPermissions=rules)
        context["revoked"] = True
    ec2.delete_security_group(GroupId=ident)


def _live_route_tables(inv: Clients, ids: list[str]) -> set[str]:
    filters = [{"Name": "route-table-id", "Values": ids}]
    tables = inv.client("ec2").describe_route_tables(Filters=filters)["RouteTables"]
    return {
        rt["RouteTableId"]
        for rt in tables
        if not any(a.get("Main") for a in rt.get("Associations", []))
    }


def _delete_route_table(inv: Clients, ident: str, context: dict) -> None:
    ec2 = inv.client("ec2")
    for rt in ec2.describe_route_tables(RouteTableIds=[ident])["RouteTables"]:
        for assoc in rt.get("Associations", []):
            if assoc.get("RouteTableAssociationId") and not assoc.get("Main"):
                ec2.disassociate_route_table(AssociationId=assoc["RouteTableAssociationId"])
    ec2.delete_route_table(RouteTableId=ident)


def _delete_internet_gateway(inv: Clients, ident: str, context: dict) -> None:
    ec2 = inv.client("ec2")
    for igw in ec2.describe_internet_gateways(InternetGatewayIds=[ident])["InternetGateways"]:
        for att in igw.get("Attachments", []):
            ec2.detach_internet_gateway(InternetGatewayId=ident, VpcId=att["VpcId"])
    ec2.delete_internet_gateway(InternetGatewayId=ident)


def _delete_key_pair(inv: Clients, ident: str, context: dict) -> None:
    """By name: the tagging API names a key pair by its id, moto deletes by name only."""
    ec2 = inv.client("ec2")
    for kp in ec2.describe_key_pairs().get("KeyPairs", []):
        if kp.get("KeyPairId") == ident:
            ec2.delete_key_pair(KeyName=kp["KeyName"])


def _ec2(method: str, param: str, as_list: bool = False) -> Deleter:
    """A deleter that is one EC2 call with the ident as its only argument."""

    def delete(inv: Clients, ident: str, context: dict) -> None:
        getattr(inv.client("ec2"), method)(**{param: [ident] if as_list else ident})

    return delete


# ------------------------------------------------------------------------- RDS


def _live_db_instances(inv: Clients, ids: list[str]) -> set[str]:
    pages = inv.client("rds").get_paginator("describe_db_instances")
    return {
        db["DBInstanceIdentifier"]
        for page in pages.paginate()
        for db in page["DBInstances"]
        if db["DBInstanceIdentifier"] in ids and db.get("DBInstanceStatus") != "deleting"
    }


def _delete_db_instance(inv: Clients, ident: str, context: dict) -> None:
    rds = inv.client("rds")
    with contextlib.suppress(ClientError):  # already off, or busy: the delete says which
        rds.modify_db_instance(
            DBInstanceIdentifier=ident, DeletionProtection=False, ApplyImmediately=True
        )
    rds.delete_db_instance(
        DBInstanceIdentifier=ident, SkipFinalSnapshot=True, DeleteAutomatedBackups=True
    )
    rds.get_waiter("db_instance_deleted").wait(
        DBInstanceIdentifier=ident, WaiterConfig={"Delay": 15, "MaxAttempts": 80}
    )


def _live_manual_snapshots(inv: Clients, ids: list[str]) -> set[str]:
    """Manual DB snapshots only: an automated one (``rds:<instance>-<date>``) goes with its
    instance or its retention, and RDS refuses to delete it."""
    pages = inv.client("rds").get_paginator("describe_db_snapshots")
    return {
        snap["DBSnapshotIdentifier"]
        for page in pages.paginate(SnapshotType="manual")
        for snap in page["DBSnapshots"]
        if snap["DBSnapshotIdentifier"] in ids
    }


def _delete_db_snapshot(inv: Clients, ident: str, context: dict) -> None:
    inv.client("rds").delete_db_snapshot(DBSnapshotIdentifier=ident)


def _delete_db_subnet_group(inv: Clients, ident: str, context: dict) -> None:
    inv.client("rds").delete_db_subnet_group(DBSubnetGroupName=ident)


def _delete_db_parameter_group(inv: Clients, ident: str, context: dict) -> None:
    inv.client("rds").delete_db_parameter_group(DBParameterGroupName=ident)


# ------------------------------------------------------------ S3, SSM, logs, alarms


def _delete_bucket(inv: Clients, ident: str, context: dict) -> None:
    s3 = inv.client("s3")
    # boto3 asks for encoding-type=url and decodes the keys itself
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=ident):
        objects = [
            {"Key": v["Key"], "VersionId": v["VersionId"]}
            for v in page.get("Versions", []) + page.get("DeleteMarkers", [])
        ]
        if objects:
            s3.delete_objects(Bucket=ident, Delete={"Objects": objects, "Quiet": True})
    s3.delete_bucket(Bucket=ident)


def _delete_parameter(inv: Clients, ident: str, context: dict) -> None:
    ssm = inv.client("ssm")
    try:
        ssm.delete_parameter(Name=ident)
    except ClientError as exc:  # ``parameter/x`` is the ARN of both ``x`` and ``/x``
        if "ParameterNotFound" not in str(exc) or ident.startswith("/"):
            raise
        ssm.delete_parameter(Name="/" + ident)


def _delete_log_group(inv: Clients, ident: str, context: dict) -> None:
    inv.client("logs").delete_log_group(logGroupName=ident)


def _delete_alarm(inv: Clients, ident: str, context: dict) -> None:
    inv.client("cloudwatch").delete_alarms(AlarmNames=[ident])


# ------------------------------------------------------------------------- IAM


def _delete_instance_profile(inv: Clients, ident: str, context: dict) -> None:
    iam = inv.client("iam")
    prof = iam.get_instance_profile(InstanceProfileName=ident)["InstanceProfile"]
    for role in prof.get("Roles", []):
        iam.remove_role_from_instance_profile(InstanceProfileName=ident, RoleName=role["RoleName"])
    iam.delete_instance_profile(InstanceProfileName=ident)


def _delete_role(inv: Clients, ident: str, context: dict) -> None:
    iam = inv.client("iam")
    for pol in iam.list_role_policies(RoleName=ident)["PolicyNames"]:
        iam.delete_role_policy(RoleName=ident, PolicyName=pol)
    for att in iam.list_attached_role_policies(RoleName=ident)["AttachedPolicies"]:
        iam.detach_role_policy(RoleName=ident, PolicyArn=att["PolicyArn"])
    for prof in iam.list_instance_profiles_for_role(RoleName=ident)["InstanceProfiles"]:
        iam.remove_role_from_instance_profile(
            InstanceProfileName=prof["InstanceProfileName"], RoleName=ident
        )
    iam.delete_role(RoleName=ident)


def _delete_policy(inv: Clients, ident: str, context: dict) -> None:
    iam = inv.client("iam")
    for ent in iam.list_entities_for_policy(PolicyArn=ident)["PolicyRoles"]:
        iam.detach_role_policy(RoleName=ent["RoleName"], PolicyArn=ident)
    for version in iam.list_policy_versions(PolicyArn=ident)["Versions"]:
        if not version["IsDefaultVersion"]:
            iam.delete_policy_version(PolicyArn=ident, VersionId=version["VersionId"])
    iam.delete_policy(PolicyArn=ident)


KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind("ec2:instance", 10, _delete_instance, _live_instances),
        Kind("rds:db-instance", 10, _delete_db_instance, _live_db_instances),
        Kind("rds:snapshot", 15, _delete_db_snapshot, _live_manual_snapshots),
        Kind("ec2:key-pair", 20, _delete_key_pair),
        Kind("rds:subnet-group", 30, _delete_db_subnet_group),
        Kind("rds:parameter-group", 30, _delete_db_parameter_group),
        Kind("ec2:network-interface", 35, _ec2("delete_network_interface", "NetworkInterfaceId")),
        Kind("ec2:volume", 35, _ec2("delete_volume", "VolumeId"), _live_volumes),
        Kind("ec2:flow-log", 40, _ec2("delete_flow_logs", "FlowLogIds", as_list=True)),
        Kind("s3:bucket", 40, _delete_bucket),
        Kind("ssm:parameter", 40, _delete_parameter),
        Kind("logs:log-group", 40, _delete_log_group),
        Kind("cloudwatch:alarm", 40, _delete_alarm),
        Kind("iam:instance-profile", 45, _delete_instance_profile),
        Kind("iam:policy", 48, _delete_policy),
        Kind("iam:role", 50, _delete_role),
        Kind("ec2:security-group", 60, _delete_security_group, _live_security_groups),
        Kind("ec2:route-table", 65, _delete_route_table, _live_route_tables),
        Kind("ec2:subnet", 70, _ec2("delete_subnet", "SubnetId")),
        Kind("ec2:internet-gateway", 75, _delete_internet_gateway),
        Kind("ec2:vpc", 90, _ec2("delete_vpc", "VpcId")),
    )
}
