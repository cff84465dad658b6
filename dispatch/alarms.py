"""Alarms that still stand, derived from the database, for consoles that (re)connect.

A live `escalation` event reaches only the consoles connected at that moment. A console that
opens later, or reconnects after a network or Redis outage, reads the alarms that still stand
from the board snapshot: a unit that has not acknowledged, a welfare check without an answer,
an SMS that failed to a unit that has not acknowledged since. They carry the same fields as the
live events, so the console shows each once whichever way it arrives.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import or_, select

from core.db import db
from dispatch.models import (
    Assignment,
    AssignmentStatus,
    Message,
    MessageDirection,
    MessageStatus,
    Unit,
    UnitStatus,
)
from triage.models import Incident

LIMIT = 200


def alarm_key(kind: str, subject: int, since: dt.datetime | None = None) -> str:
    """One alarm's identity, the same in the live event and in the snapshot."""
    return f"{kind}:{subject}" + (f":{since.isoformat()}" if since else "")


def unit_alarm(
    kind: str,
    assignment: Assignment,
    unit: Unit,
    incident: Incident,
    since: dt.datetime | None = None,
) -> dict[str, Any]:
    """An alarm about a unit on an incident (no acknowledgement, welfare check)."""
    return {
        "key": alarm_key(kind, assignment.id, since),
        "kind": kind,
        "assignment_id": assignment.id,
        "incident_id": incident.id,
        "reference": incident.reference,
        "unit_id": unit.id,
        "call_sign": unit.call_sign,
    }


def sms_failed_alarm(
    message_id: int, unit_id: int | None, incident_id: int | None, reason: str, **more: Any
) -> dict[str, Any]:
    """An alarm about an SMS that will not reach its unit."""
    return {
        "key": alarm_key("sms_failed", message_id),
        "kind": "sms_failed",
        "message_id": message_id,
        "unit_id": unit_id,
        "incident_id": incident_id,
        "reason": reason,
        **more,
    }


def unknown_sender_alarm(message_id: int) -> dict[str, Any]:
    """An SMS from a number that is no unit's: it may be a victim texting."""
    return {"kind": "unknown_sender", "message_id": message_id}


def open_alarms() -> list[dict[str, Any]]:
    """Every alarm that stands now, oldest first (bounded)."""
    rows = db.session.execute(
        select(Assignment, Unit, Incident)
        .join(Unit, Unit.id == Assignment.unit_id)
        .join(Incident, Incident.id == Assignment.incident_id)
        .where(Assignment.status == AssignmentStatus.ACTIVE)
        .where(
            or_(
                (Assignment.acknowledged_at.is_(None)) & (Assignment.escalation_level >= 1),
                (Unit.status == UnitStatus.ON_SCENE) & Assignment.welfare_checked_at.isnot(None),
            )
        )
        .order_by(Assignment.assigned_at, Assignment.id)
        .limit(LIMIT)
    ).all()
    alarms = []
    for assignment, unit, incident in rows:
        if assignment.acknowledged_at is None and assignment.escalation_level >= 1:
            kind = "no_ack_supervisor" if assignment.escalation_level >= 2 else "no_ack"
            alarms.append(unit_alarm(kind, assignment, unit, incident))
        answered = assignment.last_update_at
        checked = assignment.welfare_checked_at
        if unit.status == UnitStatus.ON_SCENE and checked and (not answered or answered < checked):
            alarms.append(unit_alarm("welfare_check", assignment, unit, incident, checked))
    failed = db.session.execute(
        select(Message, Assignment, Incident)
        .join(Assignment, Assignment.id == Message.assignment_id)
        .join(Incident, Incident.id == Assignment.incident_id)
        .where(
            Message.direction == MessageDirection.OUTBOUND,
            Message.status.in_([MessageStatus.FAILED, MessageStatus.UNDELIVERED]),
            Assignment.status == AssignmentStatus.ACTIVE,
            # Once the unit has acknowledged (by SMS, radio or on the console) it got the news.
            Assignment.acknowledged_at.is_(None),
        )
        .order_by(Message.id)
        .limit(LIMIT)
    ).all()
    for message, assignment, incident in failed:
        alarms.append(
            sms_failed_alarm(
                message.id,
                message.unit_id,
                incident.id,
                str(message.status),
                assignment_id=assignment.id,
                reference=incident.reference,
            )
        )
    return alarms
