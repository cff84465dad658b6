"""Danger before the door: the officer-safety codes a unit is told by SMS, and told again when a
danger becomes known after it was sent.

The flags are triage's (`triage.safety`); which of them may travel by SMS is configuration
(`SMS_SAFETY_FLAGS`). An assignment remembers what its unit was told (`danger_sent`), so a
flag learnt later (a weapon ticked while the unit is on its way) is texted once, never again.
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from accounts.actor import Actor
from core.db import db
from dispatch import texts
from dispatch.models import Assignment, AssignmentStatus, Unit
from dispatch.outbox import outbox
from triage import safety
from triage.models import Incident, TimelineSource
from triage.service import add_timeline

SYSTEM = Actor(None, None, TimelineSource.SYSTEM)


def sms_flags(incident: Incident) -> tuple[list[str], int]:
    """The incident's safety flags that may travel by SMS, and its earlier incidents' count."""
    found = safety.safety_of(incident)
    allowed = current_app.config["SMS_SAFETY_FLAGS"]
    return [f for f in found.flags if f in allowed], found.prior_incidents


def sms_line(unit: Unit, incident: Incident, assignment: Assignment) -> str:
    """The "GEVAAR: WAPEN, KINDEREN. " line of an assignment (or repeated) SMS; the assignment
    keeps what its unit was told."""
    flags, prior = sms_flags(incident)
    assignment.danger_sent = flags
    return texts.danger_line(unit.sms_language, flags, prior)


def tell_new_danger(incident_id: int) -> int:
    """Text each unit still on the incident the danger flags learnt since it was sent."""
    incident = db.session.get(Incident, incident_id)
    active = db.session.execute(
        select(Assignment).where(
            Assignment.incident_id == incident_id, Assignment.status == AssignmentStatus.ACTIVE
        )
    ).scalars()
    assignments = list(active)
    if not assignments:
        return 0
    flags, prior = sms_flags(incident)
    told = 0
    for assignment in assignments:
        new = [f for f in flags if f not in (assignment.danger_sent or [])]
        if not new:
            continue
        assignment.danger_sent = sorted({*(assignment.danger_sent or []), *new})
        unit = db.session.get(Unit, assignment.unit_id)
        line = texts.danger_line(unit.sms_language, new, prior)
        body = texts.compose_safety_update_sms(
            unit.call_sign, incident.reference, line, lang=unit.sms_language
        )
        outbox(unit, incident, body, "danger", assignment)
        add_timeline(incident.id, "sms.danger", SYSTEM, unit_id=unit.id, data={"flags": new})
        told += 1
    return told
