"""moto's server, with the corrections the stack's provider needs to talk to it.

Every correction lives in :mod:`harness.emulator.corrections`, grouped by service: patches of
moto's own methods, and two WSGI middlewares in front of moto's app (CloudWatch's Smithy RPC
v2 CBOR; S3's tags on CreateBucket).

Everything else is moto's own behaviour. All are tested in tests/component/harness/test_emulator.py.
Every error answer also gets a log line naming its operation (:mod:`harness.emulator.errorlog`).

``--instances IMAGE`` also runs the EC2 data plane in this process (harness/instances/dataplane.py):
instances boot as containers of that image, and it stops with the server.

    python -m harness.emulator.server -H 127.0.0.1 -p 5000 [--instances IMAGE]
"""

from __future__ import annotations

import argparse
import signal
import sys

from harness.emulator.corrections import apply_patches, wrap
from harness.emulator.errorlog import ErrorLog
from harness.emulator.iam import IamGuard
from harness.emulator.iam import install as install_iam
from harness.log import configure as configure_logging

# ------------------------------------------------------------------------- server


def main(argv: list[str] | None = None) -> None:
    configure_logging()
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, default=5000)
    parser.add_argument("--instances", metavar="IMAGE", help="boot EC2 instances (dataplane.py)")
    args = parser.parse_args(argv)

    import os

    os.environ.setdefault("MOTO_PORT", str(args.port))
    apply_patches()
    install_iam()  # IAM enforced, always (harness/emulator/iam): no switch turns it off
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import run_simple

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    app, plane = wrap(DomainDispatcherApplication(create_backend_app)), None
    app = IamGuard(ErrorLog(app))  # a log line naming the operation and code of every error answer
    if args.instances:  # EC2 instances boot as containers (harness/instances/dataplane.py)
        from harness.instances.dataplane import attach_data_plane

        url = f"http://{args.host}:{args.port}"
        app, plane = attach_data_plane(app, url, args.instances)
    try:
        run_simple(args.host, args.port, app, threaded=True, request_handler=MotoRequestHandler)
    finally:
        if plane is not None:
            plane.stop()  # on SIGTERM and Ctrl-C too: no container outlives the emulator


if __name__ == "__main__":
    main(sys.argv[1:])
