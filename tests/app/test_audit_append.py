"""Appending to the audit chain: events join the chain when their transaction commits, in the
order recorded, and vanish with a rollback (of the whole transaction or of a savepoint)."""

from __future__ import annotations

import threading

from sqlalchemy import select

from core import audit
from core.audit import AuditEvent, AuditHead
from core.audit.chain import verify_chain
from core.db import db


def _trail() -> list[tuple[str, int | None]]:
    rows = db.session.execute(
        select(AuditEvent.action, AuditEvent.object_id).order_by(AuditEvent.id)
    )
    return [tuple(r) for r in rows]


def test_a_transaction_s_events_join_the_chain_in_order_when_it_commits(app):
    with app.app_context():
        audit.record("create", "incident", 1)
        audit.record("view", "incident", 2)
        audit.record("update", "incident", 3)
        db.session.commit()
        assert _trail() == [("create", 1), ("view", 2), ("update", 3)]
        head = db.session.get(AuditHead, 1)
        assert head.appended == 3
        last = db.session.execute(select(AuditEvent).order_by(AuditEvent.id.desc())).scalar()
        assert head.last_hash == last.hash
        assert verify_chain().ok


def test_every_field_of_a_few_or_many_events_is_kept_as_recorded(app):
    """A request's few events go in one statement, a batch job's many another way: both keep
    each event's fields (a list, a reason, an actor or none) and the chain's order."""
    with app.app_context():
        for count in (2, 12):
            for i in range(count):
                audit.record(
                    "export",
                    "incident",
                    i,
                    object_ids=[i, i + 1] if i % 2 else None,
                    reason=f"reden {i}" if i % 3 else None,
                    username="planner" if i % 2 else None,
                )
            db.session.commit()
        rows = db.session.execute(
            select(
                AuditEvent.object_id, AuditEvent.object_ids, AuditEvent.reason, AuditEvent.username
            ).order_by(AuditEvent.id)
        ).all()
        wanted = [
            (
                i,
                [i, i + 1] if i % 2 else None,
                f"reden {i}" if i % 3 else None,
                "planner" if i % 2 else None,
            )
            for count in (2, 12)
            for i in range(count)
        ]
        assert [tuple(r) for r in rows] == wanted
        assert db.session.get(AuditHead, 1).appended == 14
        assert verify_chain().ok


def test_a_rolled_back_transaction_leaves_no_event_and_the_chain_intact(app):
    with app.app_context():
        audit.record("create", "incident", 1)
        db.session.commit()
        audit.record("delete", "incident", 1)
        db.session.rollback()
        audit.record("view", "incident", 1)
        db.session.commit()
        assert _trail() == [("create", 1), ("view", 1)]
        assert db.session.get(AuditHead, 1).appended == 2
        assert verify_chain().ok


def test_a_savepoint_rolled_back_drops_only_its_own_events(app):
    with app.app_context():
        audit.record("create", "incident", 1)
        savepoint = db.session.begin_nested()
        audit.record("update", "incident", 2)
        savepoint.rollback()
        kept = db.session.begin_nested()
        audit.record("update", "incident", 3)
        kept.commit()
        db.session.commit()
        assert _trail() == [("create", 1), ("update", 3)]
        assert verify_chain().ok


def test_events_read_back_within_their_transaction_once_written(app):
    """A check that counts the trail (failed logins in a burst) sees its own event."""
    with app.app_context():
        audit.record("login_failed", "user", 9)
        audit.write_pending()
        assert _trail() == [("login_failed", 9)]
        audit.record("login_burst", "user", 9)
        db.session.commit()
        assert _trail() == [("login_failed", 9), ("login_burst", 9)]
        assert verify_chain().ok


def test_concurrent_transactions_append_one_linear_chain(app):
    with app.app_context():
        audit.record("login", "user", 0)
        db.session.commit()

    def work(n: int) -> None:
        with app.app_context():
            for i in range(5):
                audit.record("view", "incident", n * 100 + i)
                audit.record("view", "person", n * 100 + i)
                db.session.commit()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with app.app_context():
        trail = _trail()
        assert len(trail) == 1 + 4 * 5 * 2
        assert db.session.get(AuditHead, 1).appended == len(trail)
        verdict = verify_chain()
        assert verdict.ok and verdict.events == len(trail)
