"""Factories for handover tests: partner organisations, people, incidents and notes at set times."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update

from accounts import service as accounts
from accounts.actor import Actor
from accounts.models import Organisation
from core.audit import AuditEvent
from core.db import db
from dispatch.models import Assignment, Unit, UnitMember
from handover import service
from handover.models import HandoverNote, HandoverPacket, packet_note
from handover.schemas import HandoverNoteCreate
from tests.conftest import bearer, ctx, make_org, make_token, make_user
from triage.models import Incident, TimelineSource

BXL = ZoneInfo("Europe/Brussels")
CAW, VH, SH = "caw-antwerpen", "veilig-huis-antwerpen", "slachtofferhulp-antwerpen"
PARTNERS = {CAW: "caw", VH: "veilig_huis", SH: "victim_support"}
LONG_AGO = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)

NOTE = {
    "summary": "Ruzie tussen partners; slachtoffer met kneuzingen, verdachte opgepakt.",
    "persons": [
        {"role": "victim", "name": "Marie Peeters", "age": 34},
        {"role": "suspect", "name": "Jan Peeters", "age": 37},
        {
            "role": "child",
            "name": "Lena",
            "age": 6,
            "remarks": "sliep, niets gezien volgens moeder",
        },
    ],
    "children": "Eén kind (6), bij de grootmoeder ondergebracht.",
    "actions": {"arrest": True, "house_ban_requested": True, "shelter": False, "medical": True},
    "consent": "yes",
    "legal_basis": "consent",
    "organisations": [CAW],
    "urgent": False,
    "follow_up": "Graag contact met het slachtoffer vandaag.",
}


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0, fold: int = 0):
    """A Brussels wall-clock time as an aware UTC datetime."""
    wall = dt.datetime(year, month, day, hour, minute, tzinfo=BXL, fold=fold)
    return wall.astimezone(dt.UTC)


def partners(app) -> dict[str, int]:
    """The three partner organisations, created long ago (so every catch-up date owes a packet)."""
    ids = {slug: make_org(app, slug, kind) for slug, kind in PARTNERS.items()}
    with ctx(app):
        db.session.execute(update(Organisation).values(created_at=LONG_AGO))
    return ids


def people(app) -> dict[str, dict[str, str]]:
    """Police users and one social worker per partner, each with token headers."""
    partners(app)
    accounts_ = {
        "an": ("dispatcher", None),
        "els": ("supervisor", None),
        "sarah": ("officer", None),
        "admin": ("admin", None),
        "sw-caw": ("social_worker", CAW),
        "sw-vh": ("social_worker", VH),
        "sw-sh": ("social_worker", SH),
    }
    for name, (role, org) in accounts_.items():
        make_user(app, name, role, org)
    return {name: bearer(make_token(app, name)) for name in accounts_}


def incident(app, received_at: dt.datetime | None = None, exercise: bool = False) -> int:
    """An incident stored directly (the intake API is tested elsewhere)."""
    with ctx(app):
        row = Incident(reference="TMP", narrative="Geroep gehoord.", exercise=exercise)
        if received_at:
            row.received_at = received_at
        db.session.add(row)
        db.session.flush()
        row.reference = f"NW-2026-{row.id:06d}"
        return row.id


def assign(app, incident_id: int, officer: str, call_sign: str = "NT-11") -> None:
    """Put the officer on a unit and assign that unit to the incident."""
    with ctx(app):
        unit = Unit(call_sign=call_sign, phone=f"+324700{len(call_sign)}{incident_id:05d}")
        db.session.add(unit)
        db.session.flush()
        db.session.add(UnitMember(unit_id=unit.id, user_id=accounts.user_by_name(officer).id))
        db.session.flush()  # on the unit before it is assigned: the crew is recorded then
        db.session.add(Assignment(incident_id=incident_id, unit_id=unit.id))


def write(app, incident_id: int, at: dt.datetime, author: str = "an", previous=None, **changes):
    """Write a note (or correct `previous`) at a controlled time; returns its id."""
    with ctx(app):
        body = HandoverNoteCreate.model_validate({**NOTE, **changes})
        actor = Actor(accounts.user_by_name(author), None, TimelineSource.CONSOLE)
        if previous is not None:
            note = service.correct_note(db.session.get(HandoverNote, previous), body, actor, at)
        else:
            note = service.write_note(db.session.get(Incident, incident_id), body, actor, at)
        return note.id


def packet_contents(app) -> dict[tuple[str, dt.date], list[int]]:
    """Every packet as {(organisation slug, date): [note ids]}."""
    with app.app_context():
        rows = db.session.execute(select(HandoverPacket)).scalars().all()
        out = {}
        for p in rows:
            ids = db.session.execute(
                select(packet_note.c.note_id).where(packet_note.c.packet_id == p.id)
            ).scalars()
            out[(p.organisation.slug, p.handover_date)] = sorted(ids)
        return out


def packet_id(app, slug: str, day: dt.date) -> int:
    """The id of an organisation's packet for a date."""
    with app.app_context():
        return db.session.execute(
            select(HandoverPacket.id)
            .join(Organisation, Organisation.id == HandoverPacket.organisation_id)
            .where(Organisation.slug == slug, HandoverPacket.handover_date == day)
        ).scalar_one()


def audits(app, action: str, object_type: str) -> list[AuditEvent]:
    """Audit events of one kind, oldest first."""
    with app.app_context():
        return list(
            db.session.execute(
                select(AuditEvent)
                .where(AuditEvent.action == action, AuditEvent.object_type == object_type)
                .order_by(AuditEvent.id)
            ).scalars()
        )


def packet_count(app) -> int:
    """How many packets exist."""
    with app.app_context():
        return db.session.execute(select(func.count()).select_from(HandoverPacket)).scalar_one()


def org_id(app, slug: str) -> int:
    """An organisation's id."""
    with app.app_context():
        return accounts.organisation_by_slug(slug).id
