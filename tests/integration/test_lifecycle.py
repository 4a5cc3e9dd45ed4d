"""The whole stack, end to end: the design as the API shows it, files through the
instance's app, one database row per upload.

First of the main stack's modules (see conftest: design and app, inside the instance,
the browser, a replaced instance, then drift and destroy in test_teardown.py).
"""

from __future__ import annotations

import hashlib
import io
import json
import struct
import zlib
from urllib.parse import quote

import pytest
import requests

pytestmark = pytest.mark.integration

CSV = b"id,name,email\n1,Ada,ada@example.com\n2,Grace,grace@example.com\n"


def _png(width: int = 8, height: int = 8) -> bytes:
    """A small valid PNG image (the seed's 'cat picture' stand-in)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    raw = b"".join(
        b"\x00" + bytes((x * 31 + y * 7) % 256 for x in range(width * 3)) for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


PNG = _png()


# ----------------------------------------------------------------------------- design


def test_outputs_are_complete(deployment):
    expected = {
        "app_url",
        "bucket_name",
        "db_endpoint",
        "db_password_parameter",
        "instance_id",
        "db_address",
        "db_port",
        "db_name",
        "db_username",
        "vpc_id",
        "private_subnet_ids",
        "public_subnet_id",
        "web_security_group_id",
        "db_security_group_id",
        "log_group_name",
    }
    missing = expected - set(deployment.outputs)
    assert not missing, f"outputs missing: {sorted(missing)}"
    password = deployment.client("ssm").get_parameter(
        Name=deployment.outputs["db_password_parameter"], WithDecryption=True
    )["Parameter"]["Value"]
    assert password not in json.dumps(deployment.outputs), "the DB password leaks into an output"


def test_network_matches_design(deployment):
    ec2 = deployment.client("ec2")
    out = deployment.outputs
    vpc = ec2.describe_vpcs(VpcIds=[out["vpc_id"]])["Vpcs"][0]
    assert vpc["CidrBlock"].endswith("/16")
    private = ec2.describe_subnets(SubnetIds=out["private_subnet_ids"])["Subnets"]
    assert len(private) == 2
    assert len({s["AvailabilityZone"] for s in private}) == 2, "private subnets share an AZ"
    for subnet in private:
        assert not subnet.get("MapPublicIpOnLaunch")
        tables = ec2.describe_route_tables(
            Filters=[{"Name": "association.subnet-id", "Values": [subnet["SubnetId"]]}]
        )["RouteTables"]
        assert tables, f"{subnet['SubnetId']} has no explicit route table"
        for table in tables:
            for route in table["Routes"]:
                target = route.get("GatewayId", "") + route.get("NatGatewayId", "")
                assert not target.startswith(("igw-", "nat-")), (
                    f"private route to internet: {route}"
                )
    public_tables = ec2.describe_route_tables(
        Filters=[{"Name": "association.subnet-id", "Values": [out["public_subnet_id"]]}]
    )["RouteTables"]
    assert any(
        r.get("DestinationCidrBlock") == "0.0.0.0/0" and r.get("GatewayId", "").startswith("igw-")
        for t in public_tables
        for r in t["Routes"]
    ), "the public subnet has no route to the internet gateway"


def test_security_groups_match_design(deployment):
    ec2 = deployment.client("ec2")
    out = deployment.outputs
    web, db = (
        ec2.describe_security_groups(GroupIds=[gid])["SecurityGroups"][0]
        for gid in (out["web_security_group_id"], out["db_security_group_id"])
    )
    # HTTP 80 from anywhere (on the emulator the app itself binds a free loopback port:
    # instances share the host's network), MySQL on the database's port
    http, mysql = 80, int(out["db_port"])
    web_in = {(p.get("FromPort"), p.get("ToPort")): p for p in web["IpPermissions"]}
    assert {"0.0.0.0/0"} <= {r["CidrIp"] for r in web_in[(http, http)]["IpRanges"]}
    ssh_sources = {r["CidrIp"] for r in web_in[(22, 22)]["IpRanges"]}
    assert ssh_sources and "0.0.0.0/0" not in ssh_sources
    assert set(web_in) <= {(http, http), (22, 22), (443, 443)}, f"unexpected ingress {set(web_in)}"
    assert len(db["IpPermissions"]) == 1
    rule = db["IpPermissions"][0]
    assert (rule["FromPort"], rule["ToPort"]) == (mysql, mysql)
    assert not rule.get("IpRanges") and not rule.get("Ipv6Ranges")
    assert [g["GroupId"] for g in rule["UserIdGroupPairs"]] == [web["GroupId"]]


def test_bucket_matches_design(deployment):
    s3 = deployment.client("s3")
    bucket = deployment.outputs["bucket_name"]
    rules = s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"]
    assert rules == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    sse = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert sse["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert all(block.values()) and len(block) == 4
    policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    assert any(
        st["Effect"] == "Deny" and "aws:SecureTransport" in json.dumps(st.get("Condition", {}))
        for st in policy["Statement"]
    )


def test_database_matches_design(deployment):
    rds = deployment.client("rds")
    address = deployment.outputs["db_address"]
    instances = [
        d
        for d in rds.describe_db_instances()["DBInstances"]
        if d.get("Endpoint", {}).get("Address") == address
    ]
    assert len(instances) == 1
    db = instances[0]
    assert db["Engine"] == "mysql"
    assert db["PubliclyAccessible"] is False
    assert db["StorageEncrypted"] is True
    subnets = {s["SubnetIdentifier"] for s in db["DBSubnetGroup"]["Subnets"]}
    assert subnets == set(deployment.outputs["private_subnet_ids"])
    assert [g["VpcSecurityGroupId"] for g in db["VpcSecurityGroups"]] == [
        deployment.outputs["db_security_group_id"]
    ]


def test_instance_matches_design(deployment):
    ec2 = deployment.client("ec2")
    inst = ec2.describe_instances(InstanceIds=[deployment.outputs["instance_id"]])["Reservations"][
        0
    ]["Instances"][0]
    assert inst["MetadataOptions"]["HttpTokens"] == "required"
    assert inst["SubnetId"] == deployment.outputs["public_subnet_id"]
    # AWS lists the groups on the instance; moto only on its network interface
    groups = {g["GroupId"] for g in inst.get("SecurityGroups", [])} | {
        g["GroupId"] for eni in inst.get("NetworkInterfaces", []) for g in eni.get("Groups", [])
    }
    assert deployment.outputs["web_security_group_id"] in groups
    assert "IamInstanceProfile" in inst
    root = next(m for m in inst["BlockDeviceMappings"] if m["DeviceName"] == inst["RootDeviceName"])
    volume = ec2.describe_volumes(VolumeIds=[root["Ebs"]["VolumeId"]])["Volumes"][0]
    assert volume["Encrypted"] is True
    user_data = ec2.describe_instance_attribute(InstanceId=inst["InstanceId"], Attribute="userData")
    assert user_data["UserData"].get("Value"), "the instance has no user_data"


def test_instance_role_is_scoped(deployment):
    iam = deployment.client("iam")
    role = deployment.outputs.get("instance_role_name")
    assert role, "instance_role_name output missing"
    documents = [
        iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
        for name in iam.list_role_policies(RoleName=role)["PolicyNames"]
    ]
    for att in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]:
        pol = iam.get_policy(PolicyArn=att["PolicyArn"])["Policy"]
        documents.append(
            iam.get_policy_version(PolicyArn=att["PolicyArn"], VersionId=pol["DefaultVersionId"])[
                "PolicyVersion"
            ]["Document"]
        )
    assert documents, "the role has no policy"
    out = deployment.outputs
    prefix = out["name_prefix"]
    # this run's own ARNs: its files bucket and objects, its artifacts, its parameter
    sts = deployment.client("sts")
    account = sts.get_caller_identity()["Account"]
    own = {
        f"arn:aws:s3:::{out['bucket_name']}",
        f"arn:aws:s3:::{out['bucket_name']}/*",
        f"arn:aws:s3:::{_artifact_bucket(deployment, prefix)}/app/*",
        f"arn:aws:ssm:{sts.meta.region_name}:{account}:parameter{out['db_password_parameter']}",
    }
    statements = [st for doc in documents for st in _as_list(_json(doc)["Statement"])]
    reached = set()
    for st in statements:
        actions = _as_list(st.get("Action"))
        assert "*" not in actions
        if any(a.startswith(("s3:", "ssm:")) for a in actions):
            resources = set(_as_list(st.get("Resource")))
            assert resources <= own, f"{st.get('Sid')}: {sorted(resources - own)} not this run's"
            reached |= resources
    assert reached == own, f"the app cannot reach {sorted(own - reached)}"
    # no IAM user (and so no static access key) belongs to this run: credentials come
    # from the instance role only
    users = [u["UserName"] for u in iam.list_users()["Users"] if prefix in u["UserName"]]
    assert not users, f"IAM users made by the stack: {users}"
    assert (
        "IamInstanceProfile"
        in deployment.client("ec2").describe_instances(
            InstanceIds=[deployment.outputs["instance_id"]]
        )["Reservations"][0]["Instances"][0]
    )


def _artifact_bucket(deployment, prefix: str) -> str:
    """This run's artifact bucket: named after the run's prefix, tagged Purpose=artifacts."""
    s3 = deployment.client("s3")
    found = [
        b["Name"]
        for b in s3.list_buckets()["Buckets"]
        if b["Name"].startswith(prefix)
        and {"Key": "Purpose", "Value": "artifacts"}
        in s3.get_bucket_tagging(Bucket=b["Name"])["TagSet"]
    ]
    assert len(found) == 1, f"artifact buckets of {prefix}: {found}"
    return found[0]


def _json(doc):
    return json.loads(doc) if isinstance(doc, str) else doc


def _as_list(value):
    return value if isinstance(value, list) else [value]


# ------------------------------------------------------------------------ the app


@pytest.fixture(scope="module")
def uploaded(deployment):
    """Upload a CSV through the web form and an image through the API."""
    base = deployment.app_url
    form = requests.post(
        f"{base}/upload",
        files={"file": ("client-list.csv", io.BytesIO(CSV), "text/csv")},
        timeout=60,
    )
    api = requests.post(
        f"{base}/api/files",
        files={"file": ("cat-pic.png", io.BytesIO(PNG), "image/png")},
        timeout=60,
    )
    return {"form": form, "api": api}


def test_upload_through_form_and_api(uploaded):
    assert uploaded["form"].status_code == 200, uploaded["form"].text[:500]
    assert "client-list.csv" in uploaded["form"].text
    assert uploaded["api"].status_code == 201, uploaded["api"].text[:500]
    body = uploaded["api"].json()
    assert body["filename"] == "cat-pic.png"
    assert body["size"] == len(PNG)
    assert body["sha256"] == hashlib.sha256(PNG).hexdigest()


@pytest.mark.parametrize(
    ("name", "content"), [("client-list.csv", CSV), ("cat-pic.png", PNG)], ids=["csv", "image"]
)
@pytest.mark.parametrize("route", ["/download/{}", "/api/files/{}"])
def test_download_is_byte_identical(deployment, uploaded, name, content, route):
    resp = requests.get(deployment.app_url + route.format(name), timeout=60)
    assert resp.status_code == 200
    assert resp.content == content


# Names a person gives files: S3 keys with characters that need URL encoding in listings
# (the emulator once looped forever destroying a bucket holding one, issue 12).
AWKWARD_NAMES = [
    "100% done.pdf",
    "a+b=c.txt",
    "two  spaces here.txt",
    'it\'s "quoted".txt',
    "résumé Ünïcode ßœ.txt",
]


@pytest.mark.parametrize("name", AWKWARD_NAMES)
def test_awkward_names_round_trip(deployment, name):
    content = f"content of {name}\n".encode()
    made = requests.post(
        f"{deployment.app_url}/api/files", files={"file": (name, content)}, timeout=60
    )
    assert made.status_code == 201, made.text[:500]
    assert made.json()["filename"] == name
    got = requests.get(f"{deployment.app_url}/api/files/{quote(name)}", timeout=60)
    assert got.status_code == 200 and got.content == content


def test_objects_are_in_the_bucket(deployment, uploaded):
    s3 = deployment.client("s3")
    keys = {
        o["Key"]
        for o in s3.list_objects_v2(Bucket=deployment.outputs["bucket_name"]).get("Contents", [])
    }
    assert any(k.endswith("client-list.csv") for k in keys), keys
    assert any(k.endswith("cat-pic.png") for k in keys), keys


def test_one_row_per_upload(deployment, uploaded):
    """Each row names the object version it records, whose size and SHA-256 it holds;
    each of the two files has one row and one version."""
    conn = deployment.db()
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT filename, uploaded_at, size, sha256, s3_key, s3_version_id"
                " FROM uploads ORDER BY uploaded_at"
            )
            rows = cur.fetchall()
    finally:
        conn.close()
    names = [r[0] for r in rows]
    assert names.count("client-list.csv") == 1 and names.count("cat-pic.png") == 1, rows
    s3, bucket = deployment.client("s3"), deployment.outputs["bucket_name"]
    for filename, uploaded_at, size, sha256, key, version_id in rows:
        assert uploaded_at is not None and version_id, (filename, version_id)
        stored = s3.get_object(Bucket=bucket, Key=key, VersionId=version_id)
        body = stored["Body"].read()
        assert stored["VersionId"] == version_id, filename
        assert stored["ContentLength"] == len(body) == size, filename
        assert hashlib.sha256(body).hexdigest() == sha256, filename
    for filename, content in (("client-list.csv", CSV), ("cat-pic.png", PNG)):
        [row] = [r for r in rows if r[0] == filename]
        assert row[2] == len(content) and row[3] == hashlib.sha256(content).hexdigest()
        versions = s3.list_object_versions(Bucket=bucket, Prefix=row[4]).get("Versions", [])
        versions = [v for v in versions if v["Key"] == row[4]]
        assert [v["VersionId"] for v in versions] == [row[5]], "one version per upload"


def test_app_health_reports_both_dependencies(deployment):
    resp = requests.get(f"{deployment.app_url}/healthz", timeout=30)
    assert resp.status_code == 200, resp.text
