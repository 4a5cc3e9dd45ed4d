"""Names and documents shared by the emulator's IAM tests (the instance role of one run,
as modules/iam writes it, and EC2's way to a role's session)."""

from __future__ import annotations

import boto3

from harness.emulator.iam.identities import Ec2RoleCredentialsClient
from harness.emulator.launcher import MotoServer

EC2_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "ec2.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}

ACCOUNT, REGION = "123456789012", "us-east-1"
FILES, OTHER, ARTIFACTS = "filestore-dev-r1-files", "filestore-dev-r2-files", "filestore-dev-r1-art"
PARAM, OTHER_PARAM = "/filestore/dev/r1/db/password", "/filestore/dev/r2/db/password"
NAMESPACE = "filestore/dev"
LOG_GROUP = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/filestore/dev/r1/app"
KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def role_policy(*, rollback: bool = True) -> dict:
    objects = ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:DeleteObject"]
    objects += ["s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"]
    if rollback:
        objects.append("s3:DeleteObjectVersion")
    bucket = ["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketVersions"]
    bucket.append("s3:ListBucketMultipartUploads")
    statements = [
        {"Effect": "Allow", "Action": bucket, "Resource": f"arn:aws:s3:::{FILES}"},
        {"Effect": "Allow", "Action": objects, "Resource": f"arn:aws:s3:::{FILES}/*"},
        {
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{ARTIFACTS}/app/*",
        },
        {
            "Effect": "Allow",
            "Action": "ssm:GetParameter",
            "Resource": f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter{PARAM}",
        },
        {
            "Effect": "Allow",
            "Action": "kms:Decrypt",
            "Resource": KEY_ARN,
            "Condition": {"StringEquals": {"kms:ViaService": f"ssm.{REGION}.amazonaws.com"}},
        },
        {
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
            "Resource": [LOG_GROUP, f"{LOG_GROUP}:*"],
        },
        {
            "Effect": "Allow",
            "Action": "cloudwatch:PutMetricData",
            "Resource": "*",
            "Condition": {"StringEquals": {"cloudwatch:namespace": NAMESPACE}},
        },
    ]
    return {"Version": "2012-10-17", "Statement": statements}


def as_ec2(moto: MotoServer, role: str) -> boto3.Session:
    """The role's session as the instance gets it: EC2 assumes the role."""
    arn = f"arn:aws:iam::{ACCOUNT}:role/{role}"
    creds = Ec2RoleCredentialsClient(moto.url).assume_role(arn, "i-0123456789abcdef0")
    c = creds["Credentials"]
    return boto3.Session(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"], REGION)
