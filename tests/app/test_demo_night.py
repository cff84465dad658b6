"""`demo night` plays exercises, `demo night --clean` removes them (and only them)."""

from __future__ import annotations

import io

import pytest
import requests
from sqlalchemy import func, insert, select, update

from accounts import service as accounts
from accounts.actor import Actor
from accounts.models import User
from core.audit.chain import verify_chain
from core.db import db
from core.progress import progress
from dispatch.flows import assign_unit
from dispatch.models import Unit, UnitStatus
from handover.models import HandoverNote, HandoverPacket, packet_note
from tools.demo import seed_organisations, seed_units, seed_users
from tools.flask_adapter import FlaskAdapter
from tools.simulator.clean import _conditions, dependants
from tools.simulator.driver import NightDriver, Options
from tools.simulator.local import TOKEN_NAME, issue_credentials
from tools.simulator.plan import plan_night
from triage.models import Incident, Person, PersonRecord, TimelineEvent


def play(app, calls: int, played=lambda n: None) -> None:
    """Seed the demo data and play `calls` planned calls (each with a handover note)."""
    with app.app_context():
        seed_organisations(), seed_users(), seed_units()
        db.session.commit()
        credentials, _ = issue_credentials(app)
    plan = [c for c in plan_night(11, 30) if c.note is not None][:calls]

    def session() -> requests.Session:
        s = requests.Session()
        s.mount("http://sim.test", FlaskAdapter(app))
        return s

    options = Options(speed=0, concurrency=1, sms_wait_s=0)
    driver = NightDriver(["http://sim.test"], credentials, options, lambda _: None, session, played)
    stats = driver.run(plan)
    assert stats.counts["completed"] == calls and stats.errors == [], stats.errors


def rows_of(incident_ids: list[int]) -> dict[str, int]:
    """Per table, how many rows hang off these incidents (the incidents included)."""
    where = _conditions(incident_ids)
    tables = [(table.name, table) for table, _ in dependants()]
    tables.append(("incident", Incident.__table__))
    return {
        name: db.session.execute(select(func.count()).select_from(t).where(where[name])).scalar()
        for name, t in tables
    }


def test_every_call_of_a_simulated_night_is_an_exercise(app):
    seen = io.StringIO()

    with progress("demo night: calls played", 2, every=1, stream=seen) as step:
        play(app, 2, step)

    with app.app_context():
        flags = db.session.execute(select(Incident.exercise)).scalars().all()
    assert flags == [True, True]
    assert seen.getvalue().splitlines()[-1] == "demo night: calls played: 2/2"


def test_clean_removes_the_exercises_with_their_rows_and_leaves_a_real_incident(app, runner):
    play(app, 3)
    with app.app_context():
        real, *drills = db.session.execute(select(Incident.id).order_by(Incident.id)).scalars()
        db.session.execute(update(Incident).where(Incident.id == real).values(exercise=False))
        link_persons_and_packet(real, drills)
        db.session.commit()
        before = rows_of([real])
        gone = rows_of(drills)
    assert gone["person"] and gone["assessment"] and gone["assignment"] and gone["message"]
    assert gone["handover_note"] and gone["status_event"] and gone["handover_packet_note"]

    result = runner.invoke(args=["demo", "night", "--clean", "--yes"])

    assert result.exit_code == 0, result.output
    assert "removed 2 exercise incidents" in result.output
    assert f"  assessment: {gone['assessment']}" in result.output
    with app.app_context():
        assert set(rows_of(drills).values()) == {0}
        assert rows_of([real]) == before
        records = db.session.execute(select(PersonRecord.id)).scalars().all()
        assert len(records) == 1  # the record shared with the real person stays
        packet = db.session.execute(select(HandoverPacket)).unique().scalar_one()
        assert [n.incident_id for n in packet.notes] == [real]
        assert verify_chain().ok  # the audit chain was added to, never cut
    again = runner.invoke(args=["demo", "night", "--clean", "--yes"])
    assert "nothing to remove" in again.output


