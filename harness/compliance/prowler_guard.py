"""Run by Prowler's own Python (``.venv-prowler/bin/python prowler_guard.py ARGS...``):
Prowler's command line with every network call held to the loopback.

On the emulator Prowler must reach nothing but the emulator (``AWS_ENDPOINT_URL``, a
loopback address). Left alone it would not: ``prowler --version`` asks GitHub for the
latest tag, a few checks fetch AWS's published IP ranges or a repository's page, and a
service whose endpoint the variable does not cover would go to AWS. So before Prowler is
imported, name resolution answers only loopback names itself (``localhost`` and
``*.localhost``, such as S3 Control's ``{account}.localhost``, are 127.0.0.1; no query
reaches the machine's resolver), and a socket connects only to a loopback address or a
Unix socket. Anything else raises ``OSError`` in the caller, which Prowler logs as that
check's error, and is counted: ``prowler_guard: refused N connection(s): host, ...`` on
stderr at exit, which the harness fails on.

``PROWLER_GUARD=off`` (the nightly on AWS) runs Prowler without the guard.
Standard library only: Prowler's venv does not have the harness's packages.
"""

from __future__ import annotations

import atexit
import ipaddress
import os
import socket
import sys

REFUSED: list[str] = []


def _loopback_name(host: object) -> bool:
    if host is None:
        return True
    name = host.decode() if isinstance(host, bytes) else str(host)
    name = name.strip("[]").rstrip(".").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def _literal(host: object) -> bool:
    name = host.decode() if isinstance(host, bytes) else str(host)
    try:
        ipaddress.ip_address(name.strip("[]").split("%", 1)[0])
    except ValueError:
        return False
    return True


def _refuse(what: str) -> OSError:
    REFUSED.append(what)
    return OSError(f"prowler_guard: {what} is not a loopback address (the emulator's run)")


def install() -> None:
    real_getaddrinfo = socket.getaddrinfo
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def getaddrinfo(host, *args, **kwargs):
        if not _loopback_name(host):
            raise socket.gaierror(socket.EAI_NONAME, str(_refuse(str(host))))
        if host is not None and not _literal(host):
            host = "127.0.0.1"  # localhost, *.localhost: answered here, not by a resolver
        return real_getaddrinfo(host, *args, **kwargs)

    def allowed(sock: socket.socket, address) -> bool:
        if sock.family == getattr(socket, "AF_UNIX", None):
            return True
        return isinstance(address, tuple) and _loopback_name(address[0])

    def connect(self, address):
        if not allowed(self, address):
            raise _refuse(str(address[0] if isinstance(address, tuple) else address))
        return real_connect(self, address)

    def connect_ex(self, address):
        if not allowed(self, address):
            raise _refuse(str(address[0] if isinstance(address, tuple) else address))
        return real_connect_ex(self, address)

    socket.getaddrinfo = getaddrinfo
    socket.socket.connect = connect
    socket.socket.connect_ex = connect_ex
    socket.gethostbyname = lambda host: getaddrinfo(host, None, socket.AF_INET)[0][4][0]

    @atexit.register
    def _report() -> None:
        if REFUSED:
            hosts = ", ".join(sorted(set(REFUSED)))
            print(f"prowler_guard: refused {len(REFUSED)} connection(s): {hosts}", file=sys.stderr)


def main() -> int:
    if os.environ.get("PROWLER_GUARD", "on") != "off":
        install()
    # this file's folder holds harness/compliance/prowler.py, which would shadow the package
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != here]
    from prowler.__main__ import prowler

    sys.argv = ["prowler", *sys.argv[1:]]
    return prowler()


if __name__ == "__main__":
    sys.exit(main())
