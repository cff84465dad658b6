"""`/healthz`: is the service answering, and are its parts? No login, no data.

200 while the database answers (503 when it does not). `status` is "degraded" when Redis is
configured but unreachable, or when no scheduler has beaten within `SCHEDULER_LEASE_S`.
"""

from __future__ import annotations

import redis
from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from core.db import db
from core.jobs import heartbeat_age
from core.policies import PUBLIC, protect

bp = Blueprint("health", __name__)


def redis_state() -> str:
    """`ok`, `error` (configured but not answering) or `off` (no REDIS_URL)."""
    url = current_app.config.get("REDIS_URL")
    if not url:
        return "off"
    client = current_app.extensions.get("nachtwacht.health_redis")
    if client is None:
        client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        current_app.extensions["nachtwacht.health_redis"] = client
    try:
        client.ping()
    except redis.RedisError:
        return "error"
    return "ok"


@bp.get("/healthz")
@protect(PUBLIC)
def healthz():
    """Database, Redis and scheduler state; 503 only when the database is down."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any failure means the database is not usable
        db.session.rollback()
        return jsonify({"status": "error", "database": "error"}), 503
    try:
        age = heartbeat_age()
        scheduler: float | str | None = None if age is None else round(age, 1)
    except Exception:  # noqa: BLE001 - e.g. code deployed before `db upgrade`: still serving
        db.session.rollback()
        age, scheduler = None, "unknown"
    redis_ = redis_state()
    alive = age is not None and age <= current_app.config["SCHEDULER_LEASE_S"]
    status = "ok" if alive and redis_ != "error" else "degraded"
    return jsonify({"status": status, "database": "ok", "redis": redis_, "scheduler": scheduler})
