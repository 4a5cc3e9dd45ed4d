"""What a request is authorized against, for :mod:`harness.emulator.iam.enforce`: its
resource ARN(s) (moto: ``*`` for most services) and the other actions AWS also checks for it
(``iam:PassRole``, tagging on create), read from the request's parameters.

Upstream: ``_determine_resource`` of each service's responses class in moto (as
moto/sts, moto/iam and moto/sqs have), and moto/iam/access_control.py for the extra actions.
"""

from __future__ import annotations

PASS_ROLE_PARAMS = {  # (service, action) -> (parameter, service the role is passed to)
    ("ec2", "RunInstances"): ("IamInstanceProfile", "ec2.amazonaws.com"),
    ("ec2", "AssociateIamInstanceProfile"): ("IamInstanceProfile", "ec2.amazonaws.com"),
    ("ec2", "ReplaceIamInstanceProfileAssociation"): ("IamInstanceProfile", "ec2.amazonaws.com"),
    ("ec2", "CreateFlowLogs"): ("DeliverLogsPermissionArn", "vpc-flow-logs.amazonaws.com"),
    ("rds", "CreateDBInstance"): ("MonitoringRoleArn", "monitoring.rds.amazonaws.com"),
    ("rds", "ModifyDBInstance"): ("MonitoringRoleArn", "monitoring.rds.amazonaws.com"),
}
TAG_ON_CREATE = {  # (service, action) -> (tags parameter, action AWS also checks)
    ("iam", "CreateRole"): ("Tags", "iam:TagRole"),
    ("iam", "CreateInstanceProfile"): ("Tags", "iam:TagInstanceProfile"),
    ("iam", "CreatePolicy"): ("Tags", "iam:TagPolicy"),
    ("iam", "CreateUser"): ("Tags", "iam:TagUser"),
    ("rds", "CreateDBInstance"): ("Tags", "rds:AddTagsToResource"),
    ("rds", "CreateDBSubnetGroup"): ("Tags", "rds:AddTagsToResource"),
    ("rds", "CreateDBParameterGroup"): ("Tags", "rds:AddTagsToResource"),
    ("rds", "CreateDBSnapshot"): ("Tags", "rds:AddTagsToResource"),
    ("logs", "CreateLogGroup"): ("tags", "logs:TagResource"),
    ("ssm", "PutParameter"): ("Tags", "ssm:AddTagsToResource"),
    ("cloudwatch", "PutMetricAlarm"): ("Tags", "cloudwatch:TagResource"),
}


def request_param(response, name: str):
    try:
        value = response._get_param(name)
    except Exception:  # noqa: BLE001 - a parameter moto cannot parse is no parameter
        value = None
    if value is None:
        value = (response.querystring.get(name) or [None])[0]
    return value


def param_tree(response, name: str) -> dict:
    """A structure parameter (``IamInstanceProfile``): parsed, or ``IamInstanceProfile.Arn``
    style query keys."""
    value = request_param(response, name)
    if isinstance(value, dict):
        return value
    prefix = f"{name}."
    return {k[len(prefix) :]: v[0] for k, v in response.querystring.items() if k.startswith(prefix)}


def resources_of(response, service: str, action: str, account: str, region: str) -> list[str]:
    """The resource ARN(s) an action is authorized against (``["*"]`` when it has none)."""
    part = "aws"
    if service == "ssm":
        names = [request_param(response, "Name")] if request_param(response, "Name") else []
        names += list(request_param(response, "Names") or [])
        if request_param(response, "ResourceType") == "Parameter" and request_param(
            response, "ResourceId"
        ):
            names.append(request_param(response, "ResourceId"))
        if action == "GetParametersByPath" and request_param(response, "Path"):
            names.append(request_param(response, "Path"))
        return [
            n
            if n.startswith("arn:")
            else f"arn:{part}:ssm:{region}:{account}:parameter/" + n.lstrip("/")
            for n in names
        ] or ["*"]
    if service == "kms":
        key = request_param(response, "KeyId")
        if not key or key.startswith("alias/"):
            return ["*"]
        return [key if key.startswith("arn:") else f"arn:{part}:kms:{region}:{account}:key/{key}"]
    if service == "logs":
        group, stream = (
            request_param(response, "logGroupName"),
            request_param(response, "logStreamName"),
        )
        arn = request_param(response, "resourceArn")
        if group and stream:
            return [f"arn:{part}:logs:{region}:{account}:log-group:{group}:log-stream:{stream}"]
        if group:
            return [f"arn:{part}:logs:{region}:{account}:log-group:{group}"]
        return [arn.removesuffix(":*")] if arn else ["*"]
    if service == "s3control" and (arn := request_param(response, "ResourceArn")):
        return [arn]  # tags of a bucket: the bucket
    if service == "iam":
        for param, kind in (
            ("InstanceProfileName", "instance-profile"),
            ("RoleName", "role"),
            ("UserName", "user"),
        ):
            if name := request_param(response, param):
                path = request_param(response, "Path") if action.startswith("Create") else None
                return [f"arn:{part}:iam::{account}:{kind}{path or '/'}{name}"]
        if arn := request_param(response, "PolicyArn"):
            return [arn]
    return ["*"]


def existing_arn(kind: str, arn: str, account: str) -> str:
    """An IAM role/profile named by its ARN with the default path: the real ARN (with its
    path) when it exists."""
    from moto.iam.models import iam_backends

    backend = iam_backends[account]["aws"]
    name = arn.rsplit("/", 1)[-1]
    try:
        obj = backend.get_role(name) if kind == "role" else backend.get_instance_profile(name)
        return obj.arn
    except Exception:  # noqa: BLE001 - not there (yet): the computed ARN
        return arn


def tag_checks(response, service: str, action: str) -> list[tuple]:
    """Tags given with a create: AWS also checks the tagging action on the new resource."""
    spec = TAG_ON_CREATE.get((service, action))
    if spec is None and service == "ec2" and action.startswith(("Create", "Run", "Allocate")):
        spec = ("TagSpecifications", "ec2:CreateTags")
    if spec is None:
        return []
    param, tag_action = spec
    names = (param, param.removesuffix("s"), param[0].lower() + param[1:])
    given = any(request_param(response, n) for n in names) or any(
        key.startswith(tuple(f"{n}." for n in names)) for key in response.querystring
    )
    return [(tag_action, None, {})] if given else []


def pass_role_checks(response, service: str, action: str, account: str) -> list[tuple]:
    spec = PASS_ROLE_PARAMS.get((service, action))
    if spec is None:
        return []
    param, to_service = spec
    from moto.iam.models import iam_backends

    backend = iam_backends[account]["aws"]
    roles: list[str] = []
    if param == "IamInstanceProfile":
        tree = param_tree(response, param)
        try:
            if tree.get("Arn"):
                profile = backend.get_instance_profile_by_arn(tree["Arn"])
            elif tree.get("Name"):
                profile = backend.get_instance_profile(tree["Name"])
            else:
                return []
        except Exception:  # noqa: BLE001 - no such profile: EC2 itself refuses the call
            return []
        roles = [role.arn for role in profile.roles]
    elif arn := request_param(response, param):
        roles = [arn]
    context = {"iam:PassedToService": to_service}
    return [("iam:PassRole", role, context) for role in roles]
