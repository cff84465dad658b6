"""The outbox: an SMS to a unit is a row written in the caller's transaction, sent later.

`dispatch.sms` delivers due rows after the commit (and the scheduler's scan is the backstop),
so an SMS is never sent for a change that was rolled back.
"""

from __future__ import annotations

from core.db import db
from dispatch.models import Assignment, Message, MessageDirection, Unit
from triage.models import Incident


def outbox(
    unit: Unit,
    incident: Incident | None,
    body: str,
    kind: str,
    assignment: Assignment | None = None,
) -> Message:
    """Write an SMS to the outbox in the current transaction (a sender delivers it later)."""
    message = Message(
        direction=MessageDirection.OUTBOUND,
        incident_id=incident.id if incident else None,
        unit_id=unit.id,
        assignment_id=assignment.id if assignment else None,
        kind=kind,
        to_number=unit.phone,
        body=body,
    )
    db.session.add(message)
    return message
