"""Error responses: JSON ``{"error": ...}`` under /api/, a readable page elsewhere."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError, ServiceUnavailable

log = logging.getLogger("filestore.app")


class DependencyUnavailable(ServiceUnavailable):
    """503 naming the dependency that failed ("s3" or "database")."""

    def __init__(self, dependency: str, description: str) -> None:
        super().__init__(description)
        self.dependency = dependency


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz"


def render_error(exc: HTTPException) -> Response:
    code = exc.code or 500
    description = exc.description or exc.name
    base = exc.get_response()  # keeps headers such as Allow (405)
    if wants_json():
        body: dict = {"error": description}
        dependency = getattr(exc, "dependency", None)
        if dependency:
            body["dependency"] = dependency
        response = jsonify(body)
    else:
        response = Response(
            render_template("error.html", code=code, name=exc.name, description=description),
            mimetype="text/html",
        )
    response.status_code = code
    for key in ("Allow", "Retry-After"):
        if key in base.headers:
            response.headers[key] = base.headers[key]
    if code == 503 and "Retry-After" not in response.headers:
        response.headers["Retry-After"] = "5"
    return response


def handle_http_exception(exc: HTTPException) -> Response:
    if isinstance(exc, DependencyUnavailable):
        log.warning("%s unavailable: %s", exc.dependency, exc.description)
    return render_error(exc)


def handle_unexpected(exc: Exception) -> Response:
    if isinstance(exc, HTTPException):  # pragma: no cover - routed to the handler above
        return render_error(exc)
    log.exception("unhandled error on %s %s", request.method, request.path)
    return render_error(InternalServerError("internal error; see the server log"))


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(Exception, handle_unexpected)
