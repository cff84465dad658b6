"""Morning packets: built exactly once per (organisation, handover date), acknowledged, reminded.

Which notes a packet holds: the notes addressed to the organisation whose `created_at` lies in
the packet's window [handover time the day before, handover time that day) (see
`handover.window`), that the note's legal basis lets the organisation receive, and that were
not corrected by a newer version before the window closed. A correction is a new note row:
it joins the packet of the window it was written in (so a correction written after a packet
went out reaches the organisation the next morning, marked as a correction). Each note row is
therefore in at most one packet per organisation, and the content of a packet depends only on
the notes' timestamps, not on when it was built. A packet keeps the note rows it carried; what
a packet view shows of each is its current state (`handover.serialise.packet_notes`).

Exactly once: the packet row is inserted first, under the unique (organisation, date)
constraint; a builder that loses the race gets an IntegrityError, rolls back and skips. Each
packet is its own transaction, so a crash leaves whole packets or none.

Catch-up: the job builds every missing packet whose handover time has passed, looking back
`HANDOVER_CATCHUP_DAYS` dates, never for dates before the organisation existed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import exists, insert, select, update
from sqlalchemy.exc import IntegrityError

from accounts.models import Organisation
from core import audit
from core.db import db
from handover import events, settings, sharing
from handover.models import HandoverPacket, packet_note
from handover.service import latest_versions_query, lock_organisation
from handover.window import ONE_DAY, handover_instant, handover_window, latest_handover_date


class NotYetDueError(ValueError):
    """The handover time of the requested date has not passed."""


@dataclass
class BuildResult:
    """What one build run did."""

    built: list[int]
    existing: int = 0


def _partners() -> list[Organisation]:
    query = select(Organisation).where(Organisation.receives_handover.is_(True))
    return list(db.session.execute(query.order_by(Organisation.id)).scalars())


def _insert_packet(org: Organisation, day: dt.date, now: dt.datetime) -> HandoverPacket | None:
    """Insert the packet row first; None when another builder already made it."""
    start, end = handover_window(day, settings.handover_time(), settings.zone())
    lock_organisation(org.id)  # waits for notes being written to this organisation
    packet = HandoverPacket(
        organisation_id=org.id,
        handover_date=day,
        window_start=start,
        window_end=end,
        created_at=now,
    )
    db.session.add(packet)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        return None
    return packet


def _fill(packet: HandoverPacket, org: Organisation, actor: str) -> list[int]:
    query = latest_versions_query(packet.window_start, packet.window_end, org.id)
    notes = db.session.execute(query).scalars().all()
    ids = [n.id for n in notes if sharing.may_share(n.legal_basis, n.consent, str(org.kind))]
    if ids:
        db.session.execute(
            insert(packet_note), [{"packet_id": packet.id, "note_id": i} for i in ids]
        )
    audit.record("create", "handover_packet", packet.id, object_ids=ids, username=actor)
    return ids


def build_packet(
    org: Organisation, day: dt.date, now: dt.datetime, actor: str = "system"
) -> HandoverPacket | None:
    """Build and commit one organisation's packet for a date; None if it already existed."""
    try:
        packet = _insert_packet(org, day, now)
        if packet is None:
            return None
        _fill(packet, org, actor)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return packet


def _due(org: Organisation, day: dt.date) -> bool:
    """A packet is owed from the first handover after the organisation was created."""
    _, end = handover_window(day, settings.handover_time(), settings.zone())
    return org.created_at < end


def build_date(day: dt.date, now: dt.datetime, actor: str = "system") -> BuildResult:
    """Build the missing packets of one handover date (refused while its time is to come)."""
    if handover_instant(day, settings.handover_time(), settings.zone()) > now:
        raise NotYetDueError(day.isoformat())
    result = BuildResult(built=[])
    for org in _partners():
        if not _due(org, day):
            continue
        packet = build_packet(org, day, now, actor)
        if packet is None:
            result.existing += 1
        else:
            result.built.append(packet.id)
    return result


def due_dates(now: dt.datetime) -> list[dt.date]:
    """The handover dates the catch-up covers, oldest first, up to the latest passed one."""
    latest = latest_handover_date(now, settings.handover_time(), settings.zone())
    return [latest - n * ONE_DAY for n in reversed(range(settings.catchup_days()))]


def build_due(now: dt.datetime, actor: str = "system") -> list[int]:
    """Build every missing packet of the catch-up dates (what the scheduler runs)."""
    built: list[int] = []
    for day in due_dates(now):
        built += build_date(day, now, actor).built
    return built


def reminder_due(day: dt.date) -> dt.datetime:
    """When an unacknowledged packet of the date is reminded (the next reminder time after it)."""
    zone, reminder = settings.zone(), settings.reminder_time()
    due = handover_instant(day, reminder, zone)
    if due <= handover_instant(day, settings.handover_time(), zone):
        due = handover_instant(day + ONE_DAY, reminder, zone)
    return due


def send_reminders(now: dt.datetime) -> int:
    """Escalate each packet with notes not acknowledged by the reminder time, once (CAS).

    Empty packets may be acknowledged but are not escalated: there is nothing to miss.
    """
    oldest = due_dates(now)[0]
    query = select(HandoverPacket).where(
        HandoverPacket.acknowledged_at.is_(None),
        HandoverPacket.reminded_at.is_(None),
        HandoverPacket.handover_date >= oldest,
        exists().where(packet_note.c.packet_id == HandoverPacket.id),
    )
    sent = 0
    for packet in db.session.execute(query.order_by(HandoverPacket.id)).scalars().all():
        if reminder_due(packet.handover_date) > now or not _claim_reminder(packet.id, now):
            continue
        events.packet_not_acknowledged(packet, packet.organisation)
        sent += 1
    db.session.commit()
    return sent


def _claim_reminder(packet_id: int, now: dt.datetime) -> bool:
    result = db.session.execute(
        update(HandoverPacket)
        .where(
            HandoverPacket.id == packet_id,
            HandoverPacket.reminded_at.is_(None),
            HandoverPacket.acknowledged_at.is_(None),
        )
        .values(reminded_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def acknowledge(packet: HandoverPacket, user_id: int, now: dt.datetime) -> bool:
    """Record the first pickup (compare-and-set); False when it was already acknowledged."""
    result = db.session.execute(
        update(HandoverPacket)
        .where(HandoverPacket.id == packet.id, HandoverPacket.acknowledged_at.is_(None))
        .values(acknowledged_at=now, acknowledged_by_id=user_id)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(packet)
    if result.rowcount != 1:
        return False
    audit.record("acknowledge", "handover_packet", packet.id)
    events.packet_acknowledged(packet, packet.organisation)
    return True
