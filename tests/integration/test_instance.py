"""Inside the instance: the user_data Terraform rendered deployed the app, unattended.

The emulator's instance is a booted container (harness/instances/dataplane.py) that ran the exact
user_data the EC2 API holds; these tests look at what that left on it, the way an
operator would on EC2 over SSH. Second of the main stack's modules (see conftest).
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import re

import pytest
import requests

pytestmark = [pytest.mark.integration, pytest.mark.emulator_only]

BOOTSTRAP = "[filestore-bootstrap]"
# What must never appear where the app's configuration lives: credentials come from the
# instance profile through the metadata service only.
KEY_PATTERNS = re.compile(r"AKIA[0-9A-Z]{16}|ASIA[0-9A-Z]{16}|aws_secret_access_key|AWS_SECRET")


@pytest.fixture(scope="module")
def instance(deployment):
    return deployment.instance


@pytest.fixture(scope="module")
def user_data(deployment) -> str:
    """The user_data as the EC2 API holds it (Terraform sends it gzipped)."""
    raw = deployment.client("ec2").describe_instance_attribute(
        InstanceId=deployment.outputs["instance_id"], Attribute="userData"
    )["UserData"]["Value"]
    data = base64.b64decode(raw)
    return (gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data).decode()


def sh(instance, command: str) -> str:
    proc = instance.exec("bash", "-c", command, check=True)
    return proc.stdout.strip()


def test_cloud_init_finished_without_errors(instance):
    result = instance.cloud_init_result()
    assert result is not None and not result["errors"], result
    assert "status: done" in sh(instance, "cloud-init status --long")


def test_the_bootstrap_ran_once_and_was_not_degraded(instance):
    log = instance.read("/var/log/cloud-init-output.log") or ""
    lines = [line for line in log.splitlines() if BOOTSTRAP in line]
    assert sum(line.endswith(" start") for line in lines) == 1, "\n".join(lines)
    assert lines[-1].endswith("done (degraded=0)"), instance.cloud_init_output()


def test_the_service_is_enabled_active_and_not_root(instance):
    assert sh(instance, "systemctl is-enabled filestore.service") == "enabled"
    assert sh(instance, "systemctl is-active filestore.service") == "active"
    pid = sh(instance, "systemctl show -p MainPID --value filestore.service")
    assert sh(instance, f"ps -o user= -p {pid}") == "filestore"


def test_the_env_file_is_readable_by_the_service_only(instance):
    assert sh(instance, "stat -c '%a %U:%G' /etc/filestore/filestore.env") == "640 root:filestore"


def test_the_app_files_are_the_ones_user_data_names(instance, user_data):
    manifest = user_data.split("<<'SUMS'\n", 1)[1].split("\nSUMS\n", 1)[0].splitlines()
    assert len(manifest) > 10, manifest
    for line in manifest:
        digest, path = line.split("  ", 1)
        got = instance.path(f"/opt/filestore/app/{path}").read_bytes()
        assert hashlib.sha256(got).hexdigest() == digest, path


def test_no_access_key_in_user_data_config_or_the_service(instance, user_data):
    pid = sh(instance, "systemctl show -p MainPID --value filestore.service")
    places = {
        "user_data": user_data,
        "env file": instance.read("/etc/filestore/filestore.env"),
        "unit": instance.read("/etc/systemd/system/filestore.service"),
        "service environment": sh(instance, f"tr '\\0' '\\n' < /proc/{pid}/environ"),
    }
    for where, text in places.items():
        assert text and not KEY_PATTERNS.search(text), f"a credential in the {where}"


def test_the_app_uses_the_instance_role(deployment, instance):
    """The SDK on the instance, configured as the app is (its env file: no keys), finds the
    role's credentials through the metadata service."""
    python = "import boto3; print(boto3.client('sts').get_caller_identity()['Arn'])"
    arn = sh(
        instance,
        "set -a && . /etc/filestore/filestore.env && set +a && "
        f'runuser -u filestore -- /opt/filestore/venv/bin/python -c "{python}"',
    )
    assert f":assumed-role/{deployment.outputs['instance_role_name']}/" in arn, arn


def test_a_reboot_brings_the_app_back_without_running_user_data_again(deployment, instance):
    before = instance.leader()
    deployment.client("ec2").reboot_instances(InstanceIds=[deployment.outputs["instance_id"]])
    from harness.wait import wait_for

    wait_for(lambda: instance.leader() not in (None, before), timeout=120, what="the reboot")
    deployment.wait_app(timeout=300)
    assert requests.get(f"{deployment.app_url}/healthz", timeout=30).json()["status"] == "ok"
    test_the_bootstrap_ran_once_and_was_not_degraded(instance)


TLS_PROBE = """
from app import create_app, db
app = create_app()
with app.app_context():
    conn = db.connect()
    with conn.cursor() as cur:
        cur.execute("SHOW SESSION STATUS LIKE 'Ssl_version'")
        print(cur.fetchone()["Value"], conn.ctx.check_hostname, conn.host)
"""


def test_the_app_reaches_the_database_over_verified_tls(deployment, instance):
    """As against RDS with require_secure_transport: the app, configured by user_data,
    connects by the endpoint name over TLS, checking the name against the certificate
    the emulator CA signed; the instance got that CA as its RDS bundle; plaintext fails."""
    import pymysql

    from harness.emulator.ca import emulator_ca

    assert (
        sh(instance, "cat /etc/filestore/rds-ca-bundle.pem")
        == emulator_ca().cert_pem.decode().strip()
    )
    script = base64.b64encode(TLS_PROBE.encode()).decode()
    out = sh(
        instance,
        f"echo {script} | base64 -d > /run/tls_probe.py && cd /opt/filestore && "
        "set -a && . /etc/filestore/filestore.env && set +a && "
        "runuser -u filestore -- env PYTHONPATH=/opt/filestore "
        "/opt/filestore/venv/bin/python /run/tls_probe.py",
    ).splitlines()[-1]
    version, check_hostname, host = out.split()
    assert version.startswith("TLSv1.") and check_hostname == "True", out
    assert host == deployment.outputs["db_address"] != "127.0.0.1", out
    plain = {k: v for k, v in deployment.db_kwargs.items() if not k.startswith("ssl_")}
    with pytest.raises(pymysql.err.OperationalError):
        pymysql.connect(**plain, ssl_disabled=True, connect_timeout=10)
