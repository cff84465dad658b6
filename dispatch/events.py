"""Realtime payloads for dispatch events (plain dicts; case content only through
`triage.events.publish_about`, which sends each audience the version it may see)."""

from __future__ import annotations

from typing import Any

from core.db import db
from dispatch.models import Assignment, Message, Unit
from triage import events as triage_events
from triage.models import Incident


def unit_event(unit: Unit, incident_id: int | None, source: str) -> dict[str, Any]:
    """A unit's new status, for the board."""
    return {
        "id": unit.id,
        "call_sign": unit.call_sign,
        "status": str(unit.status),
        "lat": unit.lat,
        "lon": unit.lon,
        "position_at": unit.position_at.isoformat() if unit.position_at else None,
        "incident_id": incident_id,
        "source": source,
    }


def position_event(unit: Unit, stale: bool) -> dict[str, Any]:
    """A unit's new position, for the board's map (no incident, no case data)."""
    at = unit.position_at
    return {
        "id": unit.id,
        "call_sign": unit.call_sign,
        "lat": unit.lat,
        "lon": unit.lon,
        "position_at": at.isoformat() if at is not None else None,
        "accuracy_m": unit.position_accuracy_m,
        "stale": stale,
    }


def assignment_event(
    assignment: Assignment, unit: Unit, reference: str, restricted: bool = False
) -> dict[str, Any]:
    """An assignment made, released or cleared."""
    return {
        "id": assignment.id,
        "incident_id": assignment.incident_id,
        "reference": reference,
        "unit_id": unit.id,
        "call_sign": unit.call_sign,
        "status": str(assignment.status),
        "assigned_at": assignment.assigned_at.isoformat(),
        "restricted": restricted,
    }


def message_event(message: Message) -> dict[str, Any]:
    """An SMS's delivery state (the body stays out of broadcast payloads)."""
    return {
        "id": message.id,
        "direction": str(message.direction),
        "status": str(message.status),
        "incident_id": message.incident_id,
        "unit_id": message.unit_id,
        "kind": message.kind,
    }


def outbound_status_event(
    message_id: int, status: str, incident_id: int | None, unit_id: int | None
) -> dict[str, Any]:
    """An outgoing SMS changed state in the sender (the body stays out)."""
    return {
        "id": message_id,
        "direction": "out",
        "status": str(status),
        "incident_id": incident_id,
        "unit_id": unit_id,
    }


def publish_received(message: Message, unit: Unit, code: str | None) -> None:
    """A unit's SMS as the board shows it: the recognised reply code and the text.

    The text is case content: about a restricted incident it goes only to those who may see the
    incident; the rest of the board gets the event without it (`restricted: true`).
    """
    incident = db.session.get(Incident, message.incident_id) if message.incident_id else None
    whole = {
        **message_event(message),
        "call_sign": unit.call_sign,
        "code": code,
        "text": message.body,
        "restricted": bool(incident is not None and incident.restricted),
    }
    triage_events.publish_about("message.received", incident, whole, {**whole, "text": None})
