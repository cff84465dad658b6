"""Handover's part of retention: note content of anonymised incidents, and old packets."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from sqlalchemy import delete, select, update

from core import audit
from core.db import db
from handover.models import HandoverNote, HandoverPacket, packet_note


def anonymise(incident_id: int, counts: Counter) -> None:
    """Empty the content of an anonymised incident's handover notes."""
    counts["handover_notes"] += db.session.execute(
        update(HandoverNote).where(HandoverNote.incident_id == incident_id).values(content={})
    ).rowcount


def purge_packets(as_of: dt.datetime, days: int, counts: Counter) -> None:
    """Handover packets older than PACKET_RETENTION_DAYS lose their content (the note links)."""
    old = (
        db.session.execute(
            select(HandoverPacket).where(
                HandoverPacket.created_at < as_of - dt.timedelta(days=days),
                HandoverPacket.purged_at.is_(None),
            )
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
