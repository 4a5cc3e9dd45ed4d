"""HTML pages: home (upload form + recent uploads), upload confirmation, download."""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, render_template, request

from app import db
from app.uploads import receive_upload, send_upload

bp = Blueprint("web", __name__)
log = logging.getLogger("filestore.web")


@bp.get("/")
def index():
    recent = None
    try:
        recent = db.recent_uploads(limit=int(current_app.config["FILESTORE_RECENT_LIMIT"]))
    except db.DatabaseUnavailable as exc:
        log.warning("home page without the upload list: %s", exc)
    return render_template(
        "index.html",
        recent=recent,
        max_upload=int(current_app.config["FILESTORE_MAX_UPLOAD_BYTES"]),
    )


@bp.post("/upload")
def upload():
    stored = receive_upload()
    return render_template("uploaded.html", upload=stored)


@bp.get("/download/<path:filename>")
def download(filename: str):
    return send_upload(filename, request.args.get("version_id"))
