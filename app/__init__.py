"""Filestore: a small Flask service that stores files in S3 and records each upload
in MySQL. ``gunicorn 'app:create_app()'`` serves it; ``flask --app app init-db``
creates the schema. Configuration: environment variables (app/README.md)."""

from __future__ import annotations

from flask import Flask, request

from app import config as config_mod
from app import db, errors, storage
from app.logs import RequestLogMiddleware, configure_logging

__all__ = ["create_app"]

_HTML_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


def create_app(test_config: dict | None = None) -> Flask:
    configure_logging()
    app = Flask(__name__)
    app.config.from_mapping(config_mod.from_environ())
    if test_config:
        app.config.from_mapping(test_config)
    config_mod.finalize(app.config)
    app.json.sort_keys = False
    # "/api/files//etc/passwd" must reach the name validator, not be redirected.
    app.url_map.merge_slashes = False

    storage.init_app(app)
    db.init_app(app)
    errors.init_app(app)

    from app.routes import api, health, web

    app.register_blueprint(web.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(health.bp)

    app.jinja_env.filters["filesize"] = _filesize

    @app.after_request
    def _security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if response.mimetype == "text/html":
            response.headers.setdefault("Content-Security-Policy", _HTML_CSP)
        return response

    @app.context_processor
    def _request_id():
        return {"request_id": request.environ.get("filestore.request_id", "")}

    app.wsgi_app = RequestLogMiddleware(app.wsgi_app)
    return app


def _filesize(num: int) -> str:
    size = float(num)
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{int(size)} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{num} bytes"  # pragma: no cover
