"""CKV_FS_7: no ingress from the whole internet except TCP 80 and 443.

One policy for the three ways of writing a rule: inline ``ingress`` blocks of
``aws_security_group``, ``aws_security_group_rule`` (type ingress,
``cidr_blocks``/``ipv6_cidr_blocks``) and ``aws_vpc_security_group_ingress_rule``
(``cidr_ipv4``/``cidr_ipv6``, ``ip_protocol`` "-1" meaning everything).
"The whole internet" is any CIDR of prefix length 0 (0.0.0.0/0, ::/0); a source the
scan cannot resolve (``cidr_ipv4 = var.cidr`` scanned alone) on any other port leaves
the rule UNKNOWN, never PASSED.
Allowed from there: protocol tcp with from_port == to_port in {80, 443};
anything else (other ports, port ranges, udp, icmp, all protocols) fails.
This replaces the built-in CKV_AWS_260, which forbids port 80 itself; CKV_AWS_24,
25 and 277 know SSH, RDP and "-1" from 0.0.0.0/0 only.
"""

from __future__ import annotations

from typing import Any

import fs_lib as lib

PUBLIC_PORTS = {80, 443}
TCP = {"tcp", "6"}


class NoWorldIngressButWeb(lib.IngressCheck):
    def problems(self, conf: dict[str, Any], rules: list[dict[str, Any]]) -> list[str]:
        found = []
        for rule in rules:
            world = [c for c in rule["cidrs"] if lib.is_world_cidr(c)]
            rng = lib.port_range(rule)
            web = rule["protocol"] in TCP and rng is not None and rng[0] == rng[1] in PUBLIC_PORTS
            if world and not web:
                found.append(f"{lib.describe_rule(rule)} open to {', '.join(world)}")
            elif not web:  # fail closed: a CIDR the scan cannot read may be the world
                self.unresolved += [
                    f"the source {c} of {lib.describe_rule(rule)}"
                    for c in rule["cidrs"]
                    if not lib.is_cidr(c)
                ]
        return found


check = NoWorldIngressButWeb(
    "CKV_FS_7", "Security group allows ingress from 0.0.0.0/0 or ::/0 only to TCP 80/443"
)
