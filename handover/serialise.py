"""Turn notes and packets into response schemas: the full police view or a partner's share."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from accounts.models import User
from core.db import db
from handover import service, settings, sharing
from handover.models import HandoverNote, HandoverPacket
from handover.schemas import (
    HandoverNoteRead,
    HandoverPacketRead,
    HandoverPacketSummary,
    SharedNoteRead,
)
from triage.models import Incident


def _incident(note: HandoverNote) -> Incident:
    incident = db.session.get(Incident, note.incident_id)
    assert incident is not None
    return incident


def _username(user_id: int | None) -> str | None:
    user = db.session.get(User, user_id) if user_id else None
    return user.username if user else None


def note_read(note: HandoverNote) -> HandoverNoteRead:
    """Everything in a note, for dispatchers, supervisors and the assigned officers."""
    content = note.content
    return HandoverNoteRead.model_validate(
        {
            "id": note.id,
            "incident_id": note.incident_id,
            "reference": _incident(note).reference,
            "version": note.version,
            "supersedes_id": note.supersedes_id,
            "superseded_by_id": service.successor_id(note),
            "author": _username(note.author_id),
            "created_at": note.created_at,
            "packet_date": service.packet_date(note),
            "legal_basis": note.legal_basis,
            "consent": note.consent,
            "urgent": note.urgent,
            "organisations": sorted(o.slug for o in note.organisations),
            "summary": content.get("summary", ""),
            "persons": content.get("persons") or [],
            "children": content.get("children"),
            "risk": content.get("risk") or {},
            "actions": content.get("actions") or {},
            "follow_up": content.get("follow_up"),
        }
    )


def shared_note_read(note: HandoverNote) -> SharedNoteRead:
    """What a partner organisation may read of a note under its legal basis."""
    incident = _incident(note)
    shared = sharing.shared_content(note.legal_basis, note.consent, note.content)
    return SharedNoteRead.model_validate(
        {
            "id": note.id,
            "reference": incident.reference,
            "incident_date": incident.received_at.astimezone(settings.zone()).date(),
            "version": note.version,
            "supersedes_id": note.supersedes_id,
            "created_at": note.created_at,
            "legal_basis": note.legal_basis,
            "urgent": note.urgent,
            **shared,
        }
    )


def packet_notes(packet: HandoverPacket) -> list[HandoverNote]:
    """The notes a packet carries that its organisation may read, in writing order."""
    notes = sorted(packet.notes, key=lambda n: (n.created_at, n.id))
    return [n for n in notes if service.addressed_to(n, packet.organisation)]


def packet_summary(packet: HandoverPacket, notes: list[HandoverNote]) -> HandoverPacketSummary:
    """A packet's metadata: window, counts and pickup."""
    return HandoverPacketSummary(
        id=packet.id,
        organisation=packet.organisation.slug,
        handover_date=packet.handover_date,
        window_start=packet.window_start,
        window_end=packet.window_end,
        created_at=packet.created_at,
        note_count=len(notes),
        urgent_count=sum(1 for n in notes if n.urgent),
        acknowledged_at=packet.acknowledged_at,
        acknowledged_by=_username(packet.acknowledged_by_id),
        reminded_at=packet.reminded_at,
    )


def packet_read(packet: HandoverPacket, notes: list[HandoverNote]) -> HandoverPacketRead:
    """A packet with the shared view of each of its notes."""
    summary = packet_summary(packet, notes).model_dump()
    return HandoverPacketRead.model_validate(
        {**summary, "notes": [shared_note_read(n) for n in notes]}
    )


def packets_of(
    organisation_id: int | None, day: dt.date | None = None, since: dt.date | None = None
) -> list[HandoverPacket]:
    """Packets, newest first: one organisation's (or all, for supervisors), by date or since."""
    query = select(HandoverPacket)
    if organisation_id is not None:
        query = query.where(HandoverPacket.organisation_id == organisation_id)
    if day is not None:
        query = query.where(HandoverPacket.handover_date == day)
    if since is not None:
        query = query.where(HandoverPacket.handover_date >= since)
    query = query.order_by(HandoverPacket.handover_date.desc(), HandoverPacket.organisation_id)
    return list(db.session.execute(query).unique().scalars())
