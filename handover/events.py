"""Realtime handover events: minimal payloads, each room sees only what it may.

Supervisors get every note; an organisation's room gets urgent notes addressed to it, naming
only that organisation (never the other addressees), and the withdrawal of a note it could read
when a correction takes it away. Payloads never hold note content: the page fetches it through
the API, which checks the reader and audits the read.
"""

from __future__ import annotations

from typing import Any

from accounts.models import Organisation
from core.realtime import publish, rooms
from dispatch import alarms
from handover.models import HandoverNote, HandoverPacket


def _note_payload(note: HandoverNote, reference: str, slugs: list[str]) -> dict[str, Any]:
    return {
        "id": note.id,
        "reference": reference,
        "version": note.version,
        "organisations": slugs,
        "urgent": bool(note.urgent),
    }


def note_written(note: HandoverNote, reference: str, organisations: list[Organisation]) -> None:
    """Announce a note (or correction) to supervisors, and an urgent one to its addressees."""
    slugs = sorted(o.slug for o in organisations)
    payload = {**_note_payload(note, reference, slugs), "incident_id": note.incident_id}
    publish("handover.note", payload, [rooms.SUPERVISORS])
    if note.urgent:
        for org in organisations:
            publish(
                "handover.note",
                _note_payload(note, reference, [org.slug]),
                [rooms.organisation(org.id)],
            )


def note_withdrawn(note_ids: list[int], reference: str, organisation: Organisation) -> None:
    """Tell an organisation's room that these versions of a note are withdrawn from it."""
    payload = {"note_ids": list(note_ids), "reference": reference}
    publish("handover.withdrawn", payload, [rooms.organisation(organisation.id)])


def packet_acknowledged(packet: HandoverPacket, organisation: Organisation) -> None:
    """Tell supervisors a packet was picked up."""
    publish(
        "handover.acknowledged",
        {
            "packet_id": packet.id,
            "organisation": organisation.slug,
            "handover_date": packet.handover_date.isoformat(),
        },
        [rooms.SUPERVISORS],
    )
    alarms.resolve(key=f"handover_overdue:{packet.id}")


def packet_not_acknowledged(packet: HandoverPacket, organisation: Organisation) -> None:
    """Raise the supervisors' alarm for a packet not picked up (it stands until pickup)."""
    alarms.raise_alarm(
        "handover_overdue",
        f"handover_overdue:{packet.id}",
        detail={
            "packet_id": packet.id,
            "organisation": organisation.slug,
            "handover_date": packet.handover_date.isoformat(),
        },
    )
