"""Handover API: notes (write, correct, read), partner shares, morning packets and pickup.

The pages live in `handover.pages` (whose blueprint `bp` is registered by the app); importing
this module also registers the scheduler job (`handover.jobs`).
"""

from __future__ import annotations

import datetime as dt

from flask_login import current_user

from accounts.models import Role
from core import audit, clock
from core.api import api, endpoint
from handover import access, jobs, packets, serialise, service, settings  # noqa: F401 - jobs
from handover.access import PACKET_LIST, PARTNER, WRITERS
from handover.pages import bp
from handover.schemas import (
    HandoverNoteCreate,
    HandoverNoteList,
    HandoverNoteRead,
    HandoverPacketList,
    HandoverPacketQuery,
    HandoverPacketRead,
    HandoverPacketSummary,
    SharedNoteList,
    SharedNoteRead,
)
from handover.window import latest_handover_date
from triage.access import current_actor

__all__ = ["bp"]
TAGS = ("handover",)
LIST_DAYS = 14


def _store(write) -> HandoverNoteRead:
    """Run a note write, commit, and answer with the stored note (or the error, rolled back)."""
    note = write()
    return serialise.note_read(note, just_written=True)


@api.post("/incidents/<int:incident_id>/handover-notes")
@endpoint(
    "Write a handover note",
    WRITERS,
    body=HandoverNoteCreate,
    response=HandoverNoteRead,
    status=201,
    errors=(404,),
    tags=TAGS,
)
def create_note(incident_id: int, body: HandoverNoteCreate):
    """A note for partner organisations, with the legal basis that allows the share."""
    incident = access.incident_for_writer(incident_id)
    return _store(lambda: service.write_note(incident, body, current_actor()))


@api.get("/incidents/<int:incident_id>/handover-notes")
@endpoint(
    "An incident's handover notes",
    WRITERS,
    response=HandoverNoteList,
    errors=(404,),
    tags=TAGS,
)
def list_notes(incident_id: int):
    """Every version of every note on the incident, oldest first."""
    incident = access.incident_for_writer(incident_id)
    notes = service.notes_of_incident(incident.id)
    audit.record("list", "handover_note", object_ids=[n.id for n in notes])
    return HandoverNoteList(items=[serialise.note_read(n) for n in notes])


@api.get("/handover-notes/<int:note_id>")
@endpoint("One handover note", WRITERS, response=HandoverNoteRead, errors=(404,), tags=TAGS)
def get_note(note_id: int):
    """A note in full, with the ids of the versions before and after it."""
    note = access.note_for_writer(note_id)
    audit.record("view", "handover_note", note.id)
    return serialise.note_read(note)


@api.post("/handover-notes/<int:note_id>/versions")
@endpoint(
    "Correct a handover note",
    WRITERS,
    body=HandoverNoteCreate,
    response=HandoverNoteRead,
    status=201,
    errors=(404, 409),
    tags=TAGS,
)
def correct_note(note_id: int, body: HandoverNoteCreate):
    """Write the next version of the latest version of a note; the history is kept."""
    note = access.note_for_writer(note_id)
    return _store(lambda: service.correct_note(note, body, current_actor()))


@api.get("/partner-notes")
@endpoint("Urgent notes for my organisation", PARTNER, response=SharedNoteList, tags=TAGS)
def list_partner_notes():
    """Urgent notes addressed to my organisation that no packet has carried yet."""
    notes = access.pending_urgent_notes()
    audit.record("list", "handover_note", object_ids=[n.id for n in notes])
    return SharedNoteList(items=[serialise.shared_note_read(n) for n in notes])


@api.get("/partner-notes/<int:note_id>")
@endpoint(
    "A note as my organisation may read it",
    PARTNER,
    response=SharedNoteRead,
    errors=(404,),
    tags=TAGS,
)
def get_partner_note(note_id: int):
    """An urgent or delivered note, limited to what its legal basis allows."""
    note = access.note_for_partner(note_id)
    audit.record("view", "handover_note", note.id)
    return serialise.shared_note_read(note)


def _list_since(query: HandoverPacketQuery) -> tuple[dt.date | None, dt.date | None]:
    if query.date is not None:
        return query.date, None
    latest = latest_handover_date(clock.now(), settings.handover_time(), settings.zone())
    return None, latest - dt.timedelta(days=LIST_DAYS - 1)


@api.get("/handover-packets")
@endpoint(
    "Morning packets",
    PACKET_LIST,
    query=HandoverPacketQuery,
    response=HandoverPacketList,
    tags=TAGS,
)
def list_packets(query: HandoverPacketQuery):
    """My organisation's packets (supervisors: every organisation's, without content)."""
    org_id = None  # supervisors see every organisation's packets
    if Role(current_user.role) == Role.SOCIAL_WORKER:
        org = access.own_organisation()
        if org is None:
            return HandoverPacketList(items=[])
        org_id = org.id
    day, since = _list_since(query)
    rows = serialise.packets_of(org_id, day, since)
    audit.record("list", "handover_packet", object_ids=[p.id for p in rows])
    items = [serialise.packet_summary(p, serialise.packet_notes(p)) for p in rows]
    return HandoverPacketList(items=items)


@api.get("/handover-packets/<int:packet_id>")
@endpoint("One morning packet", PARTNER, response=HandoverPacketRead, errors=(404,), tags=TAGS)
def get_packet(packet_id: int):
    """A packet of my organisation with what each note's legal basis allows."""
    packet = access.packet_for_partner(packet_id)
    entries = serialise.packet_notes(packet)
    shown = [n.id for n in serialise.shown(entries)]
    audit.record("view", "handover_packet", packet.id, object_ids=shown)
    return serialise.packet_read(packet, entries)


@api.post("/handover-packets/<int:packet_id>/acknowledge")
@endpoint("Acknowledge pickup", PARTNER, response=HandoverPacketSummary, errors=(404,), tags=TAGS)
def acknowledge_packet(packet_id: int):
    """Record who picked the packet up and when (the first pickup counts)."""
    packet = access.packet_for_partner(packet_id)
    packets.acknowledge(packet, current_user.id, clock.now())
    return serialise.packet_summary(packet, serialise.packet_notes(packet))
