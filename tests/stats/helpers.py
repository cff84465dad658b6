"""Factories for statistics tests: calls at chosen local times, units assigned at known offsets."""

from __future__ import annotations

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

from core.db import db
from dispatch.models import Assignment, AssignmentStatus
from tests.conftest import ctx
from tests.dispatch.helpers import make_unit
from triage.models import Incident, Priority

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
