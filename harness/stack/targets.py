"""Where a stack is deployed: what differs between the emulator and AWS, in one value.

:class:`~harness.stack.stack.Stack` knows no target by name: the deployment hands it a
:class:`Target` carrying the CLI's environment, the init arguments, the override file
(if any) and how to find the run's resources by tag.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from harness.emulator.clients import Credentials, cli_env
from harness.stack.override import emulator_override


@dataclass(frozen=True)
class Target:
    name: str
    # added to the CLI's environment (asked for at each command: a session may be made late)
    env: Callable[[], Mapping[str, str]] = dict
    init_args: tuple[str, ...] = ()
    # the override file's text, given the working copy's state path (None: no override)
    override: Callable[[Path], str] | None = None
    # the sweeper's Inventory for this target (finding the run's resources by tag)
    inventory: Callable[[], object] = field(default=lambda: None)


def emulator_target(
    endpoint_url: str,
    *,
    session_name: str = "terraform",
    deployer_policy: Path | None = None,
    credentials: Callable[[], Credentials] | None = None,
) -> Target:
    """The moto server at ``endpoint_url``: every service there, a local backend, and
    Terraform as the deployer: a session of the role whose policy is ``deployer_policy``
    (default ``iam/deployer-policy.json``, the CI role's), made on first use
    (``credentials`` stands in for that in tests)."""
    if not endpoint_url:
        raise ValueError("the emulator target needs the emulator's URL")

    @functools.cache
    def deployer() -> Credentials:
        from harness.emulator.iam.identities import deployer_credentials

        return deployer_credentials(endpoint_url, session_name, deployer_policy)

    def inventory():
        from harness.sweeper.sweep import Inventory

        return Inventory(endpoint_url=endpoint_url)

    return Target(
        "emulator",
        env=lambda: cli_env((credentials or deployer)()),
        override=lambda state_path: emulator_override(endpoint_url, state_path),
        inventory=inventory,
    )


def aws_target(region: str | None = None, backend_config: str | None = None) -> Target:
    """A real account through the standard credential chain; the S3 backend with
    ``backend_config`` (``TF_BACKEND_CONFIG``), else none (local state in the copy)."""
    backend_config = backend_config or os.environ.get("TF_BACKEND_CONFIG")
    region = region or os.environ.get("AWS_REGION")

    def inventory():
        from harness.sweeper.sweep import Inventory

        return Inventory(region=region)

    args = (f"-backend-config={backend_config}",) if backend_config else ("-backend=false",)
    return Target("aws", init_args=args, inventory=inventory)
