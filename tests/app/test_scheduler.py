"""The scheduler runs in one process only, and says so in its heartbeat."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.pool import NullPool

from core import clock
from core.db import db
from core.jobs import LeaderLock, SchedulerHeartbeat, beat, heartbeat_age
from tests.conftest import require_service
from tools.servers import postgres_schema


def _lock_held_elsewhere(app, key: int) -> bool:
    """Whether any session holds the leader lock, seen from a fresh connection (no pool)."""
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"], poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return bool(
                conn.execute(
                    text(
                        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                        "AND classid = :high AND objid = :low AND granted AND database = "
                        "(SELECT oid FROM pg_database WHERE datname = current_database())"
                    ),
                    {"high": (key >> 32) & 0xFFFFFFFF, "low": key & 0xFFFFFFFF},
                ).scalar()
            )
    finally:
        engine.dispose()


def test_only_one_process_leads_until_it_lets_go(app, backend):
    first, second = LeaderLock(app), LeaderLock(app)
    assert first.try_acquire()
    try:
        assert not second.try_acquire()
        if backend == "postgresql":
            assert _lock_held_elsewhere(app, first.key)
    finally:
        first.release()
    if backend == "postgresql":
        # Released for real, not just back in the pool still holding the lock.
        assert not _lock_held_elsewhere(app, first.key)
    assert second.try_acquire()
    second.release()


def test_heartbeat_names_the_leader_and_ages(app):
    with app.app_context():
        assert heartbeat_age() is None
        started = clock.now()
        beat(app, started)
        beat(app, started)
        rows = db.session.scalars(select(SchedulerHeartbeat)).all()
        assert len(rows) == 1 and ":" in rows[0].holder
        assert heartbeat_age() < 2


def _pg_app(url: str):
    from tests.conftest import make_app

    app = make_app(url)
    with app.app_context():
        db.create_all()
    return app


@pytest.mark.postgres
def test_another_deployment_on_the_same_server_does_not_block_the_lead():
    """A scheduler of another schema on the same PostgreSQL server leads beside this one."""
    base = os.environ.get("TEST_DATABASE_URL", "")
    require_service(bool(base), "PostgreSQL tests need TEST_DATABASE_URL")
    with postgres_schema(base) as ours_url, postgres_schema(base) as theirs_url:
        ours_app, theirs_app = _pg_app(ours_url), _pg_app(theirs_url)
        theirs, ours = LeaderLock(theirs_app), LeaderLock(ours_app)
        assert theirs.try_acquire()
        try:
            assert ours.try_acquire(), "the other deployment's leader blocked this one"
            assert ours.key != theirs.key
            assert not LeaderLock(ours_app).try_acquire()  # still one leader per deployment
            ours.release()
            # Pinned to the same key, the two schemas share one leader.
            ours_app.config["SCHEDULER_LOCK_KEY"] = theirs.key
            pinned = LeaderLock(ours_app)
            assert not pinned.try_acquire() and pinned.key == theirs.key
            assert _lock_held_elsewhere(ours_app, theirs.key)
        finally:
            theirs.release()
            for app in (ours_app, theirs_app):
                with app.app_context():
                    db.engine.dispose()
