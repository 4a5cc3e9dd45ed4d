"""Structured logs: one JSON object per line on stdout.

``RequestLogMiddleware`` wraps the WSGI app and writes one ``"request"`` line per
request *after the body has been sent*, so ``duration_ms`` and ``bytes`` include
streamed downloads. It also assigns the request id (from a sane ``X-Request-ID``
header or a new one) and echoes it back in the response.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime

REQUEST_ID_ENV = "filestore.request_id"
_REQUEST_ID_OK = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_RESERVED = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}

access_log = logging.getLogger("filestore.access")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _RESERVED and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class StdoutHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stdout`` is at the time (works with pytest's capture)."""

    def __init__(self) -> None:
        super().__init__(sys.stdout)

    @property
    def stream(self):  # type: ignore[override]
        return sys.stdout

    @stream.setter
    def stream(self, _value) -> None:
        pass


def configure_logging(level: int = logging.INFO) -> None:
    """Send the ``filestore`` loggers to stdout as JSON (once per process)."""
    root = logging.getLogger("filestore")
    if any(getattr(h, "_filestore", False) for h in root.handlers):
        return
    handler = StdoutHandler()
    handler.setFormatter(JsonFormatter())
    handler._filestore = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    root.propagate = False


def _request_id(environ: dict) -> str:
    given = environ.get("HTTP_X_REQUEST_ID", "")
    return given if _REQUEST_ID_OK.match(given) else uuid.uuid4().hex


class RequestLogMiddleware:
    def __init__(self, wsgi_app) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        started = time.perf_counter()
        request_id = environ[REQUEST_ID_ENV] = _request_id(environ)
        state: dict = {"status": None}

        def _start_response(status, headers, exc_info=None):
            state["status"] = int(status.split(" ", 1)[0])
            headers = [(k, v) for k, v in headers if k.lower() != "x-request-id"]
            headers.append(("X-Request-ID", request_id))
            return start_response(status, headers, exc_info)

        try:
            app_iter = self.wsgi_app(environ, _start_response)
        except BaseException:
            _log_request(environ, request_id, 500, 0, started)
            raise
        return _LoggedBody(app_iter, environ, request_id, state, started)


class _LoggedBody:
    def __init__(self, app_iter, environ, request_id, state, started) -> None:
        self._app_iter = app_iter
        self._environ = environ
        self._request_id = request_id
        self._state = state
        self._started = started
        self._sent = 0
        self._logged = False

    def __iter__(self):
        for chunk in self._app_iter:
            self._sent += len(chunk)
            yield chunk

    def close(self) -> None:
        try:
            close = getattr(self._app_iter, "close", None)
            if close is not None:
                close()
        finally:
            if not self._logged:
                self._logged = True
                _log_request(
                    self._environ,
                    self._request_id,
                    self._state["status"] or 500,
                    self._sent,
                    self._started,
                )


def _log_request(environ, request_id, status, sent, started) -> None:
    path = environ.get("PATH_INFO", "")
    # WSGI hands PATH_INFO over as latin-1-decoded bytes; show it as UTF-8 when it is
    with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
        path = path.encode("latin-1").decode("utf-8")
    fields = {
        "method": environ.get("REQUEST_METHOD", ""),
        "path": path,
        "status": status,
        "duration_ms": round((time.perf_counter() - started) * 1000, 2),
        "bytes": sent,
        "bytes_in": int(environ.get("CONTENT_LENGTH") or 0),
        "request_id": request_id,
        "remote_addr": environ.get("REMOTE_ADDR", ""),
    }
    level = logging.ERROR if status >= 500 else logging.INFO
    access_log.log(level, "request", extra=fields)
