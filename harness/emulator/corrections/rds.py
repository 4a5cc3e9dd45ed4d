"""RDS: every DB instance its own ``DbiResourceId`` (moto 5.2.5 gives all the same one), and
RDS's default CA for a new instance (moto's ``rds-ca-default`` is a name RDS never used)."""

from __future__ import annotations

from moto.moto_api._internal import mock_random
from moto.rds.models import DBInstance

_original_db_instance_init = DBInstance.__init__


def _unique_dbi_resource_id(self, *args, **kwargs) -> None:
    """Give every DB instance its own ``DbiResourceId``, as RDS does.

    moto 5.2.5 sets ``self.dbi_resource_id = "db-M5ENSHXFPU6XHZ4G4ZEI5QIO2U"`` in
    ``DBInstance.__init__`` (moto/rds/models.py), the same id for every instance. The aws
    provider stores that id as the resource's ``id`` and reads the instance back with
    ``DescribeDBInstances`` filtered on ``dbi-resource-id`` (``findDBInstanceByID`` in
    internal/service/rds/instance.go). With two instances on one emulator, e.g. two stacks
    applied at once, the filter matches both, ``AssertSingleValueResult`` answers "too many
    results", which the provider treats as not-found, falls back to an identifier lookup of
    ``db-M5EN...``, and fails with "reading RDS DB Instance (...): couldn't find resource".
    On destroy, the deletion waiter keeps finding the *other* stack's instance under the same
    id, ``available``, and polls until its 60-minute timeout. Nothing here is a thread
    race: the same happens with two stacks applied one after the other.

    Upstream: moto/rds/models.py, ``DBInstance.__init__`` should draw the id from
    ``mock_random`` as it does for ``DbClusterResourceId``. LocalStack, whose RDS is
    moto's, had the same report (localstack/localstack#9577); none was found on moto.
    """
    _original_db_instance_init(self, *args, **kwargs)
    self.dbi_resource_id = "db-" + mock_random.get_random_string(26).upper()


# What RDS gives a new DB instance created without CACertificateIdentifier (the RDS user
# guide, "Using SSL/TLS to encrypt a connection to a DB instance": the default CA).
RDS_DEFAULT_CA = "rds-ca-rsa2048-g1"


def _current_default_ca(init):
    """A DB instance created without a CA gets ``rds-ca-rsa2048-g1``, as on RDS.

    moto 5.2.5's ``DBInstance.__init__`` defaults ``ca_certificate_identifier`` to
    ``"rds-ca-default"``, a name RDS never used. The aws provider compares the created
    instance's CA with ``ca_cert_identifier`` and, when they differ, sends a
    ModifyDBInstance and waits for the instance again (internal/service/rds/instance.go,
    resourceInstanceCreate): on the emulator every apply of the stack, which pins
    ``rds-ca-rsa2048-g1``, took about 75 s longer than on AWS, where the default matches.

    Upstream: moto/rds/models.py, ``DBInstance.__init__``'s default.
    """

    def wrapper(self, *args, **kwargs) -> None:
        init(self, *args, **kwargs)
        if self.ca_certificate_identifier == "rds-ca-default":
            self.ca_certificate_identifier = RDS_DEFAULT_CA

    return wrapper


def apply() -> None:
    DBInstance.__init__ = _current_default_ca(_unique_dbi_resource_id)
