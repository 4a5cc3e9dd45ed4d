"""The emulator's EC2 data plane: instances really boot, from the EC2 API, and go away.

Against a real moto server started with ``instances=True``: each instance is a
systemd-nspawn container of the emulator's image, whose cloud-init runs the user data the
EC2 API holds, in its VPC: a public subnet whose route goes to an internet gateway, a
security group opening the web port. Slow-ish (the first run builds the image: a few
minutes, then cached).
"""

from __future__ import annotations

import gzip
import io
import json
import os
import signal
from pathlib import Path

import pytest
import requests

from harness.emulator.launcher import MotoServer
from harness.instances import internet_access
from harness.instances.dataplane import Ec2ActionHook
from harness.instances.instance import Instance, InstanceError, wait_ready, web_user_data
from harness.instances.public_subnet import PublicSubnet, public_subnet
from harness.instances.sweep import sweep
from harness.network import netns
from harness.network import sweep as network_sweep
from harness.wait import wait_for

pytestmark = pytest.mark.xdist_group("instances")
AMI = "ami-12c6146b"
BUCKET = "instance-probe"
PORT = 8080  # the web service's, open in the instance's security group
CLIENT = "203.0.113.77"  # an internet client
# After the web service: a per-boot counter, and a probe that uses the instance role
# (through IMDS) to write to S3 on the emulator.
PROBE = """echo "user_data ran" >> /var/lib/user-data-runs
cat > /etc/systemd/system/boot-counter.service <<UNIT
[Service]
Type=oneshot
ExecStart=/bin/sh -c 'echo boot >> /var/lib/boots'
[Install]
WantedBy=multi-user.target
UNIT
systemctl daemon-reload
systemctl enable --now boot-counter.service
python3 -m venv /opt/probe
/opt/probe/bin/pip install -q boto3
/opt/probe/bin/python - <<'PY'
import json, boto3
creds = boto3.Session().get_credentials()
who = boto3.client("sts", region_name="us-east-1").get_caller_identity()
body = {"arn": who["Arn"], "key": creds.access_key, "method": creds.method}
boto3.client("s3", region_name="us-east-1").put_object(
    Bucket="BUCKET", Key="probe.json", Body=json.dumps(body))
PY
"""


def _lines(inst: Instance, path: str) -> int:
    return len((inst.read(path) or "").splitlines())


def _run(moto: MotoServer, user_data: str, net: PublicSubnet | None = None, **kwargs) -> Instance:
    net = net or public_subnet(moto.client("ec2"), ingress_ports=(PORT,))
    iid = moto.client("ec2").run_instances(
        ImageId=AMI,
        MinCount=1,
        MaxCount=1,
        UserData=gzip.compress(user_data.encode()),
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "run_id", "Value": "x"}]}],
        **net.launch_args(),
        **kwargs,
    )["Instances"][0]["InstanceId"]
    inst = Instance(iid)
    wait_for(lambda: inst.leader() is not None, timeout=60, what=f"{iid} to boot")
    return inst


def _gone(inst: Instance) -> bool:
    return not inst.exists() and not inst.mounted() and not inst.cgroup.unified.exists()


def _state(ec2, iid: str) -> str:
    return ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]["State"][
        "Name"
    ]


def _public_ip(moto: MotoServer, inst: Instance) -> str:
    desc = moto.client("ec2").describe_instances(InstanceIds=[inst.id])
    return desc["Reservations"][0]["Instances"][0]["PublicIpAddress"]


def _web(moto: MotoServer, inst: Instance) -> str:
    """The web port from an internet client: open, timeout, refused, unreachable."""
    return internet_access.probe(moto.url, CLIENT, _public_ip(moto, inst), PORT)


@pytest.fixture(scope="module")
def moto():
    with MotoServer(instances=True) as server:
        yield server


