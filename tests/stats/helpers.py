"""Factories for statistics tests: calls at chosen local times, units assigned at known offsets,
and the rows the other figures count (SMS, timeline lines, referrals, assessments, packets)."""

from __future__ import annotations

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

from sqlalchemy import select

from core.db import db
from dispatch.models import Assignment, AssignmentStatus, Message, MessageDirection
from handover.models import HandoverPacket
from tests.conftest import ctx
from tests.dispatch.helpers import make_unit
from triage.models import (
    Assessment,
    Incident,
    Priority,
    Referral,
    TimelineEvent,
    TimelineSource,
)

BRUSSELS = ZoneInfo("Europe/Brussels")
_numbers = itertools.count(1)


def brussels(day: dt.date, hour: int, minute: int = 0, fold: int = 0) -> dt.datetime:
    """A local wall-clock time on a date, as aware UTC (fold=1: the second 02:xx in October)."""
    local = dt.datetime.combine(day, dt.time(hour, minute, fold=fold), tzinfo=BRUSSELS)
    return local.astimezone(dt.UTC)


def call(
    app,
    at: dt.datetime,
    *assigned_after_s: float,
    priority: str = "P2",
    district: str | None = "Borgerhout",
    exercise: bool = False,
    flags: tuple[str, ...] = (),
) -> str:
    """An incident created at `at`, a unit assigned after each offset in seconds; its reference."""
    number = next(_numbers)
    unit_id = make_unit(app, call_sign=f"ST-{number}", phone=f"+3247{number:07d}")
    with ctx(app):
        incident = Incident(
            reference=f"ST-{number:05d}",
            created_at=at,
            received_at=at,
            priority=Priority(priority),
            district=district,
            exercise=exercise,
            flags=sorted(flags),
        )
        db.session.add(incident)
        db.session.flush()
        for offset in assigned_after_s:
            db.session.add(
                Assignment(
                    incident_id=incident.id,
                    unit_id=unit_id,
                    status=AssignmentStatus.CLEARED,
                    assigned_at=at + dt.timedelta(seconds=offset),
                )
            )
        return incident.reference


def last_sunday(year: int, month: int) -> dt.date:
    """The last Sunday of a month (the day of the DST change in the EU in March and October)."""
    day = (dt.date(year, month, 28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    return day - dt.timedelta(days=(day.weekday() + 1) % 7)


def incident_id(app, reference: str) -> int:
    """The id of the incident with this reference."""
    with ctx(app):
        return db.session.execute(
            select(Incident.id).where(Incident.reference == reference)
        ).scalar_one()


def _after(start: dt.datetime, seconds: float | None) -> dt.datetime | None:
    return None if seconds is None else start + dt.timedelta(seconds=seconds)


def assignment(
    app,
    reference: str,
    at: dt.datetime,
    *,
    ack: float | None = None,
    en_route: float | None = None,
    on_scene: float | None = None,
    ended: float | None = None,
) -> int:
    """A new unit assigned to the call at `at`; the other moments are seconds after it. En route
    and on scene are recorded on the assignment with the unit's `unit.status` timeline lines,
    as `dispatch.flows` does for the unit's first report of each."""
    number = next(_numbers)
    unit_id = make_unit(app, call_sign=f"ST-{number}", phone=f"+3247{number:07d}")
    incident = incident_id(app, reference)
    with ctx(app):
        db.session.add(
            Assignment(
                incident_id=incident,
                unit_id=unit_id,
                status=AssignmentStatus.ACTIVE if ended is None else AssignmentStatus.CLEARED,
                assigned_at=at,
                acknowledged_at=_after(at, ack),
                en_route_at=_after(at, en_route),
                on_scene_at=_after(at, on_scene),
                ended_at=_after(at, ended),
            )
        )
        for state, offset in (("en_route", en_route), ("on_scene", on_scene)):
            if offset is not None:
                status_line(app, reference, unit_id, state, at + dt.timedelta(seconds=offset))
    return unit_id


def status_line(app, reference: str, unit_id: int, state: str, at: dt.datetime) -> None:
    """A unit's status change on a call's timeline."""
    event(app, reference, "unit.status", at, unit_id=unit_id, to_state=state)


def event(app, reference: str, kind: str, at: dt.datetime, **fields) -> None:
    """A line on a call's timeline."""
    incident = incident_id(app, reference)
    with ctx(app):
        db.session.add(
            TimelineEvent(
                incident_id=incident,
                kind=kind,
                occurred_at=at,
                source=TimelineSource.SYSTEM,
                **fields,
            )
        )


def sms(app, reference: str, status: str, *, sent: bool, inbound: bool = False) -> None:
    """An SMS about a call in a status; `sent`: it was handed to the provider."""
    incident = incident_id(app, reference)
    with ctx(app):
        created = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
        db.session.add(
            Message(
                direction=MessageDirection.INBOUND if inbound else MessageDirection.OUTBOUND,
                incident_id=incident,
                to_number="+32470000000",
                body="NW test",
                status=status,
                created_at=created,
                sent_at=created if sent else None,
            )
        )


def referral(app, reference: str, kind: str, status: str) -> None:
    """A referral of a kind in a status on a call."""
    incident = incident_id(app, reference)
    with ctx(app):
        db.session.add(Referral(incident_id=incident, kind=kind, status=status))


def assessment(
    app, reference: str, instrument: str, version: int, level: str, computed: str | None = None
) -> None:
    """One version of an instrument's assessment; `level` is the one that holds (override)."""
    incident = incident_id(app, reference)
    with ctx(app):
        db.session.add(
            Assessment(
                incident_id=incident,
                instrument_id=instrument,
                instrument_version="1",
                version=version,
                answers={},
                score=0.0,
                level=level,
                computed_level=computed or level,
                override_level=level if computed else None,
                priority=Priority.P2,
            )
        )


def packet(app, organisation_id: int, day: dt.date, acknowledged_at: dt.datetime | None) -> None:
    """The handover packet of a date for an organisation, acknowledged then (or never)."""
    start, end = brussels(day - dt.timedelta(days=1), 7), brussels(day, 7)
    with ctx(app):
        db.session.add(
            HandoverPacket(
                organisation_id=organisation_id,
                handover_date=day,
                window_start=start,
                window_end=end,
                created_at=end,
                acknowledged_at=acknowledged_at,
            )
        )


def local_today(clock) -> dt.date:
    """The frozen clock's date in Brussels."""
    return clock.now().astimezone(BRUSSELS).date()


def fetch(client, headers, first: dt.date, last: dt.date, group: str = "night") -> dict:
    """GET /api/v1/statistics for a range, asserting a 200."""
    response = client.get(
        "/api/v1/statistics",
        query_string={"from": first.isoformat(), "to": last.isoformat(), "group": group},
        headers=headers,
    )
    assert response.status_code == 200, response.get_json()
    return response.get_json()
