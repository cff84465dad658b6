"""Dispatch's answers to what triage asks about assignments (`triage.links`)."""

from __future__ import annotations

import datetime as dt

from flask import Flask
from sqlalchemy import exists, func, select

from core.db import db
from dispatch.models import Assignment, AssignmentStatus, UnitMember
from triage import links


def first_assigned_at(incident_ids: list[int]) -> dict[int, dt.datetime]:
    """When each incident first had a unit assigned (one query)."""
    if not incident_ids:
        return {}
    rows = db.session.execute(
        select(Assignment.incident_id, func.min(Assignment.assigned_at))
        .where(Assignment.incident_id.in_(incident_ids))
        .group_by(Assignment.incident_id)
    )
    return {incident_id: when for incident_id, when in rows}


def involved(user_id: int, incident_id: int) -> bool:
    """Assigned a unit to the incident, or is a member of a unit assigned to it."""
    assigned = exists().where(
        Assignment.incident_id == incident_id, Assignment.assigned_by_id == user_id
    )
    on_unit = exists().where(
        Assignment.incident_id == incident_id,
        Assignment.unit_id == UnitMember.unit_id,
        UnitMember.user_id == user_id,
    )
    return bool(db.session.execute(select(assigned | on_unit)).scalar())


def has_active_assignment(incident_id: int) -> bool:
    """A unit is still on the incident."""
    return bool(
        db.session.execute(
            select(
                exists().where(
                    Assignment.incident_id == incident_id,
                    Assignment.status == AssignmentStatus.ACTIVE,
                )
            )
        ).scalar()
    )


def register(app: Flask) -> None:
    """Answer triage's assignment questions for this app."""
    links.register(
        app,
        links.AssignmentQueries(
            first_assigned_at=first_assigned_at,
            involved=involved,
            has_active_assignment=has_active_assignment,
        ),
    )
