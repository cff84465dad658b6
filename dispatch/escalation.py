"""Silence never goes unnoticed: re-page unacknowledged units, alarm the supervisor, welfare checks.

Timers are derived from database state (assignment and status times), so a restart loses none;
each step is claimed with a compare-and-set UPDATE, so two schedulers or two runs act once.
"""

from __future__ import annotations

import datetime as dt

from flask import Flask
from sqlalchemy import select, update

from accounts.actor import Actor
from core import clock
from core.db import db
from core.realtime import board_rooms, publish, rooms
from dispatch import flows
from dispatch.alarms import unit_alarm
from dispatch.models import Assignment, AssignmentStatus, Unit, UnitStatus
from dispatch.replies import compose_repage_sms, compose_welfare_sms
from triage.models import Incident, TimelineSource
from triage.service import add_timeline

SYSTEM = Actor(None, None, TimelineSource.SYSTEM)


def _claim(assignment: Assignment, column, expected, new) -> bool:
    """Move one escalation marker with compare-and-set; False when another run did it."""
    result = db.session.execute(
        update(Assignment)
        .where(
            Assignment.id == assignment.id,
            column.is_(expected) if expected is None else column == expected,
        )
        .values({column.key: new})
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _alarm(
    kind: str,
    assignment: Assignment,
    unit: Unit,
    incident: Incident,
    rooms: tuple[str, ...],
    since: dt.datetime | None = None,
) -> None:
    publish("escalation", unit_alarm(kind, assignment, unit, incident, since), rooms)


def _unacknowledged(now: dt.datetime, timeout: dt.timedelta) -> list[Assignment]:
    return list(
        db.session.execute(
            select(Assignment)
            .join(Unit, Unit.id == Assignment.unit_id)
            .where(
                Assignment.status == AssignmentStatus.ACTIVE,
                Assignment.acknowledged_at.is_(None),
                Unit.status == UnitStatus.ASSIGNED,
                Assignment.escalation_level < 2,
                Assignment.assigned_at <= now - timeout,
            )
        ).scalars()
    )


def check_acknowledgements(now: dt.datetime, timeout_s: int) -> int:
    """First timeout: page again + console alarm; second timeout: alarm the supervisor."""
    timeout, acted = dt.timedelta(seconds=timeout_s), 0
    for a in _unacknowledged(now, timeout):
        due_level = 2 if now - a.assigned_at >= 2 * timeout else 1
        if due_level <= a.escalation_level or not _claim(
            a, Assignment.escalation_level, a.escalation_level, due_level
        ):
            continue
        unit, incident = db.session.get(Unit, a.unit_id), db.session.get(Incident, a.incident_id)
        if due_level == 1:
            a.page_count += 1
            flows.outbox(
                unit,
                incident,
                compose_repage_sms(
                    unit.call_sign,
                    incident.reference,
                    incident.priority,
                    incident.sms_address,
                    a.page_count,
                ),
                "repage",
                a,
            )
            _alarm("no_ack", a, unit, incident, board_rooms())
        else:
            _alarm("no_ack_supervisor", a, unit, incident, (rooms.SUPERVISORS, *board_rooms()))
        add_timeline(
            incident.id,
            f"escalation.level{due_level}",
            SYSTEM,
            unit_id=unit.id,
            data={"call_sign": unit.call_sign, "timeout_s": timeout_s},
        )
        acted += 1
    return acted


def check_welfare(now: dt.datetime, welfare_s: int) -> int:
    """A unit on scene too long without an update gets a welfare SMS and the console an alarm."""
    limit, acted = now - dt.timedelta(seconds=welfare_s), 0
    rows = (
        db.session.execute(
            select(Assignment)
            .join(Unit, Unit.id == Assignment.unit_id)
            .where(
                Assignment.status == AssignmentStatus.ACTIVE,
                Unit.status == UnitStatus.ON_SCENE,
                Unit.status_changed_at <= limit,
            )
        )
        .scalars()
        .all()
    )
    for a in rows:
        last = max(
            t for t in (a.last_update_at, a.welfare_checked_at, a.assigned_at) if t is not None
        )
        if last > limit or not _claim(a, Assignment.welfare_checked_at, a.welfare_checked_at, now):
            continue
        unit, incident = db.session.get(Unit, a.unit_id), db.session.get(Incident, a.incident_id)
        flows.outbox(
            unit, incident, compose_welfare_sms(unit.call_sign, incident.reference), "welfare", a
        )
        _alarm("welfare_check", a, unit, incident, board_rooms(), since=now)
        add_timeline(
            incident.id,
            "escalation.welfare_check",
            SYSTEM,
            unit_id=unit.id,
            data={"call_sign": unit.call_sign, "after_s": welfare_s},
        )
        acted += 1
    return acted


def scan(app: Flask, now: dt.datetime | None = None) -> int:
    """The scheduler job: both checks, one transaction, then hand new SMS to the sender."""
    now = now or clock.now()
    acted = check_acknowledgements(now, int(app.config.get("ACK_TIMEOUT_S", 120)))
    acted += check_welfare(now, int(app.config.get("WELFARE_CHECK_S", 1800)))
    db.session.commit()
    if acted:
        flows.deliver_soon(app)
    return acted
