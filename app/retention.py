"""Retention: anonymise incidents closed, and protective orders ended, longer than RETENTION_DAYS
ago; empty old handover packets.

The orchestrator: each domain says what of its own data goes (`triage/`, `dispatch/` and
`handover/retention.py`); this module decides when, counts, and commits a bounded batch at a
time (a year's backlog runs in minutes; an interrupted run loses at most its current batch and
a rerun goes on from there), showing progress.

What remains after anonymisation (times, priorities, levels and scores, units, dispositions,
postcode, coarse coordinates of about 1 km) still serves statistics. Cached geocoding results
go after GEOCODE_CACHE_DAYS, and with the incident they located. Incidents on legal hold
are skipped until the hold is lifted. Each anonymisation is an audit event; a second run finds
nothing to do.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import IO

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from core import audit, clock
from core.db import db
from core.progress import progress
from dispatch import retention as dispatch_retention
from handover import retention as handover_retention
from triage import retention as triage_retention
from triage.models import Incident

BATCH = 500  # incidents per batch (and SMS, packets): each batch is committed on its own
ORDER_BATCH = 500  # protective orders per statement (and per audit event)


def anonymise(incident: Incident, now: dt.datetime, counts: Counter) -> None:
    """Anonymise one incident in every domain that holds its case data, as one audit event."""
    anonymise_batch([incident], now, counts)


def anonymise_batch(incidents: list[Incident], now: dt.datetime, counts: Counter) -> None:
    """Anonymise incidents in every domain that holds their case data, one statement per table
    for all of them and one audit event for each."""
    ids = [incident.id for incident in incidents]
    triage_retention.anonymise_incidents(incidents, now, counts)
    dispatch_retention.anonymise_incidents(ids, counts)
    handover_retention.anonymise_incidents(ids, counts)
    counts["incidents"] += len(ids)
    for incident_id in ids:
        audit.record("anonymise", "incident", incident_id, username="retention")


def anonymise_orders(as_of: dt.datetime, days: int, now: dt.datetime, counts: Counter) -> None:
    """Anonymise the protective orders that ended RETENTION_DAYS ago, a batch at a time, each
    batch one audit event and committed."""
    while ids := triage_retention.due_orders(as_of, days, ORDER_BATCH):
        triage_retention.anonymise_orders(ids, now, counts)
        audit.record("anonymise", "protective_order", object_ids=ids, username="retention")
        db.session.commit()


def run_retention(
    as_of: dt.datetime, dry_run: bool = False, batch: int = BATCH, stream: IO[str] | None = None
) -> Counter:
    """Anonymise what is due as of a moment, in batches of `batch`, each committed with its
    audit events: an interrupted run keeps every batch it finished and leaves no incident half
    done; run again, it goes on with what is left. With dry_run, count only."""
    config = current_app.config
    counts: Counter = Counter()
    days = int(config.get("RETENTION_DAYS", 180))
    if dry_run:
        counts["incidents"] = triage_retention.count_due_incidents(as_of, days)
        counts["stray_sms"] = dispatch_retention.count_stray_messages(as_of, days)
        counts["protective_orders"] = triage_retention.count_due_orders(as_of, days)
        return counts
    now = clock.now()
    total = triage_retention.count_due_incidents(as_of, days)
    with progress("retention run", total, every=batch, stream=stream) as step:
        after = 0
        while due := triage_retention.due_incidents(as_of, days, after, batch):
            anonymise_batch(due, now, counts)
            after = due[-1].id
            db.session.commit()
            step(len(due))
    anonymise_orders(as_of, days, now, counts)
    while stray := dispatch_retention.stray_message_ids(as_of, days, batch):
        dispatch_retention.purge_stray_messages(stray, counts)
        db.session.commit()
    triage_retention.purge_geocode_cache(as_of, int(config.get("GEOCODE_CACHE_DAYS", 30)), counts)
    triage_retention.purge_aml_reports(as_of, int(config.get("AML_MATCH_WINDOW_S", 600)), counts)
    packet_days = int(config.get("PACKET_RETENTION_DAYS", 30))
    while handover_retention.purge_packets(as_of, packet_days, counts, limit=batch):
        db.session.commit()
    db.session.commit()
    return counts


def purge_audit(cutoff: dt.datetime, stream: IO[str] | None = None) -> int:
    """Remove audit events older than the cut-off in committed, signed batches."""
    from core.audit.cli import purge_committed

    return purge_committed(cutoff, stream)


def daily_job(app: Flask) -> None:
    """The scheduler's run (idempotent: a second run changes nothing); old audit goes too."""
    now = clock.now()
    run_retention(now)
    purge_audit(now - dt.timedelta(days=int(app.config.get("AUDIT_RETENTION_DAYS", 1825))))


retention_cli = AppGroup("retention", help="Anonymise old case data.")


@retention_cli.command("run")
@click.option("--dry-run", is_flag=True, help="Only count what would be anonymised.")
@click.option(
    "--batch-size",
    "batch",
    type=click.IntRange(min=1),
    default=BATCH,
    show_default=True,
    help="Incidents per batch (each committed: a rerun goes on after an interruption).",
)
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Pretend today is this date (UTC).",
)
def run_command(dry_run: bool, as_of: dt.datetime | None, batch: int) -> None:
    """Anonymise incidents closed longer than RETENTION_DAYS ago (skipping legal holds), a
    batch at a time; interrupted, run it again to go on."""
    moment = as_of.replace(tzinfo=dt.UTC) if as_of else clock.now()
    counts = run_retention(moment, dry_run, batch)
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
        "geocode_cache",
        "protective_orders",
        "aml_reports",
    )
    for kind in kinds:
        if not dry_run or kind in counts:
            click.echo(f"{verb} {kind}: {counts.get(kind, 0)}")
