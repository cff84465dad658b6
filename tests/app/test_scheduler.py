"""The scheduler runs in one process only, and says so in its heartbeat."""

from __future__ import annotations

from app.db import db, utcnow
from app.scheduler import LeaderLock, SchedulerHeartbeat, beat, heartbeat_age


def test_only_one_process_leads_until_it_lets_go(app):
    first, second = LeaderLock(app), LeaderLock(app)
    assert first.try_acquire()
    try:
        assert not second.try_acquire()
    finally:
        first.release()
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
