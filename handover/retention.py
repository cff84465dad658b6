"""Handover's part of retention: note content of anonymised incidents, and old packets and
weekly triage lists (which follow the packets' PACKET_RETENTION_DAYS)."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from sqlalchemy import delete, select, update

from core import audit
from core.db import db
from handover.models import HandoverNote, HandoverPacket, packet_note
from handover.weekly.models import TriageList, TriageListEntry


def anonymise(incident_id: int, counts: Counter) -> None:
    """Empty the content of an anonymised incident's handover notes and the reasons typed on
    its weekly-list entries."""
    anonymise_incidents([incident_id], counts)


def anonymise_incidents(incident_ids: list[int], counts: Counter) -> None:
    """`anonymise` for several incidents, one statement per table."""
    counts["handover_notes"] += db.session.execute(
        update(HandoverNote).where(HandoverNote.incident_id.in_(incident_ids)).values(content={})
    ).rowcount
    counts["triage_list_reasons"] += db.session.execute(
        update(TriageListEntry)
        .where(
            TriageListEntry.incident_id.in_(incident_ids),
            (TriageListEntry.added_reason.is_not(None))
            | (TriageListEntry.removed_reason.is_not(None)),
        )
        .values(added_reason=None, removed_reason=None)
    ).rowcount


def purge_packets(as_of: dt.datetime, days: int, counts: Counter, limit: int | None = None) -> int:
    """Handover packets older than PACKET_RETENTION_DAYS lose their content (the note links),
    at most `limit` of them, and so do weekly triage lists (their cases); how many packets."""
    old = (
        db.session.execute(
            select(HandoverPacket)
            .where(
                HandoverPacket.created_at < as_of - dt.timedelta(days=days),
                HandoverPacket.purged_at.is_(None),
            )
            .order_by(HandoverPacket.id)
            .limit(limit)
        )
        .unique()
        .scalars()
        .all()
    )
    for packet in old:
        db.session.execute(delete(packet_note).where(packet_note.c.packet_id == packet.id))
        packet.purged_at = as_of
        audit.record("anonymise", "handover_packet", packet.id, username="retention")
        counts["handover_packets"] += 1
    purge_lists(as_of, days, counts)
    return len(old)


def purge_lists(as_of: dt.datetime, days: int, counts: Counter) -> None:
    """Weekly triage lists drafted more than `days` ago lose their cases (the head stays)."""
    old = (
        db.session.execute(
            select(TriageList.id).where(
                TriageList.created_at < as_of - dt.timedelta(days=days),
                TriageList.purged_at.is_(None),
            )
        )
        .scalars()
        .all()
    )
    for list_id in old:
        db.session.execute(delete(TriageListEntry).where(TriageListEntry.list_id == list_id))
        db.session.execute(
            update(TriageList).where(TriageList.id == list_id).values(purged_at=as_of)
        )
        audit.record("anonymise", "triage_list", list_id, username="retention")
        counts["triage_lists"] += 1
