"""The stand-in takes the RDS instance's endpoint name and its parameter group's
require_secure_transport from the emulator's API, as RDS would apply them."""

from __future__ import annotations

import boto3
import pymysql
import pytest
from cryptography import x509
from moto import mock_aws

from harness.emulator.ca import make_ca
from harness.stack.deployment import StandInDatabase, emulator_inputs
from harness.stack.standins import TlsMariaDB

pytestmark = pytest.mark.mariadb

RUN_ID = "t-tls"
PARAM = f"/filestore/dev/{RUN_ID}/db/password"


class FakeMoto:
    def client(self, service: str):
        return boto3.client(service, region_name="us-east-1")


@pytest.fixture
def aws(fake_aws_env):
    """moto in-process. Another module's session may hold moto open in this worker (the app
    tests' ``_moto``), and then this block does not reset it: remove what the test made."""
    with mock_aws():
        moto = FakeMoto()
        yield moto
        rds = moto.client("rds")
        for db in rds.describe_db_instances()["DBInstances"]:
            rds.delete_db_instance(
                DBInstanceIdentifier=db["DBInstanceIdentifier"], SkipFinalSnapshot=True
            )
        for group in rds.describe_db_parameter_groups()["DBParameterGroups"]:
            if not group["DBParameterGroupName"].startswith("default."):
                rds.delete_db_parameter_group(DBParameterGroupName=group["DBParameterGroupName"])


def _rds_instance(moto, require_tls: bool | None) -> str:
    rds = moto.client("rds")
    extra = {}
    if require_tls is not None:
        rds.create_db_parameter_group(
            DBParameterGroupName="t-db", DBParameterGroupFamily="mysql8.4", Description="t"
        )
        rds.modify_db_parameter_group(
            DBParameterGroupName="t-db",
            Parameters=[
                {
                    "ParameterName": "require_secure_transport",
                    "ParameterValue": "1" if require_tls else "0",
                    "ApplyMethod": "immediate",
                }
            ],
        )
        extra["DBParameterGroupName"] = "t-db"
    made = rds.create_db_instance(
        DBInstanceIdentifier="filestore-dev-t-tls-db",
        Engine="mysql",
        DBInstanceClass="db.t3.micro",
        AllocatedStorage=20,
        DBName="filestore",
        MasterUsername="filestore_admin",
        MasterUserPassword="from-terraform-123",
        Tags=[{"Key": "run_id", "Value": RUN_ID}],
        **extra,
    )
    moto.client("ssm").put_parameter(
        Name=PARAM, Value="from-terraform-123", Type="SecureString", Overwrite=True
    )
    return made["DBInstance"]["Endpoint"]["Address"]


@pytest.mark.parametrize("require_tls", [True, False, None], ids=["on", "off", "default-group"])
def test_the_stand_in_serves_the_endpoint_name_and_the_parameter_group(aws, tmp_path, require_tls):
    endpoint = _rds_instance(aws, require_tls)
    db = TlsMariaDB(names=("rds-endpoint-pending.invalid",), ca=make_ca(tmp_path))
    db.start()
    try:
        stand_in = StandInDatabase(db, aws, RUN_ID, PARAM).start()
        stand_in.wait(30)
        cert = x509.load_pem_x509_certificate((db.tls_dir / "server.pem").read_bytes())
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        assert san.get_values_for_type(x509.DNSName) == [endpoint]
        assert (db.user, db.password) == ("filestore_admin", "from-terraform-123")
        kwargs = {k: v for k, v in db.connect_kwargs().items() if not k.startswith("ssl_")}
        if require_tls:
            with pytest.raises(pymysql.err.OperationalError, match="Access denied"):
                pymysql.connect(**kwargs, ssl_disabled=True)
        else:
            pymysql.connect(**kwargs, ssl_disabled=True).close()
        db.connect().close()  # the harness's own login: TLS, the CA verified
    finally:
        db.destroy()


def test_the_emulator_gives_instances_its_ca_as_the_bundle():
    assert emulator_inputs(3307)["db_ca_bundle_url"] == (
        "file:///etc/filestore-emulator/rds-ca-bundle.pem"
    )
