"""The AWS target's SSH tunnel, exercised for real: a local sshd forwarding to MariaDB."""

from __future__ import annotations

import pymysql
import pytest

from harness.stack.standins import MariaDB
from harness.stack.tunnel import LocalSSHD, SSHTunnel

pytestmark = [pytest.mark.sshd, pytest.mark.mariadb]


@pytest.fixture(scope="module")
def mariadb():
    with MariaDB() as db:
        yield db


@pytest.fixture(scope="module")
def sshd():
    with LocalSSHD() as server:
        yield server


def test_tunnel_reaches_the_database_through_sshd(sshd, mariadb):
    with SSHTunnel(
        host="127.0.0.1",
        user=sshd.user,
        key_path=sshd.client_key,
        ssh_port=sshd.port,
        remote_host="127.0.0.1",
        remote_port=mariadb.port,
    ) as tunnel:
        assert tunnel.local_port != mariadb.port
        conn = pymysql.connect(
            host="127.0.0.1",
            port=tunnel.local_port,
            user=mariadb.user,
            password=mariadb.password,
            database=mariadb.database,
        )
        with conn.cursor() as cur:
            cur.execute("SELECT DATABASE(), 6 * 7")
            assert cur.fetchone() == (mariadb.database, 42)
        conn.close()


def test_tunnel_with_a_wrong_key_fails_clearly(sshd, mariadb, tmp_path):
    from harness.stack.tunnel import generate_keypair

    wrong_key, _ = generate_keypair(tmp_path, "wrong")
    tunnel = SSHTunnel(
        host="127.0.0.1",
        user=sshd.user,
        key_path=wrong_key,
        ssh_port=sshd.port,
        remote_host="127.0.0.1",
        remote_port=mariadb.port,
        connect_timeout=1,
    )
    with pytest.raises(RuntimeError, match="SSH tunnel failed"):
        tunnel.start()
    tunnel.stop()
