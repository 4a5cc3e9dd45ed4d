"""Instance metadata (IMDSv2) for one emulated instance, on a loopback port.

On EC2 the metadata service answers at 169.254.169.254 inside the instance. Here that
address is never bound, routed or called: instances share the host's network, so each
instance gets its own service on a free 127.0.0.1 port, and the SDK inside the instance is
pointed at it with the standard ``AWS_EC2_METADATA_SERVICE_ENDPOINT`` (see
``harness/instances/dataplane.py``, which supplies it the way a hypervisor supplies IMDS).

What it serves is what an SDK, cloud tooling or a user_data script asks for: the session
token (``PUT /latest/api/token``; tokens are always required: IMDSv1 answers 401), the
instance identity (id, type, AMI, placement, private address), the instance profile and
its role's **temporary credentials from the emulator's STS** (``AssumeRole`` on the role
behind the instance's ``IamInstanceProfile``, refreshed before they expire), and the user
data as the EC2 API holds it.

Why not amazon-ec2-metadata-mock (AEMM) v1.13.0, which we tried first: its token store is
a plain Go map written by every token request without a lock, so two concurrent token
requests (two gunicorn workers starting) abort the process with ``fatal error: concurrent
map writes`` (reproduced: 64 parallel clients killed it within seconds); its static handler
keeps the answer in a package-level variable shared by all requests; and its credentials
are fixed values from a config file, so they could not be refreshed, while every path we do
not override answers with AEMM's made-up defaults (a role ``baskinc-role`` with fake keys
for an instance that has no profile). This server is the small part of IMDS we need.

Difference from EC2 that remains: the port is reachable from every process on the host
(and from other instances, which share its network); on EC2 only the instance reaches its
own IMDS.
"""

from __future__ import annotations

import ipaddress
import json
import secrets
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MAX_TOKEN_TTL = 21600
TOKEN_HEADER = "X-aws-ec2-metadata-token"
TTL_HEADER = "X-aws-ec2-metadata-token-ttl-seconds"
Leaf = str | Callable[[], dict | None]


def _iso(value) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(value)


class RoleCredentials:
    """A role's temporary credentials from the emulator's STS, cached until shortly before
    they expire (the SDKs refresh 5 to 15 minutes ahead; we hand out fresh ones by then)."""

    def __init__(self, sts, role_arn: str, session_name: str, duration: int = 3600) -> None:
        self._sts, self.role_arn, self._session = sts, role_arn, session_name
        self._duration = duration
        self._cached: dict | None = None
        self._renew_at = 0.0
        self._lock = threading.Lock()

    def __call__(self) -> dict:
        with self._lock:
            if self._cached is None or time.time() >= self._renew_at:
                try:
                    creds = self._sts.assume_role(
                        RoleArn=self.role_arn,
                        RoleSessionName=self._session,
                        DurationSeconds=self._duration,
                    )["Credentials"]
                except Exception as exc:
                    if not isinstance(getattr(exc, "code", None), str):
                        raise
                    # EC2 may not assume the role: EC2's IMDS answers a code, no keys
                    return {
                        "Code": exc.code,
                        "Message": str(exc),
                        "LastUpdated": _iso(datetime.now(UTC)),
                    }
                self._renew_at = time.time() + self._duration - 20 * 60
                self._cached = {
                    "Code": "Success",
                    "LastUpdated": _iso(datetime.now(UTC)),
                    "Type": "AWS-HMAC",
                    "AccessKeyId": creds["AccessKeyId"],
                    "SecretAccessKey": creds["SecretAccessKey"],
                    "Token": creds["SessionToken"],
                    "Expiration": _iso(creds["Expiration"]),
                }
            return dict(self._cached)


class Lazy:
    """A subtree resolved each time it is asked for (``None``: not there). The IAM part is
    one: on EC2 it follows the profile associated *now* (AssociateIamInstanceProfile after
    launch makes credentials appear), and moto's RunInstances shows the instance before it
    associates the profile, so a tree fixed at boot could miss the role for good."""

    def __init__(self, resolve: Callable[[], dict | None]) -> None:
        self.resolve = resolve


def _resolved(node):
    return node.resolve() if isinstance(node, Lazy) else node


def iam_tree(profile: dict, credentials: Callable[[], dict]) -> dict:
    """``/meta-data/iam/`` for an instance profile (with its role) and the role's credentials."""
    return {
        "info": lambda: {
            "Code": "Success",
            "LastUpdated": _iso(datetime.now(UTC)),
            "InstanceProfileArn": profile["Arn"],
            "InstanceProfileId": profile["InstanceProfileId"],
        },
        "security-credentials": {profile["Roles"][0]["RoleName"]: credentials},
    }


def metadata_tree(instance: dict, region: str, iam: dict | Lazy | None = None) -> dict:
    """``/latest/meta-data`` for an instance as DescribeInstances shows it.

    ``iam``: the ``iam/`` part (:func:`iam_tree`), or a :class:`Lazy` resolving it when
    asked; none for an instance without a profile.
    """
    zone = instance.get("Placement", {}).get("AvailabilityZone", f"{region}a")
    tree: dict = {
        "ami-id": instance.get("ImageId", ""),
        "instance-id": instance["InstanceId"],
        "instance-type": instance.get("InstanceType", ""),
        "local-hostname": instance.get("PrivateDnsName", ""),
        "hostname": instance.get("PrivateDnsName", ""),
        "local-ipv4": instance.get("PrivateIpAddress", ""),
        "placement": {"availability-zone": zone, "region": region},
        "services": {"domain": "amazonaws.com", "partition": "aws"},
    }
    if instance.get("PublicIpAddress"):
        tree["public-ipv4"] = instance["PublicIpAddress"]
    if iam is not None:
        tree["iam"] = iam
    return tree


