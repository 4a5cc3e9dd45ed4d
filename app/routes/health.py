"""GET /healthz: S3 (HeadBucket) and the database (SELECT 1)."""

from __future__ import annotations

from flask import Blueprint, jsonify

from app import db
from app.storage import StorageUnavailable, get_storage

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    checks: dict[str, str] = {}
    try:
        get_storage().check()
        checks["s3"] = "ok"
    except StorageUnavailable as exc:
        checks["s3"] = f"unavailable: {exc}"
    try:
        db.check()
        checks["database"] = "ok"
    except db.DatabaseUnavailable as exc:
        checks["database"] = f"unavailable: {exc}"
    failed = sorted(k for k, v in checks.items() if v != "ok")
    body = {"status": "ok" if not failed else "unavailable", "checks": checks}
    if failed:
        body["failed"] = failed
        body["error"] = "unavailable: " + ", ".join(failed)
    response = jsonify(body)
    response.status_code = 503 if failed else 200
    response.headers["Cache-Control"] = "no-store"
    return response
