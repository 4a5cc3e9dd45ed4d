"""Gunicorn settings for the file service: ``gunicorn -c app/gunicorn.conf.py 'app:create_app()'``.

Every value can be overridden by a GUNICORN_* variable or on the command line
(command-line flags win over this file).
"""

from __future__ import annotations

import multiprocessing
import os


def _int(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        return default


bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# Threads, not just processes: uploads and downloads are I/O bound and long, and the
# gthread worker keeps heart-beating while a request thread streams a 1 GiB file,
# so `timeout` does not kill slow transfers (it catches hung workers).
worker_class = "gthread"
workers = _int("GUNICORN_WORKERS", min(2 * multiprocessing.cpu_count() + 1, 4))
threads = _int("GUNICORN_THREADS", 4)
timeout = _int("GUNICORN_TIMEOUT", 60)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = 5
# Recycle workers now and then (bounded memory growth over weeks of uptime).
max_requests = _int("GUNICORN_MAX_REQUESTS", 2000)
max_requests_jitter = 200

# The app writes one JSON line per request itself (app/logs.py): no access log here,
# and gunicorn's own messages go to stderr as JSON too.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "app.logs.JsonFormatter"}},
    "handlers": {
        "stderr": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "stream": "ext://sys.stderr",
        }
    },
    "root": {"level": "INFO", "handlers": ["stderr"]},
    "loggers": {
        "gunicorn.error": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        "gunicorn.access": {"handlers": [], "level": "CRITICAL", "propagate": False},
    },
}

# Behind nothing by default; set FORWARDED_ALLOW_IPS when a load balancer is added.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

# No runtime control socket: nothing uses it, and several servers on one host
# (tests, benchmarks) would fight over its default path.
control_socket_disable = True
