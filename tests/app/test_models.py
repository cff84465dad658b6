"""Every model round-trips on SQLite and PostgreSQL; timestamps stay UTC-aware; case data is
encrypted."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, text

from accounts.models import Organisation, User
from core import audit
from core.db import db
from dispatch.models import Assignment, Message, MessageDirection, Unit, UnitStatus
from handover.models import HandoverNote, HandoverPacket
from tests.conftest import make_user
from triage.models import Assessment, Incident, Person, TimelineEvent


def _build(app):
    make_user(app, "an", "dispatcher")
    make_user(app, "lotte", "social_worker")
    with app.app_context():
        an = db.session.execute(select(User).where(User.username == "an")).scalar_one()
        caw = db.session.execute(
            select(Organisation).where(Organisation.slug == "caw-antwerpen")
        ).scalar_one()
        incident = Incident(
            reference="NW-2026-000001",
            address_text="Carnotstraat 12, 2060 Antwerpen",
            caller_phone="+32 470 12 34 56",
            narrative="Buren horen geroep",
            flags=["children_present"],
            lat=51.2213,
            lon=4.4200,
            created_by_id=an.id,
        )
        incident.persons.append(Person(role="victim", name="Marie Janssens", age=34, language="nl"))
        unit = Unit(
            call_sign="NT-11",
            phone="+32470000011",
            skills=["female_officer"],
            languages=["nl", "fr"],
            status=UnitStatus.AVAILABLE,
            shift_start=dt.time(22, 0),
            shift_end=dt.time(7, 0),
        )
        db.session.add_all([incident, unit])
        db.session.flush()
        db.session.add_all(
            [
                Assessment(
                    incident_id=incident.id,
                    instrument_id="dash",
                    instrument_version="1.0",
                    answers={"current_injury": "yes"},
                    score=1,
                    level="standard",
                    computed_level="standard",
                    priority="P4",
                    result={"reasons": ["1 of 24"]},
                ),
                Assignment(incident_id=incident.id, unit_id=unit.id, assigned_by_id=an.id),
                TimelineEvent(
                    incident_id=incident.id,
                    kind="incident.created",
                    source="console",
                    actor_id=an.id,
                    detail="created",
                ),
                Message(
                    direction=MessageDirection.OUTBOUND,
                    incident_id=incident.id,
                    unit_id=unit.id,
                    to_number=unit.phone,
                    body="NW-2026-000001 P2 Carnotstraat 12",
                ),
            ]
        )
        note = HandoverNote(
            incident_id=incident.id,
            author_id=an.id,
            content={"summary": "Crisis ontmijnd"},
            legal_basis="consent",
            consent="yes",
            organisations=[caw],
        )
        db.session.add(note)
        db.session.flush()
        db.session.add(
            HandoverPacket(
                organisation_id=caw.id,
                handover_date=dt.date(2026, 11, 25),
                window_start=dt.datetime(2026, 11, 24, 6, tzinfo=dt.UTC),
                window_end=dt.datetime(2026, 11, 25, 6, tzinfo=dt.UTC),
                notes=[note],
            )
        )
        audit.record("view", "incident", incident.id, username="an")
        db.session.commit()
        return incident.id


def test_whole_domain_round_trips(app):
    incident_id = _build(app)
    with app.app_context():
        incident = db.session.get(Incident, incident_id)
        assert incident.address_text == "Carnotstraat 12, 2060 Antwerpen"
        assert incident.persons[0].name == "Marie Janssens"
        assert (
            incident.received_at.tzinfo is not None
            and incident.received_at.utcoffset() == dt.timedelta(0)
        )
        assessment = db.session.execute(select(Assessment)).scalar_one()
        assert assessment.answers == {"current_injury": "yes"}
        unit = db.session.execute(select(Unit)).unique().scalar_one()
        assert (unit.shift_start, unit.shift_end) == (dt.time(22, 0), dt.time(7, 0))
        packet = db.session.execute(select(HandoverPacket)).unique().scalar_one()
        assert packet.notes[0].content == {"summary": "Crisis ontmijnd"}
        assert packet.organisation.slug == "caw-antwerpen"
        assert db.session.execute(select(Message)).scalar_one().body.startswith("NW-2026-000001")
        event = db.session.execute(
            select(audit.AuditEvent).where(audit.AuditEvent.action == "view")
        ).scalar_one()
        assert event.hash == audit.chain_hash(event.prev_hash, event.canonical())


def test_case_data_is_ciphertext_in_the_database(app):
    incident_id = _build(app)
    with app.app_context():
        row = db.session.execute(
            text("SELECT address_text, caller_phone, narrative FROM incident WHERE id = :id"),
            {"id": incident_id},
        ).one()
        name = db.session.execute(text("SELECT name FROM person")).scalar_one()
    for raw in (*row, name):
        assert raw.startswith("gAAAAA")  # Fernet token
    assert "Carnotstraat" not in "".join(row) and "Marie" not in name


def test_naive_datetimes_are_refused(app):
    with app.app_context():
        db.session.add(Incident(reference="NW-2026-000009", received_at=dt.datetime(2026, 1, 1)))
        with pytest.raises(Exception, match="naive"):
            db.session.flush()
        db.session.rollback()


def test_audit_chain_links_each_event_to_the_previous(app):
    with app.app_context():
        first = audit.record("login", "user", 1)
        second = audit.record("view", "incident", 7)
        db.session.commit()
        assert first.prev_hash == audit.GENESIS_HASH
        assert second.prev_hash == first.hash
