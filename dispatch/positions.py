"""Unit positions: record the one a unit last shared, and judge when it is too old to rank by.

A position older than UNIT_POSITION_STALE_S, or one of unknown time (set without a clock), is
stale: the board marks it and the ranking treats the unit as one whose position is unknown.
"""

from __future__ import annotations

import datetime as dt
import math

from flask import current_app
from sqlalchemy import select

from core.db import db
from dispatch import events
from dispatch.models import Assignment, AssignmentStatus, Unit
from dispatch.ranking import UnitCandidate
from triage import events as triage_events
from triage.models import Incident

# What the rest of the board gets of a unit on a restricted incident: on scene, its position is
# the home's.
HIDDEN = {"lat": None, "lon": None, "position_at": None, "accuracy_m": None, "stale": False}


def stale_limit_s() -> int:
    """Return UNIT_POSITION_STALE_S: after this many seconds a position no longer counts."""
    return int(current_app.config.get("UNIT_POSITION_STALE_S", 900))


def age_s(position_at: dt.datetime | None, now: dt.datetime) -> float | None:
    """Return how many seconds old a position is (None: its time is unknown)."""
    if position_at is None:
        return None
    return max(0.0, (now - position_at).total_seconds())


def is_stale(position_at: dt.datetime | None, now: dt.datetime, stale_s: float) -> bool:
    """Return whether a position is too old to rank by (one of unknown time is)."""
    age = age_s(position_at, now)
    return age is None or age > stale_s


def marked_stale(unit: Unit, now: dt.datetime, stale_s: float) -> bool:
    """Return whether the unit has a position and it is stale (what the board marks)."""
    placed = unit.lat is not None and unit.lon is not None
    return placed and is_stale(unit.position_at, now, stale_s)


def candidate(unit: Unit, now: dt.datetime, stale_s: float) -> UnitCandidate:
    """Return the unit as the ranking sees it: a stale position blanked out, with its age."""
    placed = unit.lat is not None and unit.lon is not None
    stale = marked_stale(unit, now, stale_s)
    return UnitCandidate(
        unit.id,
        unit.call_sign,
        None if stale else unit.lat,
        None if stale else unit.lon,
        frozenset(unit.skills),
        frozenset(unit.languages),
        position_age_s=age_s(unit.position_at, now) if placed else None,
        position_stale=stale,
    )


def record_position(
    unit: Unit, lat: float, lon: float, accuracy_m: float | None, now: dt.datetime
) -> None:
    """Store where the unit is as of `now` and show it on the board (`unit.position`)."""
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValueError("latitude or longitude out of range")
    if accuracy_m is not None and not (math.isfinite(accuracy_m) and accuracy_m >= 0):
        raise ValueError("accuracy must be a finite number of metres >= 0")
    unit.lat, unit.lon = lat, lon
    unit.position_at, unit.position_accuracy_m = now, accuracy_m
    publish_position(unit, now)


def publish_position(unit: Unit, now: dt.datetime) -> None:
    """Publish the unit's position to the board; while it serves a restricted incident only
    those who may see that incident get it (the rest get the event without it)."""
    whole = events.position_event(unit, marked_stale(unit, now, stale_limit_s()))
    triage_events.publish_about("unit.position", _restricted_served(unit), whole, whole | HIDDEN)


def _restricted_served(unit: Unit) -> Incident | None:
    """Return the restricted incident the unit is serving now, if any (asked here rather than of
    `dispatch.service`, so the service may record positions too)."""
    served = db.session.execute(
        select(Assignment.incident_id)
        .where(Assignment.unit_id == unit.id, Assignment.status == AssignmentStatus.ACTIVE)
        .order_by(Assignment.id)
    ).scalars()
    incidents = [db.session.get(Incident, incident_id) for incident_id in served]
    return next((i for i in incidents if i is not None and i.restricted), None)
