"""The MariaDB stand-in over TLS, as RDS with require_secure_transport: a plaintext login
is refused, a login that verifies the server against the emulator CA for the endpoint
name is accepted, a wrong name or another CA is refused."""

from __future__ import annotations

import ssl

import pymysql
import pytest

from harness.emulator.ca import emulator_ca, issue_server_cert, make_ca
from harness.stack.standins import TlsMariaDB

pytestmark = pytest.mark.mariadb

# RDS (MySQL) answers error 3159 "Connections using insecure transport are prohibited";
# MariaDB 10.11 refuses the same login as 1045 "Access denied" (the right password: the
# same login without TLS succeeds once require_secure_transport is off, below).
PLAINTEXT_REFUSED = r"^\(1045, .Access denied for user 'filestore'"


@pytest.fixture(scope="module")
def ca(tmp_path_factory):
    return make_ca(tmp_path_factory.mktemp("ca"))


@pytest.fixture(scope="module")
def db(ca):
    server = TlsMariaDB(names=("localhost",), ca=ca)
    server.start()
    try:
        yield server
    finally:
        server.destroy()


def login(db, host="localhost", **tls):
    kwargs = {k: v for k, v in db.connect_kwargs().items() if not k.startswith("ssl_")}
    conn = pymysql.connect(**{**kwargs, "host": host, "connect_timeout": 5, **tls})
    try:
        with conn.cursor() as cur:
            cur.execute("SHOW SESSION STATUS LIKE 'Ssl_version'")
            return cur.fetchone()[1]
    finally:
        conn.close()


def verified(ca):
    return {"ssl_ca": str(ca.cert_path), "ssl_verify_identity": True}


def test_a_plaintext_login_is_refused(db):
    with pytest.raises(pymysql.err.OperationalError, match=PLAINTEXT_REFUSED):
        login(db, ssl_disabled=True)


def test_a_login_verifying_the_ca_and_the_name_is_accepted(db, ca):
    assert login(db, **verified(ca)).startswith("TLSv1."), "the session is encrypted"


def test_a_wrong_hostname_is_refused(db, ca):
    # the certificate names localhost; 127.0.0.1 is the same server under another name
    with pytest.raises(pymysql.err.OperationalError) as err:
        login(db, host="127.0.0.1", **verified(ca))
    assert isinstance(err.value.__cause__ or err.value.__context__, ssl.SSLCertVerificationError)


def test_another_ca_is_refused(db, tmp_path):
    other = make_ca(tmp_path, "not the emulator")
    with pytest.raises(pymysql.err.OperationalError) as err:
        login(db, **verified(other))
    assert isinstance(err.value.__cause__ or err.value.__context__, ssl.SSLCertVerificationError)


def test_the_harness_login_verifies_the_ca(db):
    assert db.connect_kwargs()["ssl_verify_cert"] is True
    conn = db.connect()
    conn.close()


def test_new_names_are_served_live_and_secure_transport_follows_the_setting(db, ca):
    db.serve_names(["filestore-x-db.aaaaaaaaaa.us-east-1.rds.amazonaws.com"])
    try:
        with pytest.raises(pymysql.err.OperationalError):
            login(db, **verified(ca))  # localhost is no longer a name of the server
        db.require_tls(False)
        assert login(db, ssl_disabled=True) == ""
    finally:
        db.require_tls(True)
        db.serve_names(["localhost"])
    assert login(db, **verified(ca)).startswith("TLSv1.")
    with pytest.raises(pymysql.err.OperationalError, match=PLAINTEXT_REFUSED):
        login(db, ssl_disabled=True)


def test_the_setting_survives_a_restart(db, ca):
    db.stop()
    db.start()
    with pytest.raises(pymysql.err.OperationalError, match=PLAINTEXT_REFUSED):
        login(db, ssl_disabled=True)
    assert login(db, **verified(ca)).startswith("TLSv1.")


def test_the_emulator_ca_is_made_once_and_signs_for_ip_names(tmp_path):
    first, again = emulator_ca(), emulator_ca()
    assert first == again and first.cert_pem == again.cert_pem
    from cryptography import x509

    cert = x509.load_pem_x509_certificate(issue_server_cert(first, ["127.0.0.1", "db"])[0])
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert [str(v) for v in san.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    assert san.get_values_for_type(x509.DNSName) == ["db"]
