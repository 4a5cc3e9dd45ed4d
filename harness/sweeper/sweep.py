"""Find and delete resources the suite left behind, by tag.

Every resource of a test run carries ``Project`` and ``run_id`` tags (provider
``default_tags``; run ids in :mod:`harness.runid` embed their creation time, so a sweep
can keep young runs alone).

Tagged resources are found with one paginated Resource Groups Tagging API ``GetResources``
(``TagFilters`` on ``run_id`` or ``Project``) instead of a describe per resource type: the
ARN says what a resource is, and :data:`KINDS` says how to delete each type and in which
order (instances and databases first, the VPC last). Listed explicitly, because the tagging
API does not return them:

- IAM roles, instance profiles and policies (IAM is global: not in the regional tagging
  API on AWS, and moto does not index it either);
- on the emulator only, EC2 key pairs and RDS subnet and parameter groups: AWS returns them, moto 5.2.5
  does not index them (moto/ec2/models/__init__.py and moto/rds/models.py,
  ``iter_tagged_resources``).

The tagging API can return a resource for a while after it is gone (a terminated instance,
a database being deleted), so the kinds that linger are checked against their describe
call, and a delete that finds nothing to delete counts as done.

    python -m harness.sweeper.sweep --target emulator --endpoint http://127.0.0.1:5000 --older-than 0s
    python -m harness.sweeper.sweep --target aws --older-than 6h [--dry-run]

The same inventory answers "is anything tagged with this run id left?" for the tests.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import boto3
import boto3.session
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from harness.emulator.clients import DEFAULT_REGION, client_kwargs
from harness.log import configure as configure_logging
from harness.runid import PROJECT_TAG, RUN_ID_TAG, parse_age, run_id_created
from harness.sweeper.kinds import ARN_KINDS, KINDS, Kind, parse_arn

__all__ = [
    "PROJECT_TAG",
    "RUN_ID_TAG",
    "Found",
    "Inventory",
    "main",
    "sweep",
]

Match = Callable[[dict[str, str]], bool]


@dataclass
class Found:
    kind: str
    ident: str
    run_id: str
    delete: Callable[[], None] = field(repr=False, default=lambda: None)
    order: int = 50
    arn: str = ""

    def __str__(self) -> str:
        return f"{self.kind} {self.ident} (run_id={self.run_id})"


def _tags(items) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in items or []}


def _gone(exc: ClientError) -> bool:
    """The resource is not there (any more): nothing left to delete."""
    code = exc.response.get("Error", {}).get("Code", "")
    return "NotFound" in code or code.startswith("NoSuch")


class Inventory:
    """Finds (and can delete) the suite's resources in one account and region."""

    def __init__(self, endpoint_url: str | None = None, region: str | None = None) -> None:
        region = region or os.environ.get("AWS_REGION") or DEFAULT_REGION
        kwargs = client_kwargs(endpoint_url, region) if endpoint_url else {"region_name": region}
        self.emulated = bool(endpoint_url)
        self._kwargs = kwargs
        self._config = Config(retries={"max_attempts": 5, "mode": "standard"})
        self._clients: dict = {}
        # boto3's default session is not safe to make clients from in several threads at
        # once (two stacks tearing down together): a session of our own, behind a lock
        self._session = boto3.session.Session()
        self._lock = threading.Lock()

    def client(self, name: str):
        with self._lock:
            if name not in self._clients:
                self._clients[name] = self._session.client(
                    name, config=self._config, **self._kwargs
                )
            return self._clients[name]

    # -------------------------------------------------------------- finding
    def find(self, match: Match, tag_filters: list[dict] | None = None) -> list[Found]:
        """Everything whose tags satisfy ``match``, in deletion order.

        ``tag_filters`` (the tagging API's ``TagFilters``) narrows the search server-side;
        ``match`` decides.
        """
        found = self._tagged(match, tag_filters or [])
        seen = {(f.kind, f.ident) for f in found}
        for lister in self._explicit_listers():
            found.extend(f for f in lister(match) if (f.kind, f.ident) not in seen)
        return sorted(found, key=lambda f: (f.order, f.kind, f.ident))

    def by_run_id(self, run_id: str) -> list[Found]:
        return self.find(
            lambda tags: tags.get(RUN_ID_TAG) == run_id,
            [{"Key": RUN_ID_TAG, "Values": [run_id]}],
        )

    def _tagged(self, match: Match, tag_filters: list[dict]) -> list[Found]:
        by_kind: dict[str, dict[str, tuple[str, str]]] = {}
        pages = self.client("resourcegroupstaggingapi").get_paginator("get_resources")
        for page in pages.paginate(TagFilters=tag_filters):
            for mapping in page["ResourceTagMappingList"]:
                tags = _tags(mapping.get("Tags"))
                if not match(tags):
                    continue
                arn = mapping["ResourceARN"]
                arn_type, ident = parse_arn(arn)
                kind = ARN_KINDS.get(arn_type, arn_type)
                by_kind.setdefault(kind, {})[ident] = (arn, tags.get(RUN_ID_TAG, ""))
        found = []
        for kind_name, items in by_kind.items():
            kind = KINDS.get(kind_name) or Kind(kind_name, 99, _no_deleter(kind_name))
            batch = kind.live(self, sorted(items)) if kind.live else set(items)
            context: dict = {"idents": sorted(batch)}
            for ident in sorted(batch):
                arn, run_id = items[ident]
                delete = self._deleter(kind, ident, context)
                found.append(Found(kind_name, ident, run_id, delete, kind.order, arn))
        return found

    def _deleter(self, kind: Kind, ident: str, context: dict) -> Callable[[], None]:
        def delete() -> None:
            try:
                kind.delete(self, ident, context)
            except ClientError as exc:
                if not _gone(exc):
                    raise

        return delete

    def _explicit_listers(self) -> Iterable[Callable[[Match], list[Found]]]:
        yield self._iam
        if self.emulated:
            yield self._key_pairs
            yield self._db_subnet_groups
            yield self._db_parameter_groups

    # ----------------------------------------- what the tagging API does not return
    def _explicit(self, kind_name: str, ident: str, tags: dict) -> Found:
        kind = KINDS[kind_name]
        delete = self._deleter(kind, ident, {"idents": [ident]})
        return Found(kind_name, ident, tags.get(RUN_ID_TAG, ""), delete, kind.order)

    def _key_pairs(self, match: Match) -> list[Found]:
        pairs = self.client("ec2").describe_key_pairs().get("KeyPairs", [])
        return [
            self._explicit("ec2:key-pair", kp["KeyPairId"], _tags(kp.get("Tags")))
            for kp in pairs
            if match(_tags(kp.get("Tags")))
        ]

    def _db_subnet_groups(self, match: Match) -> list[Found]:
        rds = self.client("rds")
        out = []
        for group in rds.describe_db_subnet_groups()["DBSubnetGroups"]:
            tags = _tags(
                rds.list_tags_for_resource(ResourceName=group["DBSubnetGroupArn"])["TagList"]
            )
            if match(tags):
                out.append(self._explicit("rds:subnet-group", group["DBSubnetGroupName"], tags))
        return out

    def _db_parameter_groups(self, match: Match) -> list[Found]:
        rds = self.client("rds")
        out = []
        for group in rds.describe_db_parameter_groups()["DBParameterGroups"]:
            if group["DBParameterGroupName"].startswith("default."):
                continue
            arn = group["DBParameterGroupArn"]
            tags = _tags(rds.list_tags_for_resource(ResourceName=arn)["TagList"])
            if match(tags):
                name = group["DBParameterGroupName"]
                out.append(self._explicit("rds:parameter-group", name, tags))
        return out

    def _profile_tags(self, prof: dict) -> dict[str, str]:
        """An instance profile's tags; moto 5.2.5 lacks ListInstanceProfileTags (500), so
        there the profile's role's tags stand in."""
        if prof.get("Tags"):
            return _tags(prof["Tags"])
        iam = self.client("iam")
        try:
            name = prof["InstanceProfileName"]
            return _tags(iam.list_instance_profile_tags(InstanceProfileName=name)["Tags"])
        except (ClientError, BotoCoreError):
            for role in prof.get("Roles", []):
                return _tags(iam.list_role_tags(RoleName=role["RoleName"])["Tags"])
        return {}

    def _iam(self, match: Match) -> list[Found]:
        iam = self.client("iam")
        out = []
        for page in iam.get_paginator("list_instance_profiles").paginate():
            for prof in page["InstanceProfiles"]:
                tags = self._profile_tags(prof)
                if match(tags):
                    name = prof["InstanceProfileName"]
                    out.append(self._explicit("iam:instance-profile", name, tags))
        for page in iam.get_paginator("list_roles").paginate():
            for role in page["Roles"]:
                tags = _tags(iam.list_role_tags(RoleName=role["RoleName"])["Tags"])
                if match(tags):
                    out.append(self._explicit("iam:role", role["RoleName"], tags))
        for page in iam.get_paginator("list_policies").paginate(Scope="Local"):
            for pol in page["Policies"]:
                tags = _tags(iam.list_policy_tags(PolicyArn=pol["Arn"])["Tags"])
                if match(tags):
                    out.append(self._explicit("iam:policy", pol["Arn"], tags))
        return out


def _no_deleter(kind_name: str):
    def delete(inv: Inventory, ident: str, context: dict) -> None:
        raise RuntimeError(
            f"{kind_name} {ident} carries the suite's tags but the sweeper has no deleter "
            "for it: add one to harness/sweeper/kinds.py (KINDS)"
        )

    return delete


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
    for item in inventory.find(match, [{"Key": PROJECT_TAG, "Values": [project]}]):
        if dry_run:
            print(f"would delete {item}")
            deleted.append(item)
            continue
        try:
            item.delete()
        except (ClientError, RuntimeError) as exc:
            failed.append((item, str(exc)))
            print(f"FAILED   {item}: {exc}")
            continue
        deleted.append(item)
        print(f"deleted  {item}")
    return deleted, failed


def main(argv: list[str] | None = None) -> int:
    configure_logging()
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
    done = "would be deleted (dry run)" if args.dry_run else "deleted"
    print(f"sweep: {len(deleted)} {done}, {len(failed)} failed ({args.target})")
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
