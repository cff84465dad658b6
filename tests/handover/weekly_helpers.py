"""Factories for the weekly-list tests: a week from the frozen clock, screened incidents."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from core.db import db
from handover.weekly import build, week
from handover.weekly.models import TriageList, TriageListEntry
from tests.conftest import ctx
from tests.handover.helpers import BXL, incident
from triage.models import Assessment, Incident

LEVEL_PRIORITY = {"high": "P2", "screened_in": "P2", "immediate": "P1", "standard": "P4"}


def week_of(now: dt.datetime) -> dt.date:
    """The Monday of the week the clock stands in."""
    return week.monday_of(now.astimezone(BXL).date())


def at(week_start: dt.date, day: int, hour: int, minute: int = 0) -> dt.datetime:
    """A Brussels wall-clock moment `day` days after the week's Monday, in UTC."""
    wall = dt.datetime.combine(week_start + dt.timedelta(days=day), dt.time(hour, minute), BXL)
    return wall.astimezone(dt.UTC)


def case(app, received_at: dt.datetime, screens=(), flags=(), **marks) -> int:
    """An incident received then, with screens [(instrument, level)], flags and marks
    (exercise, restricted, district)."""
    incident_id = incident(app, received_at, exercise=marks.pop("exercise", False))
    with ctx(app):
        row = db.session.get(Incident, incident_id)
        row.flags = list(flags)
        row.district = marks.pop("district", "Borgerhout")
        row.restricted = marks.pop("restricted", False)
        for n, (instrument, level) in enumerate(screens):
            db.session.add(
                Assessment(
                    incident_id=incident_id,
                    instrument_id=instrument,
                    instrument_version="1.0",
                    version=n + 1,
                    answers={},
                    score=0,
                    level=level,
                    computed_level=level,
                    priority=LEVEL_PRIORITY.get(level, "P3"),
                    created_at=received_at,
                )
            )
    return incident_id


def build_at(app, week_start: dt.date, now: dt.datetime):
    """Build a week's lists as the job would at `now`."""
    with app.app_context():
        return build.build_week(week_start, now)


def lists(app) -> dict[str, dict[int, list[str]]]:
    """The newest list of each organisation as {slug: {incident id: reasons}} (removed cases
    left out)."""
    with app.app_context():
        out: dict[str, dict[int, list[str]]] = {}
        query = select(TriageList).order_by(TriageList.week_start)
        for row in db.session.execute(query).unique().scalars():
            out[row.organisation.slug] = {
                e.incident_id: list(e.reasons) for e in row.entries if e.removed_at is None
            }
        return out


def list_id(app, week_start: dt.date) -> int:
    """The id of the week's list (the one Veilig Huis's)."""
    with app.app_context():
        query = select(TriageList.id).where(TriageList.week_start == week_start)
        return db.session.execute(query).scalar_one()


def counts(app) -> tuple[int, int]:
    """How many lists and entries exist."""
    with app.app_context():
        lists_ = db.session.execute(select(func.count()).select_from(TriageList)).scalar_one()
        entries = db.session.execute(select(func.count()).select_from(TriageListEntry)).scalar_one()
        return lists_, entries
