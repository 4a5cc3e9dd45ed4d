"""Reaching the emulator's networks from this machine, as an internet client would.

The emulator process owns "the internet" of its VPCs (``harness/instances/networking.py``),
so it alone makes clients there. Two routes of its HTTP server, outside the AWS APIs and
answered before IAM (like moto's own ``/moto-api/``; the server listens on loopback only):

``GET /_filestore/network/connect?from=ADDRESS&host=HOST&port=PORT``
    ``{"port": N}``: a loopback port on this machine whose connections reach ``HOST:PORT``
    from an internet client at public ``ADDRESS`` (an operator inside ``operator_cidr``, a
    stranger outside it), through the internet gateway and the security groups. It lives
    as long as the emulator: ``make up`` prints such a URL for a person's browser.
``GET /_filestore/network/probe?from=ADDRESS|ENI&host=HOST&port=PORT[&timeout=SECONDS]``
    ``{"result": "open"|"timeout"|"refused"|"unreachable"}``: a TCP handshake from that
    client, or from the namespace of the instance or database holding ENI ``from``
    (bounded by ``timeout``, 2 s by default).

:func:`connect_url` and :func:`probe` are the callers' side (tests, the deployment, ``make
up``).
"""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import requests

PREFIX = "/_filestore/network/"


class NetworkAccessApp:
    """WSGI middleware: the two routes above, everything else to ``app``."""

    def __init__(self, app, networks) -> None:
        self.app, self.networks = app, networks

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if not path.startswith(PREFIX):
            return self.app(environ, start_response)
        query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        try:
            source, host, port = query["from"], query["host"], int(query["port"])
            if path == PREFIX + "connect":
                status, body = "200 OK", {"port": self.networks.connect(source, host, port)}
            elif path == PREFIX + "probe":
                timeout = float(query.get("timeout", 2.0))
                result = self.networks.probe(source, host, port, timeout=timeout)
                status, body = "200 OK", {"result": result}
            else:
                status, body = "404 Not Found", {"error": f"no route {path}"}
        except (KeyError, ValueError) as exc:
            status, body = "400 Bad Request", {"error": f"from, host and port are needed: {exc}"}
        except Exception as exc:  # a namespace error: named, to the caller
            status, body = "500 Internal Server Error", {"error": str(exc)}
        data = json.dumps(body).encode()
        start_response(status, [("Content-Type", "application/json")])
        return [data]


def _call(emulator_url: str, route: str, source: str, host: str, port: int, **extra) -> dict:
    response = requests.get(
        f"{emulator_url.rstrip('/')}{PREFIX}{route}",
        params={"from": source, "host": host, "port": port, **extra},
        timeout=30,
    )
    body = response.json()
    if response.status_code != 200:
        raise RuntimeError(f"emulator network {route} {source} -> {host}:{port}: {body['error']}")
    return body


def connect_url(emulator_url: str, source: str, url: str) -> str:
    """``url`` (http://PUBLIC-ADDRESS[:PORT]/...) as a loopback URL reaching it from
    internet client ``source``."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    local = _call(emulator_url, "connect", source, parts.hostname or "", port)["port"]
    return parts._replace(netloc=f"127.0.0.1:{local}").geturl()


def probe(emulator_url: str, source: str, host: str, port: int, timeout: float = 2.0) -> str:
    return _call(emulator_url, "probe", source, host, port, timeout=timeout)["result"]
