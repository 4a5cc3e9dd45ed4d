"""IAM on the emulator: every request authorized as AWS would, always.

moto 5.2.5 can check signatures and identity policies (its "access control"), but it is off
unless asked for, and it has the gaps listed in :mod:`.enforce` (action names, resources,
extra actions, S3 action names), :mod:`.policy` (statement evaluation, principals) and
:mod:`.conditions` (``Condition`` blocks). :func:`install` switches it on for good with
those corrected; :class:`IamGuard` (:mod:`.wsgi`) wraps the server's WSGI app; :mod:`.identities` holds
the principals (the bootstrap admin, the deployer, EC2 for an instance).

There is no switch to turn enforcement off: ``INITIAL_NO_AUTH_ACTION_COUNT`` in the
environment is overridden, and ``/moto-api/reset-auth`` (moto's way to change it on a
running server) is refused.
"""

from __future__ import annotations

from harness.emulator.iam.identities import bootstrap_admin
from harness.emulator.iam.wsgi import IamGuard, mark_verified

__all__ = ["IamGuard", "install", "mark_verified"]


def install() -> None:
    """Enforcement on, with the corrections, and the bootstrap admin in place."""
    from harness.emulator.iam.enforce import install as install_enforcement

    install_enforcement()
    bootstrap_admin()