def identity_document(instance: dict, region: str, account: str) -> dict:
    return {
        "accountId": account,
        "architecture": "x86_64",
        "availabilityZone": instance.get("Placement", {}).get("AvailabilityZone", ""),
        "imageId": instance.get("ImageId", ""),
        "instanceId": instance["InstanceId"],
        "instanceType": instance.get("InstanceType", ""),
        "pendingTime": _iso(instance.get("LaunchTime", "")),
        "privateIp": instance.get("PrivateIpAddress", ""),
        "region": region,
        "version": "2017-09-30",
    }


class MetadataService:
    """IMDSv2 for one instance on ``host:port`` (port 0: a free one): on the host's
    loopback, or inside network namespace ``netns`` (the instance's VPC, at its subnet's
    router address, where no security group applies: as 169.254.169.254 on EC2)."""

    def __init__(
        self,
        tree: dict,
        *,
        identity: dict | None = None,
        user_data: bytes | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        netns: str | None = None,
    ) -> None:
        if netns is None and not ipaddress.ip_address(host).is_loopback:
            raise ValueError(f"on the host the metadata service listens on loopback, not {host}")
        self.tree, self.identity, self.user_data = tree, identity or {}, user_data
        self._tokens: dict[str, float] = {}
        self._lock = threading.Lock()
        if netns is None:
            self._server = ThreadingHTTPServer((host, port), _Handler)
        else:
            from harness.network.netns import in_netns

            self._server = in_netns(netns, ThreadingHTTPServer, (host, port), _Handler)
        self._server.daemon_threads = True
        self._server.service = self  # type: ignore[attr-defined]
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://{self._server.server_address[0]}:{self.port}/"

    def start(self) -> MetadataService:
        self._thread = threading.Thread(
            target=self._server.serve_forever, name=f"imds-{self.port}", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._server.server_close()

    # tokens -----------------------------------------------------------------
    def new_token(self, ttl: int) -> str:
        token = secrets.token_urlsafe(32)
        now = time.monotonic()
        with self._lock:
            self._tokens = {t: exp for t, exp in self._tokens.items() if exp > now}
            self._tokens[token] = now + ttl
        return token

    def token_valid(self, token: str | None) -> bool:
        with self._lock:
            return bool(token) and self._tokens.get(token, 0) > time.monotonic()

    # answers ----------------------------------------------------------------
    def lookup(self, path: str) -> tuple[int, str, bytes]:
        """(status, content type, body) for a GET of ``path``."""
        parts = [p for p in path.split("/") if p]
        if parts == ["latest"]:
            return _text(200, "dynamic\nmeta-data\nuser-data")
        if parts[:2] == ["latest", "user-data"] and len(parts) == 2:
            if self.user_data is None:
                return _text(404, "Not Found")
            return 200, "application/octet-stream", self.user_data
        if parts[:2] == ["latest", "dynamic"]:
            tree: object = {"instance-identity": {"document": lambda: self.identity}}
        elif parts[:2] == ["latest", "meta-data"]:
            tree = self.tree
        else:
            return _text(404, "Not Found")
        for part in parts[2:]:
            tree = _resolved(tree)
            if not isinstance(tree, dict) or part not in tree:
                return _text(404, "Not Found")
            tree = tree[part]
        tree = _resolved(tree)
        if tree is None:
            return _text(404, "Not Found")
        if isinstance(tree, dict):
            listing = [
                f"{k}/" if isinstance(v, dict | Lazy) else k
                for k, v in tree.items()
                if not isinstance(v, Lazy) or v.resolve() is not None
            ]
            return _text(200, "\n".join(listing))
        if callable(tree):
            value = tree()
            if value is None:
                return _text(404, "Not Found")
            return 200, "text/plain", json.dumps(value, indent=2).encode()
        return _text(200, str(tree))


def _text(status: int, body: str) -> tuple[int, str, bytes]:
    return status, "text/plain", body.encode()


class _Handler(BaseHTTPRequestHandler):
    server_version = "EC2ws"
    sys_version = ""

    @property
    def service(self) -> MetadataService:
        return self.server.service  # type: ignore[attr-defined]

    def log_message(self, *args) -> None:  # quiet: the moto log is for API calls
        pass

    def _send(self, status: int, ctype: str, body: bytes, headers: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_PUT(self) -> None:
        if self.path.rstrip("/") != "/latest/api/token":
            return self._send(*_text(405, "Method Not Allowed"))
        if self.headers.get("X-Forwarded-For"):  # as on EC2: no tokens through proxies
            return self._send(*_text(403, "Forbidden"))
        try:
            ttl = int(self.headers.get(TTL_HEADER, ""))
        except ValueError:
            ttl = 0
        if not 1 <= ttl <= MAX_TOKEN_TTL:
            return self._send(*_text(400, "Bad Request"))
        token = self.service.new_token(ttl)
        self._send(200, "text/plain", token.encode(), {TTL_HEADER: str(ttl)})

    def do_GET(self) -> None:
        if not self.service.token_valid(self.headers.get(TOKEN_HEADER)):
            return self._send(*_text(401, "Unauthorized"))
        try:
            status, ctype, body = self.service.lookup(self.path.split("?", 1)[0])
        except Exception as exc:  # e.g. STS unreachable: the SDK retries on 5xx
            status, ctype, body = _text(500, f"Internal Server Error: {exc}")
        self._send(status, ctype, body)

    do_HEAD = do_GET
