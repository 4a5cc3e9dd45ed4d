"""CKV_FS_8: database ingress only from security-group references, never CIDRs.

A rule is "database ingress" when its port range covers 3306 (MySQL/MariaDB)
or 5432 (PostgreSQL) -- "all protocols" covers them -- or when its security
group is attached to an ``aws_db_instance``/``aws_rds_cluster`` (any port).
checkov's graph tells which groups an instance uses, also when the group is
made in another module and handed over through outputs and variables (a YAML
connection policy would not follow that).  Such a rule may name a source security
group (or ``self``) and nothing else: no ``cidr_blocks``/``cidr_ipv4``/``cidr_ipv6``/
prefix lists, whatever their size.  No built-in objects to MySQL from a private CIDR.
A CIDR rule whose ports the scan cannot resolve (``from_port = var.port`` scanned
alone), on a group not attached to a database, is UNKNOWN, never PASSED.
"""

from __future__ import annotations

from typing import Any

import fs_lib as lib

DB_PORTS = (3306, 5432)
DB_TYPES = ("aws_db_instance", "aws_rds_cluster")


def _covers_db_port(rule: dict[str, Any]) -> bool:
    rng = lib.port_range(rule)
    return rng is not None and any(rng[0] <= p <= rng[1] for p in DB_PORTS)


class DatabaseIngressOnlyFromSecurityGroups(lib.IngressCheck):
    def _attached_to_db(self, conf: dict[str, Any]) -> bool:
        databases = [i for db_type in DB_TYPES for i in lib.nodes_of_type(self, db_type)]
        db_groups = set(lib.referenced(self, databases, "vpc_security_group_ids"))
        if not db_groups:
            return False
        mine = lib.entity_nodes(self, conf)
        if self.entity_type == "aws_security_group":
            return bool(db_groups.intersection(mine))
        return bool(db_groups.intersection(lib.referenced(self, mine, "security_group_id")))

    def problems(self, conf: dict[str, Any], rules: list[dict[str, Any]]) -> list[str]:
        found = []
        attached: bool | None = None
        for rule in rules:
            sources = rule["cidrs"] + [f"prefix list {p}" for p in rule["prefix_lists"]]
            if not sources:
                continue
            if _covers_db_port(rule):
                why = "a database port"
            else:
                attached = self._attached_to_db(conf) if attached is None else attached
                if not attached:
                    if lib.port_range(rule) is None:  # fail closed: it may be 3306
                        self.unresolved.append(f"the ports of {lib.describe_rule(rule)}")
                    continue
                why = "a security group attached to a database"
            found.append(f"{lib.describe_rule(rule)} on {why} from {', '.join(sources)}")
        return found


check = DatabaseIngressOnlyFromSecurityGroups(
    "CKV_FS_8",
    "Database ingress (3306/5432 or a DB's security group) only from security-group references",
)
