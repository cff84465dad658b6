"""Work queued for the commit (`core.db.before_commit`): it runs once, inside the transaction as
it commits, so what it writes is committed with the rest; a rollback drops it with the work
that queued it, a savepoint's rollback only what was queued since the savepoint began."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from accounts.actor import Actor
from core.db import before_commit, db
from dispatch.models import Unit
from triage.models import TimelineSource

SYSTEM = Actor(None, None, TimelineSource.SYSTEM, name="test")


def _note(call_sign: str, ran: list[str]):
    def action() -> None:
        ran.append(call_sign)
        db.session.add(Unit(call_sign=call_sign, phone=f"+3247{len(call_sign):07d}{call_sign}"))

    return action


def _units() -> list[str]:
    return list(db.session.execute(select(Unit.call_sign).order_by(Unit.call_sign)).scalars())


def test_queued_work_runs_once_inside_the_commit(app):
    ran: list[str] = []
    with app.app_context():
        before_commit(_note("NT-1", ran))
        assert ran == []  # not before the commit
        db.session.commit()
        assert ran == ["NT-1"] and _units() == ["NT-1"]  # its write was committed with it
        db.session.commit()
        assert ran == ["NT-1"]  # once


def test_a_rollback_drops_the_queued_work_and_a_savepoint_only_its_own(app):
    ran: list[str] = []
    with app.app_context():
        before_commit(_note("NT-1", ran))
        db.session.rollback()
        db.session.commit()
        assert ran == [] and _units() == []
        before_commit(_note("NT-2", ran))
        savepoint = db.session.begin_nested()
        before_commit(_note("NT-3", ran))
        savepoint.rollback()
        db.session.commit()
        assert ran == ["NT-2"] and _units() == ["NT-2"]


def _stored_incident():
    """A committed incident to write timeline lines about."""
    from triage.models import Incident

    incident = Incident(reference="NW-2026-000001")
    db.session.add(incident)
    db.session.commit()
    return incident


def test_timeline_lines_are_written_at_the_commit_in_order_and_read_back_before_it(app, clock):
    """The timeline's lines of a request go in at its commit, in one INSERT; a read of the
    timeline in the same transaction sees them, a rollback takes them away."""
    from triage import service

    with app.app_context():
        incident = _stored_incident()
        service.add_timeline(incident.id, "incident.created", SYSTEM)
        clock.advance(seconds=5)
        service.add_timeline(incident.id, "unit.status", SYSTEM, from_state="a", to_state="b")
        assert [e.kind for e in service.timeline(incident.id)] == [
            "incident.created",
            "unit.status",
        ]
        service.add_timeline(incident.id, "incident.closed", SYSTEM, detail="klaar")
        db.session.commit()
        lines = service.timeline(incident.id)
        assert [(e.kind, e.detail) for e in lines] == [
            ("incident.created", None),
            ("unit.status", None),
            ("incident.closed", "klaar"),
        ]
        assert lines[1].occurred_at - lines[0].occurred_at == dt.timedelta(seconds=5)
        service.add_timeline(incident.id, "incident.reopened", SYSTEM)
        db.session.rollback()
        db.session.commit()
        assert len(service.timeline(incident.id)) == 3


def test_each_of_two_transactions_in_one_session_writes_its_own_lines(app):
    """A command (or any app context) that commits twice: the second transaction's lines are
    written by its own commit, not left behind by the first's."""
    from triage import service
    from triage.models import TimelineEvent

    with app.app_context():
        incident = _stored_incident()
        service.add_timeline(incident.id, "incident.created", SYSTEM)
        db.session.commit()
        service.add_timeline(incident.id, "incident.closed", SYSTEM)
        db.session.commit()
        db.session.remove()  # what a second transaction left unwritten would be lost here
        kinds = db.session.execute(select(TimelineEvent.kind).order_by(TimelineEvent.id))
        assert list(kinds.scalars()) == ["incident.created", "incident.closed"]


def test_a_commit_whose_queued_work_fails_writes_nothing(app):
    """The edge rolls back when the commit itself fails: the work is not committed later
    without its queued lines."""
    from core.db import in_transaction
    from triage import service
    from triage.models import Incident, TimelineEvent

    def fails() -> None:
        raise RuntimeError("the commit's work failed")

    def work() -> None:
        db.session.add(Incident(reference="NW-2026-000009"))
        db.session.flush()
        service.add_timeline(None, "incident.created", SYSTEM)
        before_commit(fails)

    with app.app_context():
        with pytest.raises(RuntimeError):
            in_transaction(work)
        db.session.commit()
        assert db.session.execute(select(Incident.id)).first() is None
        assert db.session.execute(select(TimelineEvent.id)).first() is None
