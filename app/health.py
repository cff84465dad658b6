"""`/healthz`: is the service and its database answering? No login, no data."""

from __future__ import annotations

from flask import Blueprint, jsonify
from sqlalchemy import text

from app.db import db
from app.security import PUBLIC, protect

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@protect(PUBLIC)
def healthz():
    """200 when the database answers, else 503."""
    try:
        db.session.execute(text("SELECT 1"))
        database = "ok"
    except Exception:  # noqa: BLE001 - any failure means the database is not usable
        db.session.rollback()
        database = "error"
    status = 200 if database == "ok" else 503
    body = {"status": "ok" if status == 200 else "error", "database": database}
    return jsonify(body), status