@pytest.fixture(scope="module")
def web(moto, make_instance_profile):
    """One instance with an instance profile, booted, its user data done."""
    may_write_probe = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{BUCKET}/*"}
        ],
    }
    profile = make_instance_profile(moto, "probe", may_write_probe)
    moto.client("s3").create_bucket(Bucket=BUCKET)
    ec2 = moto.client("ec2")
    net = public_subnet(ec2, ingress_ports=(PORT,))
    private = ec2.create_subnet(VpcId=net.vpc_id, CidrBlock="10.20.10.0/24")["Subnet"]
    moto.client("rds").create_db_subnet_group(
        DBSubnetGroupName="probe", DBSubnetGroupDescription="x", SubnetIds=[private["SubnetId"]]
    )
    db = moto.client("rds").create_db_instance(
        DBInstanceIdentifier="probe-db",
        Engine="mysql",
        DBInstanceClass="db.t3.micro",
        MasterUsername="admin",
        MasterUserPassword="not-used-here",
        AllocatedStorage=20,
        DBSubnetGroupName="probe",
        VpcSecurityGroupIds=[net.group_id],
    )["DBInstance"]
    inst = _run(
        moto,
        web_user_data(PORT, then=PROBE.replace("BUCKET", BUCKET)),
        net,
        IamInstanceProfile={"Arn": profile["Arn"]},
    )
    wait_ready(inst, timeout=300, unit="web.service")
    return inst, private["CidrBlock"], db["Endpoint"]["Address"]


def test_user_data_ran_once_and_its_service_answers_on_the_public_address(web, moto):
    inst, _, _ = web
    url = internet_access.connect_url(moto.url, CLIENT, f"http://{_public_ip(moto, inst)}:{PORT}/")
    assert requests.get(url, timeout=10).text == "hello\n"
    assert inst.exec("systemctl", "is-active", "web.service").stdout.strip() == "active"
    assert "status: done" in inst.exec("cloud-init", "status", "--long").stdout
    assert _lines(inst, "/var/lib/user-data-runs") == 1


def test_cloud_init_got_the_exact_user_data_of_the_ec2_api(web):
    inst, _, _ = web
    seed = inst.path("/var/lib/cloud/seed/nocloud/user-data").read_bytes()
    assert (
        gzip.decompress(seed) == web_user_data(PORT, then=PROBE.replace("BUCKET", BUCKET)).encode()
    )
    assert json.loads(inst.read("/var/lib/cloud/data/result.json"))["v1"]["errors"] == []


def test_the_instance_uses_its_roles_credentials_and_holds_no_key(web, moto):
    inst, _, _ = web
    probe = json.loads(moto.client("s3").get_object(Bucket=BUCKET, Key="probe.json")["Body"].read())
    assert probe["method"] == "iam-role"
    assert probe["key"].startswith("ASIA")
    assert probe["arn"].endswith(f":assumed-role/probe/{inst.id}")
    found = inst.exec("grep", "-rlF", probe["key"], "/etc", "/var", "/root", "/opt", "/srv")
    assert found.stdout == ""
    for pid in inst.cgroup.pids():
        environ = Path(f"/proc/{pid}/environ").read_bytes()
        assert b"AWS_ACCESS_KEY_ID" not in environ and b"AWS_SECRET_ACCESS_KEY" not in environ


def test_sdk_settings_come_from_systemd_and_imdsv1_is_refused(web, moto):
    inst, _, _ = web
    env = dict(
        line.split("=", 1)
        for line in inst.exec("systemctl", "show-environment").stdout.splitlines()
    )
    # the emulator as an https endpoint on the internet; IMDS at the subnet's router
    assert env["AWS_ENDPOINT_URL"] == "https://198.51.100.10"
    assert env["AWS_CA_BUNDLE"] == "/etc/filestore-emulator/aws-ca-bundle.pem"
    imds = env["AWS_EC2_METADATA_SERVICE_ENDPOINT"]
    assert imds.startswith("http://10.20.0.1:")
    assert inst.endpoints() == {k: v for k, v in env.items() if k.startswith("AWS_")}
    code = inst.exec(
        "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", imds + "latest/meta-data/"
    )
    assert code.stdout == "401"


def test_names_resolve_as_in_the_vpc(web):
    """The RDS endpoint: the database's private address in its subnet group's subnet; the
    registries: their addresses on the emulator's internet; anything else: nothing."""
    import ipaddress

    inst, private_cidr, address = web
    db_ip = inst.exec("getent", "hosts", address).stdout.split()[0]
    assert ipaddress.ip_address(db_ip) in ipaddress.ip_network(private_cidr)
    assert inst.exec("getent", "hosts", "pypi.org").stdout.split()[0].startswith("198.51.100.")
    assert inst.exec("getent", "hosts", "example.com").returncode != 0


def test_reboot_stop_start_keep_the_disk_and_never_rerun_user_data(web, moto):
    inst, _, _ = web
    ec2 = moto.client("ec2")
    assert _lines(inst, "/var/lib/boots") == 1

    ec2.reboot_instances(InstanceIds=[inst.id])
    wait_for(lambda: _lines(inst, "/var/lib/boots") == 2, timeout=90, what="the reboot")
    wait_for(lambda: _web(moto, inst) == "open", timeout=30, what="web after reboot")

    address = _public_ip(moto, inst)
    ec2.stop_instances(InstanceIds=[inst.id])
    wait_for(lambda: not inst.mounted() and not inst.running(), timeout=60, what="the stop")
    # as on EC2, a stopped instance loses its public IP (and gets a new one at start)
    assert internet_access.probe(moto.url, CLIENT, address, PORT) != "open"
    assert (inst.upper / "var/lib/boots").exists()  # the disk stays

    ec2.start_instances(InstanceIds=[inst.id])
    wait_for(lambda: _lines(inst, "/var/lib/boots") == 3, timeout=90, what="the start")
    wait_for(lambda: _web(moto, inst) == "open", timeout=30, what="web after start")
    assert _lines(inst, "/var/lib/user-data-runs") == 1


def test_terminate_removes_container_mount_and_disk(moto):
    inst = _run(moto, "#!/bin/bash\necho short-lived\n")
    wait_ready(inst, timeout=120)
    moto.client("ec2").terminate_instances(InstanceIds=[inst.id])
    wait_for(lambda: _gone(inst), timeout=60, what="the container and disk to go")


def test_failing_user_data_shows_the_tail_of_its_output(moto):
    inst = _run(moto, "#!/bin/bash\necho 'about to fail: marker-31'\nexit 3\n")
    with pytest.raises(InstanceError, match="(?s)scripts-user.*marker-31"):
        wait_ready(inst, timeout=120)


def test_an_instance_never_ready_times_out_with_diagnostics(moto):
    inst = _run(moto, "#!/bin/bash\necho 'waiting forever: marker-47'\nsleep 3600\n")
    with pytest.raises(
        TimeoutError, match="(?s)within 20s.*marker-47.*Starting cloud-final.service"
    ):
        wait_ready(inst, timeout=20, unit="cloud-final.service")


def test_an_instance_that_powers_off_is_stopped_in_the_api(moto):
    inst = _run(moto, "#!/bin/bash\nsystemctl poweroff\n")
    ec2 = moto.client("ec2")
    wait_for(lambda: _state(ec2, inst.id) == "stopped", timeout=90, what="the API to show the stop")
    assert "exited with status 0" in inst.read_boot_error()


def test_an_instance_whose_network_cannot_be_made_is_stopped_with_the_reason(moto):
    """moto's default VPC gives an instance launched without a subnet an address outside
    its subnet: no interface is made for it, and the boot fails naming the ENI."""
    ec2 = moto.client("ec2")
    iid = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    desc = ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]
    eni = desc["NetworkInterfaces"][0]["NetworkInterfaceId"]
    wait_for(lambda: _state(ec2, iid) == "stopped", timeout=60, what="the API to show the stop")
    error = Instance(iid).read_boot_error()
    assert "could not boot" in error and eni in error, error


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["sigterm", "sigkill"])
def test_nothing_outlives_the_emulator(sig):
    """SIGTERM: the plane removes everything itself. SIGKILL: the containers halt (parent
    death signal) and the sweeper removes what is left."""
    moto = MotoServer(instances=True).start()
    try:
        inst = _run(moto, "#!/bin/bash\nsleep 3600\n")
        pid = moto._proc.pid
        prefix = f"{netns.PREFIX}p{pid}-"
        made = [n for n in network_sweep.ours_in_netns() if n.startswith(prefix)]
        assert f"{prefix}{inst.id}" in made and f"{prefix}internet" in made, made
        os.kill(pid, sig)
        moto._proc.wait(timeout=90)
        if sig == signal.SIGKILL:
            wait_for(lambda: not inst.running(), timeout=60, what="the orphan to halt")
            assert inst.id in sweep()
            assert set(made) <= set(network_sweep.sweep())  # its owner is dead
        assert _gone(inst)
        assert not [n for n in network_sweep.ours_in_netns() if n.startswith(prefix)]
    finally:
        moto.stop()


# ---------------------------------------------------------------- the reboot hook


def _wsgi_call(action: str, service: str = "ec2", status: str = "200 OK") -> list:
    body = f"Action={action}&InstanceId.1=i-1&InstanceId.2=i-2&Version=2016-11-15".encode()
    environ = {
        "REQUEST_METHOD": "POST",
        "CONTENT_TYPE": "application/x-www-form-urlencoded; charset=utf-8",  # as SDKs send it
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_AUTHORIZATION": f"AWS4-HMAC-SHA256 Credential=x/20260101/us-east-1/{service}/aws4_request",
        "wsgi.input": io.BytesIO(body),
    }
    heard: list = []
    seen_body: list = []

    def inner(env, start_response):
        seen_body.append(env["wsgi.input"].read())
        start_response(status, [])
        return [b"<ok/>"]

    hook = Ec2ActionHook(inner, {"RebootInstances": heard.append})
    assert b"".join(hook(environ, lambda *a: None)) == b"<ok/>"
    assert seen_body == [body]  # moto still gets the whole request
    return heard


def test_the_hook_hears_accepted_reboots_only():
    assert _wsgi_call("RebootInstances") == [["i-1", "i-2"]]
    assert _wsgi_call("RebootInstances", status="400 Bad Request") == []
    assert _wsgi_call("StopInstances") == []
    assert _wsgi_call("RebootInstances", service="rds") == []
