"""RDS: every DB instance its own ``DbiResourceId`` (moto 5.2.5 gives all the same one)."""

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


def apply() -> None:
    DBInstance.__init__ = _unique_dbi_resource_id
