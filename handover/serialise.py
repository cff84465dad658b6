"""Turn notes and packets into response schemas: the full police view or a partner's share."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

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
    WithdrawnNoteRead,
)
from triage.models import Incident


def _incident(note: HandoverNote) -> Incident:
    incident = db.session.get(Incident, note.incident_id)
    assert incident is not None
    return incident


def _username(user_id: int | None) -> str | None:
    user = db.session.get(User, user_id) if user_id else None
    return user.username if user else None


def note_read(note: HandoverNote, *, just_written: bool = False) -> HandoverNoteRead:
    """Everything in a note, for dispatchers, supervisors and the assigned officers
    (`just_written`: in this transaction, so the latest version, corrected by none)."""
    content = note.content
    return HandoverNoteRead.model_validate(
        {
            "id": note.id,
            "incident_id": note.incident_id,
            "reference": _incident(note).reference,
            "version": note.version,
            "supersedes_id": note.supersedes_id,
            "superseded_by_id": None if just_written else service.successor_id(note),
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
            "children_at_risk": content.get("children_at_risk"),
            "motives": content.get("motives") or [],
            "risk": content.get("risk") or {},
            "actions": content.get("actions") or {},
            "follow_up": content.get("follow_up"),
        }
    )


def shared_note_read(note: HandoverNote, packet_note_id: int | None = None) -> SharedNoteRead:
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
            "packet_note_id": packet_note_id,
        }
    )


@dataclass(frozen=True)
class Carried:
    """A note a packet carried, and the version its organisation may read now (None: withdrawn)."""

    note: HandoverNote
    current: HandoverNote | None


def packet_notes(packet: HandoverPacket) -> list[Carried]:
    """Each note the packet carried, in writing order, mapped to its latest version while the
    organisation may read that, else to nothing (a correction withdrew it)."""
    entries = []
    for note in sorted(packet.notes, key=lambda n: (n.created_at, n.id)):
        latest = service.latest_version(note)
        readable = service.readable_by(latest, packet.organisation)
        entries.append(Carried(note, latest if readable else None))
    return entries


def shown(entries: list[Carried]) -> list[HandoverNote]:
    """The versions whose content a packet view shows (what its read audits)."""
    return [e.current for e in entries if e.current is not None]


def packet_summary(packet: HandoverPacket, entries: list[Carried]) -> HandoverPacketSummary:
    """A packet's metadata: window, counts and pickup."""
    notes = shown(entries)
    return HandoverPacketSummary(
        id=packet.id,
        organisation=packet.organisation.slug,
        handover_date=packet.handover_date,
        window_start=packet.window_start,
        window_end=packet.window_end,
        created_at=packet.created_at,
        note_count=len(notes),
        urgent_count=sum(1 for n in notes if n.urgent),
        withdrawn_count=len(entries) - len(notes),
        acknowledged_at=packet.acknowledged_at,
        acknowledged_by=_username(packet.acknowledged_by_id),
        reminded_at=packet.reminded_at,
    )


def packet_read(packet: HandoverPacket, entries: list[Carried]) -> HandoverPacketRead:
    """A packet with the shared view of each note still readable, and what was withdrawn."""
    summary = packet_summary(packet, entries).model_dump()
    notes = [shared_note_read(e.current, e.note.id) for e in entries if e.current is not None]
    withdrawn = [
        WithdrawnNoteRead(id=e.note.id, reference=_incident(e.note).reference)
        for e in entries
        if e.current is None
    ]
    return HandoverPacketRead.model_validate({**summary, "notes": notes, "withdrawn": withdrawn})


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
