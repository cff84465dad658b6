"""The app the benchmarks serve: Nachtwacht plus one benchmark-only baseline endpoint.

`POST /bench/baseline` authenticates like every API call (bearer token, policy), INSERTs one
row into `bench_baseline` and commits: the floor a write request cannot go below in this
topology. The table is created by the benchmark in its throw-away schema (no migration). Only
`tools/topology.py` serves this module (`gunicorn bench.baseline_app:app`); `wsgi:app` never has
the route, so normal runs and the tests never see it.
"""

from __future__ import annotations

from flask import Blueprint, Flask, jsonify
from sqlalchemy import text

from app import create_app
from core.db import db
from core.policies import BOARD, protect

TABLE_DDL = (
    "CREATE TABLE IF NOT EXISTS bench_baseline "
    "(id BIGSERIAL PRIMARY KEY, created_at TIMESTAMPTZ NOT NULL DEFAULT now(), note TEXT)"
)
bp = Blueprint("bench_baseline", __name__)


@bp.post("/bench/baseline")
@protect(BOARD)
def baseline():
    """Insert one row and commit."""
    row_id = db.session.execute(
        text("INSERT INTO bench_baseline (note) VALUES (:note) RETURNING id"), {"note": "x"}
    ).scalar_one()
    db.session.commit()
    return jsonify(id=row_id), 201


def make_app() -> Flask:
    """The real app with the baseline route added."""
    application = create_app()
    application.register_blueprint(bp)
    return application


app = make_app()
