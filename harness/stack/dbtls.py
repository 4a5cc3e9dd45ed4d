"""The database over TLS on the emulator, as on RDS.

RDS presents a server certificate for the instance's endpoint name, signed by a CA in
AWS's RDS CA bundle; with ``require_secure_transport`` on in the DB parameter group a
plaintext login is refused. Here:

* :func:`emulator_ca` is the emulator's "RDS CA bundle": one CA per machine, made once
  (``cryptography``) in the cache, as the image is. The data plane hands its certificate
  to every instance at boot (``harness/instances/instance.py``), where user_data installs it at the
  path the app's ``FILESTORE_DB_CA_FILE`` names, as it installs AWS's bundle on EC2.
* :class:`TlsMariaDB` is the MariaDB stand-in with TLS: a server certificate that CA
  signs for the RDS endpoint name(s) (:meth:`TlsMariaDB.serve_names`, reloaded with
  ``FLUSH SSL`` while running) and ``require_secure_transport`` as the parameter group
  says (:meth:`TlsMariaDB.require_tls`). The root login over the Unix socket that
  provisions it stays allowed (a socket is a secure transport to MariaDB), as RDS's own
  management does not go through the VPC.

MariaDB 10.11 (Debian 12) has no ``caching_sha2_password`` (MySQL 8.4's default): its
users log in with ``mysql_native_password``. The client side of that difference is
covered by the app shipping ``cryptography`` (PyMySQL's full caching_sha2 login without
TLS needs it; over TLS it sends the password in the encrypted channel).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass, field
from pathlib import Path

from filelock import FileLock

from harness.emulator.launcher import MariaDB
from harness.paths import cache_root

CA_NAME = "filestore emulator RDS CA"


@dataclass(frozen=True)
class CA:
    cert_path: Path
    key_path: Path

    @property
    def cert_pem(self) -> bytes:
        return self.cert_path.read_bytes()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _key():
    from cryptography.hazmat.primitives.asymmetric import ec

    return ec.generate_private_key(ec.SECP256R1())


def _pem_key(key) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def make_ca(directory: Path, name: str = CA_NAME) -> CA:
    """A new self-signed CA (10 years) in ``directory``: ``ca.pem``, ``ca.key``."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.x509.oid import NameOID

    key = _key()
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(_now() - dt.timedelta(hours=1))
        .not_valid_after(_now() + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )  # fmt: skip
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .sign(key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    ca = CA(directory / "ca.pem", directory / "ca.key")
    ca.key_path.touch(mode=0o600)
    ca.key_path.write_bytes(_pem_key(key))
    ca.cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return ca


def emulator_ca() -> CA:
    """The machine's emulator CA, made on first use (shared by the harness, which signs
    the stand-in's certificate, and the data plane, which gives instances the cert)."""
    directory = cache_root() / "emulator-ca"
    directory.mkdir(parents=True, exist_ok=True)
    with FileLock(str(directory / ".lock")):
        ca = CA(directory / "ca.pem", directory / "ca.key")
        if ca.cert_path.exists() and ca.key_path.exists():
            return ca
        return make_ca(directory)


def issue_server_cert(ca: CA, names: list[str], days: int = 30) -> tuple[bytes, bytes]:
    """A server certificate for ``names`` (DNS names; an IP literal becomes an IP SAN)
    signed by ``ca``: ``(cert_pem, key_pem)``."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    if not names:
        raise ValueError("a server certificate needs at least one name")
    ca_cert = x509.load_pem_x509_certificate(ca.cert_pem)
    ca_key = serialization.load_pem_private_key(ca.key_path.read_bytes(), password=None)
    sans: list[x509.GeneralName] = []
    for name in names:
        try:
            sans.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            sans.append(x509.DNSName(name))
    key = _key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0][:64])]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(_now() - dt.timedelta(hours=1))
        .not_valid_after(_now() + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM), _pem_key(key)


@dataclass
class TlsMariaDB(MariaDB):
    """The MariaDB stand-in with TLS: a certificate from ``ca`` for ``names`` and, when
    ``secure_transport``, every TCP login without TLS refused (RDS, MySQL, answers error
    3159 "Connections using insecure transport are prohibited"; MariaDB 10.11 answers
    1045 "Access denied")."""

    names: tuple[str, ...] = ("localhost",)
    secure_transport: bool = True
    ca: CA = field(default_factory=emulator_ca)

    @property
    def tls_dir(self) -> Path:
        assert self.workdir is not None
        return self.workdir / "tls"

    def _write_cert(self) -> None:
        cert, key = issue_server_cert(self.ca, list(self.names))
        self.tls_dir.mkdir(parents=True, exist_ok=True)
        (self.tls_dir / "server.key").touch(mode=0o600)
        (self.tls_dir / "server.key").write_bytes(key)
        (self.tls_dir / "server.pem").write_bytes(cert)

    def server_args(self) -> list[str]:
        if not (self.tls_dir / "server.pem").exists():
            self._write_cert()
        return [
            f"--ssl-ca={self.ca.cert_path}",
            f"--ssl-cert={self.tls_dir / 'server.pem'}",
            f"--ssl-key={self.tls_dir / 'server.key'}",
            f"--require-secure-transport={'ON' if self.secure_transport else 'OFF'}",
        ]

    def client_tls(self) -> dict:
        """The harness's own logins verify the CA; it reaches the stand-in by address, not
        by the endpoint name (that name resolves inside the instances only)."""
        return {"ssl_ca": str(self.ca.cert_path), "ssl_verify_cert": True}

    def serve_names(self, names: list[str]) -> None:
        """A new certificate for ``names`` (e.g. the RDS endpoint the API reports), live."""
        self.names = tuple(names)
        self._write_cert()
        if self.running():
            self._root_sql("FLUSH SSL")

    def require_tls(self, on: bool) -> None:
        """``require_secure_transport`` as the DB parameter group says, live and at restart."""
        self.secure_transport = on
        if self.running():
            self._root_sql(f"SET GLOBAL require_secure_transport = {'ON' if on else 'OFF'}")

    def _root_sql(self, sql: str) -> None:
        import pymysql

        conn = pymysql.connect(unix_socket=str(self.socket), user="root", password="")
        try:
            with conn.cursor() as cur:
                cur.execute(sql)
        finally:
            conn.close()
