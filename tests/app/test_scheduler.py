"""The scheduler runs in one process only, and says so in its heartbeat."""

from __future__ import annotations

from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from app.db import db, utcnow
from app.scheduler import LOCK_KEY, LeaderLock, SchedulerHeartbeat, beat, heartbeat_age


def _lock_held_elsewhere(app) -> bool:
    """Whether any session holds the leader lock, seen from a fresh connection (no pool)."""
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"], poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return bool(
                conn.execute(
                    text(
                        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                        "AND objid = :k AND granted"
                    ),
                    {"k": LOCK_KEY},
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
            assert _lock_held_elsewhere(app)
    finally:
        first.release()
    if backend == "postgresql":
        # Released for real, not just back in the pool still holding the lock.
        assert not _lock_held_elsewhere(app)
    assert second.try_acquire()
    second.release()


def test_heartbeat_names_the_leader_and_ages(app):
    with app.app_context():
        assert heartbeat_age() is None
        started = utcnow()
        beat(app, started)
        beat(app, started)
        rows = db.session.query(SchedulerHeartbeat).all()
        assert len(rows) == 1 and ":" in rows[0].holder
        assert heartbeat_age() < 2
