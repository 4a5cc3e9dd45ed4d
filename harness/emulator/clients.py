"""The one way to reach the emulator: whose credentials, and clients made with them.

The harness, the data plane, the sweeper, the CLI's environment and the provider override
all take their keys and endpoint settings from here (they used to spell ``"testing"``
five times over).
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_REGION = "us-east-1"


@dataclass(frozen=True)
class Credentials:
    access_key_id: str
    secret_access_key: str
    session_token: str = ""

    def _named(self, names: tuple[str, str, str]) -> dict[str, str]:
        values = (self.access_key_id, self.secret_access_key, self.session_token)
        return {name: value for name, value in zip(names, values, strict=True) if value}

    def env(self) -> dict[str, str]:
        """As the standard environment variables (a session token only when there is one)."""
        return self._named(("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"))

    def boto_kwargs(self) -> dict[str, str]:
        return self._named(("aws_access_key_id", "aws_secret_access_key", "aws_session_token"))


# moto's own account root: what the harness itself uses to set up and inspect the emulator
EMULATOR_ROOT = Credentials("testing", "testing")
# the bootstrap admin's one key on the emulator (harness/emulator/iam/identities.py), and what
# code that must never reach a real account uses (the app's tests, the emulator's process)
FAKE_CREDENTIALS = EMULATOR_ROOT.env()


def client_kwargs(
    endpoint_url: str, region: str = DEFAULT_REGION, credentials: Credentials = EMULATOR_ROOT
) -> dict:
    """Keyword arguments for ``boto3.client`` (or a session's) at the emulator."""
    return {"endpoint_url": endpoint_url, "region_name": region, **credentials.boto_kwargs()}


def client(
    service: str,
    endpoint_url: str,
    *,
    region: str = DEFAULT_REGION,
    credentials: Credentials = EMULATOR_ROOT,
    session=None,
    config=None,
):
    """A boto3 client at the emulator (from ``session`` when given: sessions are per
    thread, boto3's default one is not safe to share)."""
    import boto3

    maker = session or boto3
    return maker.client(service, config=config, **client_kwargs(endpoint_url, region, credentials))


def s3control_endpoint(endpoint: str) -> str:
    """S3 Control's endpoint on the emulator: the SDK sends its requests to
    ``{account id}.{endpoint host}``; with ``localhost`` for the host that name is
    ``123456789012.localhost`` (which the Terraform override proxies through the emulator,
    and which Prowler's guard answers as loopback), never ``123456789012.127.0.0.1``."""
    return endpoint.replace("127.0.0.1", "localhost")


def cli_env(credentials: Credentials = EMULATOR_ROOT) -> dict[str, str]:
    """The CLI's environment on the emulator: these keys and nothing else of the caller's
    (no profile, no role, no instance metadata)."""
    env = {var: "" for var in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ROLE_ARN")}
    env.update(credentials.env())
    env["AWS_EC2_METADATA_DISABLED"] = "true"
    return env
