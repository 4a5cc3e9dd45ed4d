"""Attaching to an emulator that already holds a lot (``EMULATOR_URL``, e.g. what `make up`
left running) is fast: the health probe costs the same whatever the emulator holds."""

from __future__ import annotations

import json
import time

import pytest
import requests

from harness.emulator.launcher import MotoServer

RESOURCES = 300


@pytest.fixture(scope="module")
def loaded():
    """A moto server holding a few hundred resources of the stack's kinds."""
    with MotoServer() as server:
        s3, ssm, logs, ec2, iam = (server.client(s) for s in ("s3", "ssm", "logs", "ec2", "iam"))
        vpc = ec2.create_vpc(CidrBlock="10.7.0.0/16")["Vpc"]["VpcId"]
        trust = json.dumps({"Version": "2012-10-17", "Statement": []})
        for i in range(RESOURCES // 6):
            s3.create_bucket(Bucket=f"loaded-{i}")
            s3.put_object(Bucket=f"loaded-{i}", Key=f"file {i}.txt", Body=b"x" * 100)
            ssm.put_parameter(Name=f"/loaded/{i}", Value="v", Type="SecureString")
            logs.create_log_group(logGroupName=f"/loaded/{i}")
            ec2.create_security_group(GroupName=f"loaded-{i}", Description="x", VpcId=vpc)
            iam.create_role(RoleName=f"loaded-{i}", AssumeRolePolicyDocument=trust)
        yield server


def _seconds(fn) -> float:
    t0 = time.monotonic()
    fn()
    return time.monotonic() - t0


def test_attaching_to_a_loaded_emulator_is_fast(loaded):
    probe = _seconds(loaded.healthy)
    attach = _seconds(lambda: MotoServer(url=loaded.url).start())
    # what the probe used to fetch: every backend serialised (figure for the report)
    old = _seconds(lambda: requests.get(f"{loaded.url}/moto-api/data.json", timeout=60))
    print(
        f"health probe {probe * 1000:.0f} ms, attach {attach * 1000:.0f} ms, data.json {old:.2f} s"
    )
    assert loaded.healthy()
    assert probe < 0.5 and attach < 1.0, (probe, attach)


def test_the_probe_tells_moto_from_another_server(tmp_path):
    import subprocess
    import sys

    from harness.net import free_port, port_open
    from harness.wait import wait_for

    port = free_port("127.0.0.1")
    (tmp_path / "moto-api").mkdir()
    (tmp_path / "moto-api" / "config").write_text("<html>not moto</html>")
    other = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_for(lambda: port_open("127.0.0.1", port), timeout=10, what="http.server")
        assert not MotoServer(url=url).healthy()
        assert not MotoServer(url=f"http://127.0.0.1:{free_port('127.0.0.1')}").healthy()
    finally:
        other.terminate()
        other.wait(timeout=10)
