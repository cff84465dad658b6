"""Dispatch's answers to what triage asks about assignments (`triage.links`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Flask, current_app
from sqlalchemy import ColumnElement, bindparam, exists, literal, or_, select, union_all

from core import clock
from core.db import db
from dispatch.models import Assignment, AssignmentCrew, AssignmentStatus, UnitMember
from triage import links


def involved(user_id: int, incident_id: int) -> bool:
    """Assigned a unit to the incident, or is on the crew of one of its assignments (in time)."""
    return bool(db.session.execute(select(involved_condition(user_id, incident_id))).scalar())


def involved_condition(user_id: int, incident_id: Any) -> ColumnElement[bool]:
    """`involved` as an SQL condition on an incident id (a value, or a column of a statement)."""
    assigned = exists().where(
        Assignment.incident_id == incident_id, Assignment.assigned_by_id == user_id
    )
    return assigned | _on_crew(user_id, incident_id)


def on_crew(user_id: int, incident_id: int) -> bool:
    """Was on the unit when it was assigned to the incident, and that assignment is active or
    ended less than OFFICER_ACCESS_GRACE_H ago (moving to another unit opens nothing)."""
    return bool(db.session.execute(select(_on_crew(user_id, incident_id))).scalar())


def _on_crew(user_id: int, incident_id: int):
    return exists().where(
        Assignment.incident_id == incident_id,
        AssignmentCrew.assignment_id == Assignment.id,
        AssignmentCrew.user_id == user_id,
        _in_time(),
    )


def _in_time():
    grace = dt.timedelta(hours=int(current_app.config.get("OFFICER_ACCESS_GRACE_H", 12)))
    return or_(Assignment.ended_at.is_(None), Assignment.ended_at > clock.now() - grace)


def involved_users(incident_id: int) -> set[int]:
    """Everyone `involved` answers yes for on this incident (one query)."""
    assigners = select(Assignment.assigned_by_id).where(
        Assignment.incident_id == incident_id, Assignment.assigned_by_id.is_not(None)
    )
    return set(db.session.execute(assigners.union(_crew_ids(incident_id))).scalars())


def _crew_ids(incident_id: int):
    return select(AssignmentCrew.user_id).where(
        AssignmentCrew.assignment_id == Assignment.id,
        Assignment.incident_id == incident_id,
        _in_time(),
    )


def officers(
    incident_ids: set[int], unit_ids: set[int]
) -> tuple[dict[int, set[int]], dict[int, set[int]]]:
    """The officers on each incident's crews (active or in the grace) and on each unit now:
    one statement for both."""
    crews: dict[int, set[int]] = {}
    units: dict[int, set[int]] = {}
    if not incident_ids and not unit_ids:
        return crews, units
    grace = dt.timedelta(hours=int(current_app.config.get("OFFICER_ACCESS_GRACE_H", 12)))
    values = {
        "incident_ids": sorted(incident_ids),
        "unit_ids": sorted(unit_ids),
        "ended_after": clock.now() - grace,
    }
    statement = _OFFICERS[(bool(incident_ids), bool(unit_ids))]
    for kind, key, user_id in db.session.execute(statement, values):
        (crews if kind == "incident" else units).setdefault(key, set()).add(user_id)
    return crews, units


def _officers_statements() -> dict[tuple[bool, bool], Any]:
    """`officers`' statement for incidents, units or both, built once with bound values (it
    runs before every commit that changes what an officer's phone shows)."""
    crews = select(literal("incident"), Assignment.incident_id, AssignmentCrew.user_id).where(
        AssignmentCrew.assignment_id == Assignment.id,
        Assignment.incident_id.in_(bindparam("incident_ids", expanding=True)),
        or_(Assignment.ended_at.is_(None), Assignment.ended_at > bindparam("ended_after")),
    )  # _in_time() with the grace's start bound
    members = select(literal("unit"), UnitMember.unit_id, UnitMember.user_id).where(
        UnitMember.unit_id.in_(bindparam("unit_ids", expanding=True))
    )
    return {(True, False): crews, (False, True): members, (True, True): union_all(crews, members)}


_OFFICERS = _officers_statements()


def crew_assignments(user_id: int, assignment_id: int | None = None) -> list[Assignment]:
    """The assignments the user was crew of that are active or ended less than
    OFFICER_ACCESS_GRACE_H ago (only `assignment_id`, when given), oldest first."""
    query = (
        select(Assignment)
        .join(AssignmentCrew, AssignmentCrew.assignment_id == Assignment.id)
        .where(AssignmentCrew.user_id == user_id, _in_time())
        .order_by(Assignment.id)
    )
    if assignment_id is not None:
        query = query.where(Assignment.id == assignment_id)
    return list(db.session.execute(query).scalars())


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


def danger_changed(incident_id: int) -> None:
    """Text the units on the incident a danger learnt after they were sent (after the commit)."""
    from dispatch import danger, flows  # the flows sit above these queries

    if danger.tell_new_danger(incident_id):
        flows.deliver_soon(current_app._get_current_object())


def register(app: Flask) -> None:
    """Answer triage's assignment questions for this app."""
    links.register(
        app,
        links.AssignmentQueries(
            involved=involved,
            involved_condition=involved_condition,
            has_active_assignment=has_active_assignment,
            involved_users=involved_users,
            officers=officers,
            danger_changed=danger_changed,
        ),
    )
