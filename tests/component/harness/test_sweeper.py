"""The sweeper against a real moto server: old runs' resources go, young ones and others stay.

Resources are found through the tagging API where moto indexes them, by explicit listing
where it does not (IAM, key pairs, DB subnet groups): the kinds asserted below cover both."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from harness.emulator.launcher import MotoServer
from harness.runid import new_run_id, parse_age, run_id_created
from harness.sweeper.kinds import _live_volumes, parse_arn
from harness.sweeper.sweep import Inventory, sweep


def _tags(run_id: str, project: str = "filestore") -> list[dict]:
    return [{"Key": "Project", "Value": project}, {"Key": "run_id", "Value": run_id}]


def make_resources(moto: MotoServer, run_id: str, project: str = "filestore") -> None:
    tags = _tags(run_id, project)
    ec2, s3, ssm, logs, iam, rds, cw = (
        moto.client(s) for s in ("ec2", "s3", "ssm", "logs", "iam", "rds", "cloudwatch")
    )
    vpc = ec2.create_vpc(
        CidrBlock="10.9.0.0/16", TagSpecifications=[{"ResourceType": "vpc", "Tags": tags}]
    )["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(
            VpcId=vpc,
            CidrBlock=f"10.9.{i}.0/24",
            AvailabilityZone=f"us-east-1{'ab'[i]}",
            TagSpecifications=[{"ResourceType": "subnet", "Tags": tags}],
        )["Subnet"]["SubnetId"]
        for i in range(2)
    ]
    web, db = (
        ec2.create_security_group(
            GroupName=f"{run_id}-{name}",
            Description=name,
            VpcId=vpc,
            TagSpecifications=[{"ResourceType": "security-group", "Tags": tags}],
        )["GroupId"]
        for name in ("web", "db")
    )
    ec2.authorize_security_group_ingress(
        GroupId=db,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 3306,
                "ToPort": 3306,
                "UserIdGroupPairs": [{"GroupId": web}],
            }
        ],
    )
    igw = ec2.create_internet_gateway(
        TagSpecifications=[{"ResourceType": "internet-gateway", "Tags": tags}]
    )["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    rt = ec2.create_route_table(
        VpcId=vpc, TagSpecifications=[{"ResourceType": "route-table", "Tags": tags}]
    )["RouteTable"]["RouteTableId"]
    ec2.associate_route_table(RouteTableId=rt, SubnetId=subnets[0])
    # the stack tags its VPC's default group (aws_default_security_group): it goes with the VPC
    default_sg = ec2.describe_security_groups(
        Filters=[{"Name": "vpc-id", "Values": [vpc]}, {"Name": "group-name", "Values": ["default"]}]
    )["SecurityGroups"][0]["GroupId"]
    ec2.create_tags(Resources=[default_sg], Tags=tags)
    ec2.create_flow_logs(
        ResourceIds=[vpc],
        ResourceType="VPC",
        TrafficType="ALL",
        LogDestinationType="cloud-watch-logs",
        LogGroupName=f"/{project}/{run_id}/flow",
        DeliverLogsPermissionArn="arn:aws:iam::123456789012:role/flow",
        TagSpecifications=[{"ResourceType": "vpc-flow-log", "Tags": tags}],
    )
    ec2.create_key_pair(
        KeyName=f"{project}-{run_id}",
        TagSpecifications=[{"ResourceType": "key-pair", "Tags": tags}],
    )
    ec2.run_instances(
        ImageId="ami-785db401",
        MinCount=1,
        MaxCount=1,
        InstanceType="t3.micro",
        SubnetId=subnets[0],
        TagSpecifications=[
            {"ResourceType": "instance", "Tags": tags},
            {"ResourceType": "volume", "Tags": tags},  # its root disk: goes with it
        ],
    )
    bucket = f"{project}-{run_id}"
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": tags})
    s3.put_object(Bucket=bucket, Key="a.txt", Body=b"1")
    s3.put_object(Bucket=bucket, Key="a.txt", Body=b"2")
    ssm.put_parameter(
        Name=f"/{project}/{run_id}/db/password", Value="x", Type="SecureString", Tags=tags
    )
    logs.create_log_group(
        logGroupName=f"/{project}/{run_id}/app", tags={t["Key"]: t["Value"] for t in tags}
    )
    cw.put_metric_alarm(
        AlarmName=f"{run_id}-cpu",
        MetricName="CPUUtilization",
        Namespace="AWS/EC2",
        Statistic="Average",
        Period=300,
        EvaluationPeriods=1,
        Threshold=80,
        ComparisonOperator="GreaterThanThreshold",
        Tags=tags,
    )
    iam.create_role(
        RoleName=f"{run_id}-role",
        AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}),
        Tags=tags,
    )
    iam.put_role_policy(
        RoleName=f"{run_id}-role",
        PolicyName="inline",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::x/*"}
                ],
            }
        ),
    )
    iam.create_instance_profile(InstanceProfileName=f"{run_id}-profile", Tags=tags)
    iam.add_role_to_instance_profile(
        InstanceProfileName=f"{run_id}-profile", RoleName=f"{run_id}-role"
    )
    rds.create_db_subnet_group(
        DBSubnetGroupName=f"{run_id}-db",
        DBSubnetGroupDescription="db",
        SubnetIds=subnets,
        Tags=tags,
    )
    rds.create_db_parameter_group(
        DBParameterGroupName=f"{run_id}-db",
        DBParameterGroupFamily="mysql8.4",
        Description="db",
        Tags=tags,
    )
    rds.create_db_instance(
        DBInstanceIdentifier=f"{run_id}-db",
        DBParameterGroupName=f"{run_id}-db",
        Engine="mysql",
        DBInstanceClass="db.t3.micro",
        AllocatedStorage=20,
        MasterUsername="admin",
        MasterUserPassword="password-123",
        DBSubnetGroupName=f"{run_id}-db",
        BackupRetentionPeriod=1,  # an automated snapshot, tagged: goes with the instance
        CopyTagsToSnapshot=True,
        Tags=tags,
    )
    rds.create_db_snapshot(
        DBInstanceIdentifier=f"{run_id}-db", DBSnapshotIdentifier=f"{run_id}-manual", Tags=tags
    )


def test_run_ids_carry_their_creation_time():
    rid = new_run_id()
    created = run_id_created(rid)
    assert created is not None and abs(datetime.now(UTC) - created) < timedelta(minutes=2)
    assert run_id_created("manual") is None
    assert parse_age("90m") == timedelta(minutes=90)


def test_bad_ages_and_prefixes_are_clear_errors():
    import argparse

    with pytest.raises(argparse.ArgumentTypeError, match="age like 30m"):
        parse_age("6 hours")
    with pytest.raises(ValueError, match="one lowercase letter"):
        new_run_id("run")


@pytest.mark.parametrize(
    ("arn", "expected"),
    [
        ("arn:aws:ec2:us-east-1:1:vpc/vpc-1", ("ec2:vpc", "vpc-1")),
        ("arn:aws:ec2:us-east-1:1:vpc-flow-log/fl-1", ("ec2:vpc-flow-log", "fl-1")),
        ("arn:aws:ec2:us-east-1:1:key-pair/key-0ab", ("ec2:key-pair", "key-0ab")),
        ("arn:aws:s3:::filestore-t1", ("s3:bucket", "filestore-t1")),
        (
            "arn:aws:ssm:us-east-1:1:parameter/filestore/t1/db",
            ("ssm:parameter", "/filestore/t1/db"),
        ),
        (
            "arn:aws:logs:us-east-1:1:log-group:/filestore/t1/app:*",
            ("logs:log-group", "/filestore/t1/app"),
        ),
        ("arn:aws:rds:us-east-1:1:db:t1-db", ("rds:db", "t1-db")),
        ("arn:aws:rds:us-east-1:1:subgrp:t1-db", ("rds:subgrp", "t1-db")),
        ("arn:aws:rds:us-east-1:1:pg:t1-db", ("rds:pg", "t1-db")),
        ("arn:aws:cloudwatch:us-east-1:1:alarm:t1-cpu", ("cloudwatch:alarm", "t1-cpu")),
    ],
)
def test_arns_name_their_type_and_resource(arn, expected):
    assert parse_arn(arn) == expected


def test_a_tagged_resource_without_a_deleter_fails_the_sweep_loudly(moto):
    old = f"t{(datetime.now(UTC) - timedelta(hours=8)).strftime('%y%m%d%H%M')}0dead"
    moto.client("sns").create_topic(Name=f"topic-{old}", Tags=_tags(old))
    inventory = Inventory(endpoint_url=moto.url)
    [topic] = inventory.by_run_id(old)
    assert topic.kind == "sns:topic"
    deleted, failed = sweep(inventory, older_than=timedelta(hours=6))
    assert [f.ident for f, _ in failed] == [topic.ident] and "no deleter" in failed[0][1]
    moto.client("sns").delete_topic(TopicArn=topic.arn)


def test_sweep_deletes_old_runs_only(moto):
    now = datetime.now(UTC)
    old = f"t{(now - timedelta(hours=8)).strftime('%y%m%d%H%M')}abcde"
    young = new_run_id()
    make_resources(moto, old)
    make_resources(moto, young)
    make_resources(
        moto, f"t{(now - timedelta(hours=8)).strftime('%y%m%d%H%M')}fffff", project="other"
    )
    inventory = Inventory(endpoint_url=moto.url)
    kinds = {f.kind for f in inventory.by_run_id(old)}
    assert kinds >= {
        "ec2:instance",
        "ec2:key-pair",
        "ec2:flow-log",
        "ec2:vpc",
        "ec2:subnet",
        "ec2:security-group",
        "ec2:internet-gateway",
        "ec2:route-table",
        "s3:bucket",
        "ssm:parameter",
        "logs:log-group",
        "cloudwatch:alarm",
        "iam:role",
        "iam:instance-profile",
        "rds:db-instance",
        "rds:subnet-group",
        "rds:parameter-group",
        "rds:snapshot",
    }, kinds
    # what goes with its owner is not listed: the instance's root disk, the automated snapshot
    assert "ec2:volume" not in kinds
    assert [f.ident for f in inventory.by_run_id(old) if f.kind == "rds:snapshot"] == [
        f"{old}-manual"
    ]

    young_before = inventory.by_run_id(young)
    deleted, failed = sweep(inventory, older_than=timedelta(hours=6))

    assert not failed, failed
    assert {f.run_id for f in deleted} == {old}
    assert inventory.by_run_id(old) == []
    assert len(inventory.by_run_id(young)) == len(young_before)  # the young run is untouched
    assert inventory.find(lambda t: t.get("Project") == "other"), (
        "another project's resources were swept"
    )


def test_dry_run_deletes_nothing(moto):
    old = f"t{(datetime.now(UTC) - timedelta(days=2)).strftime('%y%m%d%H%M')}00001"
    make_resources(moto, old)
    inventory = Inventory(endpoint_url=moto.url)
    before = len(inventory.by_run_id(old))
    listed, _ = sweep(inventory, older_than=timedelta(hours=1), dry_run=True)
    assert {f.run_id for f in listed} >= {old}
    assert len(inventory.by_run_id(old)) == before


def test_a_volume_already_gone_does_not_fail_the_volume_batch(moto):
    """The tagging API can list a volume that its instance's termination has just deleted."""
    ec2 = moto.client("ec2")
    kept = ec2.create_volume(AvailabilityZone="us-east-1a", Size=1)["VolumeId"]
    gone = ec2.create_volume(AvailabilityZone="us-east-1a", Size=1)["VolumeId"]
    ec2.delete_volume(VolumeId=gone)
    assert _live_volumes(Inventory(endpoint_url=moto.url), [kept, gone]) == {kept}
    ec2.delete_volume(VolumeId=kept)
