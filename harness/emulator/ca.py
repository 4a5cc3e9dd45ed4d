"""The emulator's certificate authority: its stand-in for AWS's RDS CA bundle.

RDS presents a server certificate for the instance's endpoint name, signed by a CA in AWS's
RDS CA bundle. :func:`emulator_ca` is one CA per machine, made once (``cryptography``) in
the cache, as the image is; the data plane hands its certificate to every instance at boot,
where user_data installs it at the path the app's ``FILESTORE_DB_CA_FILE`` names, as it
installs AWS's bundle on EC2. :func:`issue_server_cert` signs the stand-in database's
certificate for the endpoint name(s).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock

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
