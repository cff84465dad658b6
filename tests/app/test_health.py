"""`/healthz`: database, Redis and scheduler, as an operator or a load balancer reads it."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from sqlalchemy import text

from core import clock as core_clock
from core.db import db
from core.jobs import SchedulerHeartbeat, beat
from tests.conftest import make_app, require_service


def test_healthz_without_login_reports_each_part(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    # The test app runs no scheduler and has no Redis: up, but degraded.
    assert response.get_json() == {
        "status": "degraded",
        "database": "ok",
        "redis": "off",
        "scheduler": None,
    }


def test_healthz_ok_while_a_scheduler_beats(app, client):
    with app.app_context():
        beat(app, core_clock.now())
    body = client.get("/healthz").get_json()
    assert body["status"] == "ok"
    assert 0 <= body["scheduler"] < 2


def test_healthz_degraded_when_the_scheduler_stopped_beating(app, client):
    with app.app_context():
        beat(app, core_clock.now())
        row = db.session.get(SchedulerHeartbeat, 1)
        row.beat_at = core_clock.now() - dt.timedelta(seconds=app.config["SCHEDULER_LEASE_S"] + 5)
        db.session.commit()
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "degraded"
    assert body["scheduler"] > app.config["SCHEDULER_LEASE_S"]


def test_healthz_degraded_but_200_when_redis_is_down(tmp_path):
    app = make_app(f"sqlite:///{tmp_path}/h.db", REDIS_URL="redis://127.0.0.1:1/0")
    with app.app_context():
        db.create_all()
        beat(app, core_clock.now())
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["redis"] == "error"
    assert response.get_json()["status"] == "degraded"


@pytest.mark.redis
def test_healthz_redis_ok_when_it_answers(tmp_path):
    url = os.environ.get("TEST_REDIS_URL")
    require_service(bool(url), "TEST_REDIS_URL is not set")
    app = make_app(f"sqlite:///{tmp_path}/h.db", REDIS_URL=url)
    with app.app_context():
        db.create_all()
        beat(app, core_clock.now())
    body = app.test_client().get("/healthz").get_json()
    assert body == {"status": "ok", "database": "ok", "redis": "ok", "scheduler": body["scheduler"]}


def test_healthz_503_when_the_database_is_unreachable(tmp_path):
    app = make_app(f"sqlite:///{tmp_path}/missing-dir/x.db")
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "database": "error"}


def test_healthz_503_when_postgres_is_down():
    app = make_app("postgresql+psycopg://postgres@127.0.0.1:1/none?connect_timeout=1")
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "error"


def test_healthz_still_serves_before_the_heartbeat_table_exists(tmp_path):
    # New code deployed before `db upgrade`: the database answers, the scheduler is unknown.
    app = make_app(f"sqlite:///{tmp_path}/h.db")
    with app.app_context():
        db.create_all()
        db.session.execute(text("DROP TABLE scheduler_heartbeat"))
        db.session.commit()
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["scheduler"] == "unknown"
    assert response.get_json()["status"] == "degraded"
