"""Read-only loads for the statistics: plain tuples from one statement, never ORM objects."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from sqlalchemy import func, select

from core.db import db
from dispatch.models import Assignment
from triage.models import Incident


class Call(NamedTuple):
    """What the statistics need of one call: when, first unit when, priority, district."""

    created_at: dt.datetime
    first_assigned_at: dt.datetime | None
    priority: str
    district: str | None


def calls(start: dt.datetime, end: dt.datetime) -> list[Call]:
    """Real (non-exercise) calls created in [start, end), oldest first, with their first
    assignment time from one GROUP BY/MIN subquery."""
    first = (
        select(Assignment.incident_id, func.min(Assignment.assigned_at).label("first_at"))
        .group_by(Assignment.incident_id)
        .subquery()
    )
    statement = (
        select(Incident.created_at, first.c.first_at, Incident.priority, Incident.district)
        .outerjoin(first, first.c.incident_id == Incident.id)
        .where(
            Incident.created_at >= start,
            Incident.created_at < end,
            Incident.exercise.is_not(True),  # training never counts
        )
        .order_by(Incident.created_at)
    )
    return [
        Call(created, assigned, str(prio), district)
        for created, assigned, prio, district in db.session.execute(statement)
    ]