def link_persons_and_packet(real: int, drills: list[int]) -> None:
    """A person record shared by a real and an exercise person, one only exercise persons are
    in, and a packet holding a real and an exercise note."""
    victims = {
        iid: db.session.execute(
            select(Person).where(Person.incident_id == iid).order_by(Person.id)
        ).scalars()
        for iid in [real, *drills]
    }
    first = {iid: next(iter(rows)) for iid, rows in victims.items()}
    shared, drill_only = PersonRecord(), PersonRecord()
    db.session.add_all([shared, drill_only])
    db.session.flush()
    first[real].record_id = first[drills[0]].record_id = shared.id
    first[drills[1]].record_id = drill_only.id
    note_ids = {
        iid: db.session.execute(
            select(HandoverNote.id).where(HandoverNote.incident_id == iid)
        ).scalar_one()
        for iid in (real, drills[0])
    }
    org = db.session.execute(select(User)).scalars().first().organisation_id
    packet = db.session.execute(
        insert(HandoverPacket).values(
            organisation_id=org,
            handover_date=func.current_date(),
            window_start=func.current_timestamp(),
            window_end=func.current_timestamp(),
        )
    ).inserted_primary_key[0]
    for note in note_ids.values():
        db.session.execute(insert(packet_note).values(packet_id=packet, note_id=note))


def demo_token(username: str = "dispatcher") -> int:
    """A token of the kind a demo night issues (its exercises are the ones --clean removes)."""
    user = db.session.execute(select(User).where(User.username == username)).scalar_one()
    token, _ = accounts.create_token(user, TOKEN_NAME, [], expires_days=1)
    db.session.flush()
    return token.id


def test_clean_frees_a_unit_left_on_an_exercise_by_an_interrupted_night(app, runner):
    with app.app_context():
        seed_organisations(), seed_users(), seed_units()
        user = db.session.execute(select(User).where(User.username == "dispatcher")).scalar_one()
        incident = Incident(
            reference="NW-2031-000001", exercise=True, flags=[], created_by_token_id=demo_token()
        )
        db.session.add(incident)
        db.session.flush()
        unit = db.session.execute(select(Unit).where(Unit.call_sign == "NT-11")).scalar_one()
        assign_unit(incident, unit, Actor(user, None, "console"))
        db.session.commit()

    result = runner.invoke(args=["demo", "night", "--clean", "--yes"])

    assert result.exit_code == 0, result.output
    assert "1 units still on an exercise made available" in result.output
    with app.app_context():
        unit = db.session.execute(select(Unit).where(Unit.call_sign == "NT-11")).scalar_one()
        assert unit.status == UnitStatus.AVAILABLE
        line = db.session.execute(
            select(TimelineEvent).where(TimelineEvent.unit_id == unit.id)
        ).scalar_one()
        assert (line.to_state, line.actor_label) == ("available", "demo night --clean")


@pytest.mark.parametrize(
    ("env", "answer", "refused"),
    [("production", None, "refusing to remove exercise data in production"), ("dev", "n\n", "")],
)
def test_clean_is_refused_in_production_and_asks_first(
    app, runner, monkeypatch, env, answer, refused
):
    if env == "production":
        monkeypatch.setattr(app.config["CONFIG"], "ENV_NAME", "production")
    with app.app_context():
        seed_organisations(), seed_users()
        token = demo_token()
        db.session.add(
            Incident(reference="NW-2031-000002", exercise=True, flags=[], created_by_token_id=token)
        )
        db.session.commit()

    result = runner.invoke(args=["demo", "night", "--clean"], input=answer)

    assert result.exit_code != 0
    assert refused in result.output
    if answer:
        assert "remove 1 exercise incidents" in result.output
    with app.app_context():
        assert db.session.execute(select(func.count(Incident.id))).scalar_one() == 1


def test_clean_keeps_an_exercise_taken_by_hand_and_one_under_legal_hold(app, runner):
    """Only a demo night's own exercises go: the flag cannot be corrected after intake, so a
    real call wrongly marked as an exercise, or one a court froze, must never vanish."""
    with app.app_context():
        seed_organisations(), seed_users()
        token = demo_token()
        db.session.add_all(
            [
                Incident(reference="NW-2031-000003", exercise=True, flags=[]),
                Incident(
                    reference="NW-2031-000004",
                    exercise=True,
                    flags=[],
                    legal_hold=True,
                    created_by_token_id=token,
                ),
                Incident(
                    reference="NW-2031-000005", exercise=True, flags=[], created_by_token_id=token
                ),
            ]
        )
        db.session.commit()

    result = runner.invoke(args=["demo", "night", "--clean", "--yes"])

    assert result.exit_code == 0, result.output
    assert "removed 1 exercise incidents" in result.output
    with app.app_context():
        left = db.session.execute(select(Incident.reference).order_by(Incident.id)).scalars()
        assert list(left) == ["NW-2031-000003", "NW-2031-000004"]
