"""`retention run` over a backlog: bounded batches, each committed; an interrupted run leaves no
incident half done and a rerun ends where one uninterrupted run ends; progress lines; the audit
purge goes a batch at a time with a checkpoint each, so the chain verifies in between."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from app import retention
from core import audit
from core.audit import AuditCheckpoint, AuditEvent
from core.audit.chain import purge_before, verify_chain
from core.db import db
from dispatch import retention as dispatch_retention
from triage.models import Incident, IncidentStatus, Person, PersonRole


def _closed(app, clock, n: int, hold: int | None = None) -> list[int]:
    """n incidents closed now, each with a named victim and a narrative; the `hold`-th (from
    0) on legal hold."""
    with app.app_context():
        ids = []
        for number in range(n):
            incident = Incident(
                reference=f"NW-RET-{number:04d}",
                status=IncidentStatus.CLOSED,
                received_at=clock.now(),
                closed_at=clock.now(),
                narrative=f"verhaal {number}",
                caller_phone="+32470000000",
                legal_hold=number == hold,
            )
            db.session.add(incident)
            db.session.flush()
            db.session.add(Person(incident_id=incident.id, role=PersonRole.VICTIM, name="Marie"))
            ids.append(incident.id)
        db.session.commit()
        return ids


def _state(app) -> list[tuple]:
    """Per incident: anonymised?, its narrative, its victim's name; and the incidents the
    audit trail says were anonymised, in order."""
    with app.app_context():
        incidents = db.session.execute(select(Incident).order_by(Incident.id)).scalars()
        rows = [
            (
                i.id,
                i.anonymised_at is not None,
                i.narrative,
                db.session.execute(select(Person.name).where(Person.incident_id == i.id)).scalar(),
            )
            for i in incidents
        ]
        trail = db.session.execute(
            select(AuditEvent.object_id)
            .where(AuditEvent.action == "anonymise", AuditEvent.object_type == "incident")
            .order_by(AuditEvent.id)
        ).scalars()
        return [*rows, tuple(trail)]


def _later(clock) -> str:
    return (clock.now() + dt.timedelta(days=181)).date().isoformat()


def test_batches_are_bounded_and_progress_shows_each(app, clock, runner):
    ids = _closed(app, clock, 5)
    result = runner.invoke(args=["retention", "run", "--batch-size", "2", "--as-of", _later(clock)])
    assert result.exit_code == 0, result.output
    assert [line for line in result.output.splitlines() if line.startswith("retention run:")] == [
        "retention run: 2/5",
        "retention run: 4/5",
        "retention run: 5/5",
    ]
    assert "anonymised incidents: 5" in result.output
    assert _state(app)[-1] == tuple(ids)  # one audit event per incident, in order


def test_an_interrupted_run_keeps_whole_batches_and_a_rerun_finishes_it(app, clock, monkeypatch):
    ids = _closed(app, clock, 7, hold=3)
    as_of = clock.now() + dt.timedelta(days=181)
    real, calls = dispatch_retention.anonymise_incidents, []

    def interrupted(incident_ids, counts):  # Ctrl-C in the middle of the second batch
        calls.append(incident_ids)
        if len(calls) == 2:
            raise KeyboardInterrupt
        real(incident_ids, counts)

    monkeypatch.setattr(dispatch_retention, "anonymise_incidents", interrupted)
    with app.app_context(), pytest.raises(KeyboardInterrupt):
        retention.run_retention(as_of, batch=2)
    with app.app_context():
        db.session.rollback()  # what the process's end does to the open transaction
    halfway = _state(app)
    done = [row[0] for row in halfway[:-1] if row[1]]
    assert done == ids[:2] and halfway[-1] == tuple(ids[:2])  # the first batch, whole
    assert all(row[2] and row[3] == "Marie" for row in halfway[2:-1])  # the rest untouched
    with app.app_context():
        assert verify_chain().ok

    monkeypatch.setattr(dispatch_retention, "anonymise_incidents", real)
    with app.app_context():
        counts = retention.run_retention(as_of, batch=2)
    assert counts["incidents"] == 4  # the five left, less the one on hold
    final = _state(app)
    due = [i for n, i in enumerate(ids) if n != 3]
    assert [row[0] for row in final[:-1] if row[1]] == due
    assert all(row[2] is None and row[3] is None for row in final[:-1] if row[1])
    assert final[-1] == tuple(due)  # each incident once in the trail, as one run writes it
    with app.app_context():
        assert verify_chain().ok
        assert retention.run_retention(as_of, batch=2)["incidents"] == 0


def test_one_uninterrupted_run_ends_the_same(app, clock):
    ids = _closed(app, clock, 7, hold=3)
    with app.app_context():
        counts = retention.run_retention(clock.now() + dt.timedelta(days=181), batch=2)
    assert counts["incidents"] == 6 and counts["persons"] == 6
    assert _state(app)[-1] == tuple(i for n, i in enumerate(ids) if n != 3)


def _events(app, clock, n: int) -> None:
    with app.app_context():
        for number in range(n):
            clock.advance(seconds=1)
            audit.record("view", "incident", number + 1, username="an")
        db.session.commit()


def test_the_audit_purge_goes_a_batch_at_a_time_and_an_interrupted_one_verifies(app, clock):
    _events(app, clock, 7)
    cutoff = clock.now()  # the last event stays
    seen = []

    def stop_after_one(removed: int) -> None:
        db.session.commit()
        seen.append(removed)
        raise KeyboardInterrupt

    with app.app_context():
        with pytest.raises(KeyboardInterrupt):
            purge_before(cutoff, 4, stop_after_one)
        db.session.rollback()
        verdict = verify_chain()
        assert seen == [4] and verdict.ok and verdict.events == 3

        batches = []
        removed = purge_before(cutoff, 4, lambda n: (db.session.commit(), batches.append(n)))
        assert removed == 2 and batches == [2]
        checkpoints = db.session.execute(
            select(AuditCheckpoint.purged_total).order_by(AuditCheckpoint.id)
        ).scalars()
        assert list(checkpoints) == [4, 6]
        verdict = verify_chain()
        assert verdict.ok and verdict.events == 1
        assert purge_before(cutoff, 4) == 0


def test_the_daily_job_purges_old_audit_in_batches(app, clock, monkeypatch, capsys):
    _events(app, clock, 5)
    monkeypatch.setattr("core.audit.chain.PURGE_BATCH", 2)
    app.config["AUDIT_RETENTION_DAYS"] = 1
    clock.advance(days=2)
    with app.app_context():
        retention.daily_job(app)
        assert db.session.execute(select(AuditEvent.id)).first() is None
        assert verify_chain().ok
    assert "audit purge: 4" in capsys.readouterr().err
