"""JSON interface under /api."""

from __future__ import annotations

from flask import Blueprint, jsonify, request, url_for
from werkzeug.exceptions import BadRequest

from app import db
from app.errors import DependencyUnavailable
from app.uploads import receive_upload, send_upload, validated_name

bp = Blueprint("api", __name__, url_prefix="/api")

MAX_LIST = 1000


def file_json(upload: db.Upload) -> dict:
    data = upload.to_json()
    params = {"version_id": upload.s3_version_id} if upload.s3_version_id else {}
    data["url"] = url_for("api.get_file", filename=upload.filename, **params)
    return data


@bp.get("/files")
def list_files():
    """Uploads, newest first. ``?limit=`` (default 100, max 1000), ``?filename=``."""
    raw_limit = request.args.get("limit", "100")
    if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= MAX_LIST:
        raise BadRequest(f"limit must be an integer between 1 and {MAX_LIST}")
    limit = int(raw_limit)
    name = request.args.get("filename")
    name = validated_name(name) if name is not None else None
    try:
        rows = db.recent_uploads(limit=limit, filename=name)
    except db.DatabaseUnavailable as exc:
        raise DependencyUnavailable("database", f"database unavailable: {exc}") from exc
    return jsonify([file_json(r) for r in rows])


@bp.post("/files")
def create_file():
    upload = receive_upload()
    response = jsonify(file_json(upload))
    response.status_code = 201
    response.headers["Location"] = file_json(upload)["url"]
    return response


@bp.get("/files/<path:filename>")
def get_file(filename: str):
    return send_upload(filename, request.args.get("version_id"))
