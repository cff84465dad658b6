"""Retention: anonymise incidents closed longer than RETENTION_DAYS; empty old handover packets.

What remains after anonymisation (times, priorities, levels and scores, units, dispositions,
postcode, coordinates rounded to two decimals) still serves statistics. Incidents on legal hold
are skipped until the hold is lifted. Each anonymisation is an audit event; a second run finds
nothing to do.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import delete, select, update

from app import audit
from app.db import db
from app.scheduler import JOBS
from core import clock
from dispatch.models import Message
from handover.models import HandoverNote, HandoverPacket, packet_note
from triage.models import Assessment, Incident, IncidentStatus, Person, TimelineEvent


def due_incidents(as_of: dt.datetime, days: int) -> list[Incident]:
    """Closed before the cut-off, not on legal hold, not yet anonymised."""
    return list(
        db.session.execute(
            select(Incident)
            .where(
                Incident.status == IncidentStatus.CLOSED,
                Incident.closed_at < as_of - dt.timedelta(days=days),
                Incident.legal_hold.is_(False),
                Incident.anonymised_at.is_(None),
            )
            .order_by(Incident.id)
        ).scalars()
    )


def anonymise(incident: Incident, now: dt.datetime, counts: Counter) -> None:
    """Remove names, phones, narrative, note content, SMS bodies and raw answers of one incident."""
    iid = incident.id
    counts["persons"] += db.session.execute(
        update(Person)
        .where(Person.incident_id == iid)
        .values(name=None, phone=None, phone_index=None)
    ).rowcount
    counts["assessments"] += db.session.execute(
        update(Assessment)
        .where(Assessment.incident_id == iid)
        .values(answers={}, override_reason=None)
    ).rowcount
    counts["timeline_texts"] += db.session.execute(
        update(TimelineEvent)
        .where(TimelineEvent.incident_id == iid, TimelineEvent.detail.isnot(None))
        .values(detail=None)
    ).rowcount
    counts["sms_bodies"] += db.session.execute(
        update(Message).where(Message.incident_id == iid).values(body="")
    ).rowcount
    counts["handover_notes"] += db.session.execute(
        update(HandoverNote).where(HandoverNote.incident_id == iid).values(content={})
    ).rowcount
    incident.address_text = incident.postcode
    incident.address_normalised = incident.address_index = None
    incident.caller_phone = incident.caller_phone_index = incident.narrative = None
    incident.restricted_reason = None
    incident.lat = round(incident.lat, 2) if incident.lat is not None else None
    incident.lon = round(incident.lon, 2) if incident.lon is not None else None
    incident.anonymised_at = now
    counts["incidents"] += 1
    audit.record("anonymise", "incident", iid, username="retention")


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


def stray_messages(as_of: dt.datetime, days: int) -> list[Message]:
    """SMS that never belonged to an incident (unknown senders) and are past retention."""
    return list(
        db.session.execute(
            select(Message).where(
                Message.incident_id.is_(None),
                Message.created_at < as_of - dt.timedelta(days=days),
                Message.from_number.isnot(None),
            )
        ).scalars()
    )


def purge_stray_messages(messages: list[Message], counts: Counter) -> None:
    """Remove body and phone numbers of SMS that no incident holds."""
    for message in messages:
        message.body, message.from_number, message.to_number = "", None, ""
        audit.record("anonymise", "message", message.id, username="retention")
        counts["stray_sms"] += 1


def run_retention(as_of: dt.datetime, dry_run: bool = False) -> Counter:
    """Anonymise what is due as of a moment; with dry_run, count only."""
    config = current_app.config
    counts: Counter = Counter()
    days = int(config.get("RETENTION_DAYS", 180))
    due = due_incidents(as_of, days)
    stray = stray_messages(as_of, days)
    if dry_run:
        counts["incidents"], counts["stray_sms"] = len(due), len(stray)
        return counts
    now = clock.now()
    for incident in due:
        anonymise(incident, now, counts)
    purge_stray_messages(stray, counts)
    purge_packets(as_of, int(config.get("PACKET_RETENTION_DAYS", 30)), counts)
    db.session.commit()
    return counts


def daily_job(app: Flask) -> None:
    """The scheduler's run (idempotent: a second run changes nothing); old audit goes too."""
    from app.audit_chain import purge_before

    now = clock.now()
    run_retention(now)
    purge_before(now - dt.timedelta(days=int(app.config.get("AUDIT_RETENTION_DAYS", 1825))))
    db.session.commit()


JOBS.append(("retention", 3600, daily_job))

retention_cli = AppGroup("retention", help="Anonymise old case data.")


@retention_cli.command("run")
@click.option("--dry-run", is_flag=True, help="Only count what would be anonymised.")
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Pretend today is this date (UTC).",
)
def run_command(dry_run: bool, as_of: dt.datetime | None) -> None:
    """Anonymise incidents closed longer than RETENTION_DAYS ago (skipping legal holds)."""
    moment = as_of.replace(tzinfo=dt.UTC) if as_of else clock.now()
    counts = run_retention(moment, dry_run)
    verb = "would anonymise" if dry_run else "anonymised"
    kinds = (
        "incidents",
        "persons",
        "assessments",
        "timeline_texts",
        "sms_bodies",
        "handover_notes",
        "handover_packets",
        "stray_sms",
    )
    for kind in kinds:
        if not dry_run or kind in counts:
            click.echo(f"{verb} {kind}: {counts.get(kind, 0)}")
