"""What a second plan after apply wants to change, less what the target is known to lose.

A plan right after apply must be empty. On the emulator a few attributes cannot
round-trip (moto does not store or return them); each exemption names the resource
type, the attribute and the reason, and applies to the emulator only: on AWS nothing is
exempt, ``tags_all`` included (a ``tags_all`` change there means the default tags or a
resource's tags really differ from what the API holds).
"""

from __future__ import annotations

# (resource type, attribute) -> why the emulator cannot round-trip it
EMULATOR_DRIFT: dict[tuple[str, str], str] = {
    ("aws_vpc_security_group_ingress_rule", "description"): (
        "moto 5.2.5 drops the description of a rule whose source is another security group"
        " (UserIdGroupPairs[].Description), so the provider reads description = null"
    ),
    ("aws_db_parameter_group", "parameter"): (
        "moto 5.2.5's DescribeDBParameters returns each parameter without its Source"
        " ('user' once ModifyDBParameterGroup set it); the aws provider keeps only parameters"
        " with a Source (internal/service/rds/parameter_group.go, resourceParameterGroupRead),"
        " so it reads none back and plans to set them again. Upstream: moto/rds/models.py,"
        " DBParameterGroup.update_parameters should record Source=user"
    ),
    ("aws_vpc_security_group_egress_rule", "description"): (
        "moto 5.2.5 drops the description of a rule whose source is another security group"
        " (UserIdGroupPairs[].Description), so the provider reads description = null"
    ),
}


def changed_attributes(change: dict) -> set[str]:
    before, after = change.get("before") or {}, change.get("after") or {}
    unknown = change.get("after_unknown") or {}
    return {k for k in set(before) | set(after) if before.get(k) != after.get(k) or unknown.get(k)}


def unexplained_drift(plan: dict, target: str) -> dict[str, tuple[list[str], list[str]]]:
    """``{address: (actions, attributes)}`` of every change the target does not explain.
    Only in-place updates of exempt attributes are explained; a replacement never is."""
    allowed = EMULATOR_DRIFT if target == "emulator" else {}
    drift = {}
    for rc in plan.get("resource_changes", []):
        actions = rc["change"]["actions"]
        if actions in (["no-op"], ["read"]):
            continue
        attrs = changed_attributes(rc["change"]) if actions == ["update"] else {"*"}
        unexplained = {a for a in attrs if (rc["type"], a) not in allowed}
        if unexplained or actions != ["update"]:
            drift[rc["address"]] = (actions, sorted(unexplained or attrs))
    return drift
