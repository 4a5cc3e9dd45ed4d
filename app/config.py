"""Configuration from environment variables (see docs/CONTRACTS.md and app/README.md).

Config keys are the environment variable names themselves, so a test can pass
``create_app({"FILESTORE_BUCKET": ...})`` with the names it knows from the contract.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

DEFAULT_MAX_UPLOAD_BYTES = 100 * 1024 * 1024
# Room for the multipart envelope (boundaries, part headers) on top of the file itself.
MULTIPART_SLACK_BYTES = 64 * 1024

# key -> (default, parser)
_SETTINGS: dict[str, tuple[object, type]] = {
    "FILESTORE_BUCKET": ("", str),
    "AWS_REGION": ("", str),
    "FILESTORE_AWS_ENDPOINT_URL": ("", str),
    # no default: a wrong or missing endpoint must fail at start, not reach some local server
    "FILESTORE_DB_HOST": ("", str),
    "FILESTORE_DB_PORT": (3306, int),
    "FILESTORE_DB_NAME": ("filestore", str),
    "FILESTORE_DB_USER": ("filestore", str),
    "FILESTORE_DB_PASSWORD_PARAM": ("", str),
    "FILESTORE_DB_PASSWORD": ("", str),
    # PEM bundle of the CAs that may sign the database's certificate (the RDS CA bundle)
    "FILESTORE_DB_CA_FILE": ("", str),
    "FILESTORE_MAX_UPLOAD_BYTES": (DEFAULT_MAX_UPLOAD_BYTES, int),
    # Tuning knobs (optional; defaults suit the t3.micro deployment).
    "FILESTORE_DB_CONNECT_TIMEOUT": (3, int),
    "FILESTORE_DB_RW_TIMEOUT": (15, int),
    "FILESTORE_S3_CONNECT_TIMEOUT": (2, int),
    "FILESTORE_S3_READ_TIMEOUT": (30, int),
    "FILESTORE_S3_MAX_ATTEMPTS": (2, int),
    "FILESTORE_RECENT_LIMIT": (20, int),
}


class ConfigError(RuntimeError):
    """A missing or malformed setting, reported at start-up."""


def _parse(key: str, raw: object, kind: type) -> object:
    if kind is int and not isinstance(raw, int):
        try:
            return int(str(raw).strip())
        except ValueError as exc:
            raise ConfigError(f"{key} must be an integer, got {raw!r}") from exc
    return raw


def from_environ(environ: Mapping[str, str] | None = None) -> dict:
    """All settings, from ``environ`` (default ``os.environ``) or their defaults."""
    env = os.environ if environ is None else environ
    config: dict[str, object] = {}
    for key, (default, kind) in _SETTINGS.items():
        raw = env.get(key, "")
        config[key] = _parse(key, raw, kind) if raw != "" else default
    if not config["AWS_REGION"]:
        config["AWS_REGION"] = env.get("AWS_DEFAULT_REGION", "") or "us-east-1"
    return config


def finalize(config: dict) -> None:
    """Check and derive settings in place, after env and test overrides are merged."""
    for key, (_default, kind) in _SETTINGS.items():
        if key in config:
            config[key] = _parse(key, config[key], kind)
    if not config.get("FILESTORE_BUCKET"):
        raise ConfigError("FILESTORE_BUCKET is required (the S3 bucket holding the files)")
    host = str(config.get("FILESTORE_DB_HOST") or "")
    if not host:
        raise ConfigError("FILESTORE_DB_HOST is required (the database endpoint, e.g. RDS's)")
    _check_ca_file(str(config.get("FILESTORE_DB_CA_FILE") or ""))
    # Accept the RDS "endpoint" form host:port as well as a bare address.
    if host.count(":") == 1 and host.rsplit(":", 1)[1].isdigit():
        host, port = host.rsplit(":", 1)
        config["FILESTORE_DB_HOST"] = host
        config["FILESTORE_DB_PORT"] = int(port)
    limit = int(config["FILESTORE_MAX_UPLOAD_BYTES"])
    if limit <= 0:
        raise ConfigError("FILESTORE_MAX_UPLOAD_BYTES must be positive")
    config["FILESTORE_AWS_ENDPOINT_URL"] = config.get("FILESTORE_AWS_ENDPOINT_URL") or None
    # Werkzeug refuses bodies above this before the view runs (413); the view also
    # counts the file's own bytes against FILESTORE_MAX_UPLOAD_BYTES.
    config["MAX_CONTENT_LENGTH"] = limit + MULTIPART_SLACK_BYTES


def _check_ca_file(path: str) -> None:
    """The database connection verifies the server against this bundle: it must exist
    and hold at least one CA certificate."""
    import ssl

    if not path:
        raise ConfigError(
            "FILESTORE_DB_CA_FILE is required (the CA bundle that signs the database's "
            "certificate: the RDS CA bundle on AWS)"
        )
    try:
        with open(path, "rb"):
            pass
        cas = ssl.create_default_context(cafile=path).get_ca_certs()
    except ssl.SSLError as exc:  # an OSError too: first
        raise ConfigError(f"FILESTORE_DB_CA_FILE {path!r} holds no CA certificate: {exc}") from exc
    except OSError as exc:
        raise ConfigError(f"FILESTORE_DB_CA_FILE {path!r} cannot be read: {exc}") from exc
    if not cas:
        raise ConfigError(f"FILESTORE_DB_CA_FILE {path!r} holds no CA certificate")
