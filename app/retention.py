"""Retention: anonymise incidents closed, and protective orders ended, longer than RETENTION_DAYS
ago; empty old handover packets.

The orchestrator: each domain says what of its own data goes (`triage/`, `dispatch/` and
`handover/retention.py`); this module decides when, counts, and commits once.

What remains after anonymisation (times, priorities, levels and scores, units, dispositions,
postcode, coarse coordinates of about 1 km) still serves statistics. Cached geocoding results
go after GEOCODE_CACHE_DAYS, and with the incident they located. Incidents on legal hold
are skipped until the hold is lifted. Each anonymisation is an audit event; a second run finds
nothing to do.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

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


def anonymise(incident: Incident, now: dt.datetime, counts: Counter) -> None:
    """Anonymise one incident in every domain that holds its case data, as one audit event."""
    triage_retention.anonymise(incident, now, counts)
    dispatch_retention.anonymise(incident.id, counts)
    handover_retention.anonymise(incident.id, counts)
    counts["incidents"] += 1
    audit.record("anonymise", "incident", incident.id, username="retention")


ORDER_BATCH = 500  # protective orders per statement (and per audit event)


def anonymise_orders(as_of: dt.datetime, days: int, now: dt.datetime, counts: Counter) -> None:
    """Anonymise the protective orders that ended RETENTION_DAYS ago, a batch at a time, each
    batch one audit event."""
    while ids := triage_retention.due_orders(as_of, days, ORDER_BATCH):
        triage_retention.anonymise_orders(ids, now, counts)
        audit.record("anonymise", "protective_order", object_ids=ids, username="retention")


def run_retention(as_of: dt.datetime, dry_run: bool = False) -> Counter:
    """Anonymise what is due as of a moment; with dry_run, count only."""
    config = current_app.config
    counts: Counter = Counter()
    days = int(config.get("RETENTION_DAYS", 180))
    due = triage_retention.due_incidents(as_of, days)
    stray = dispatch_retention.stray_messages(as_of, days)
    if dry_run:
        counts["incidents"], counts["stray_sms"] = len(due), len(stray)
        counts["protective_orders"] = triage_retention.count_due_orders(as_of, days)
        return counts
    now = clock.now()
    with progress("retention run", len(due), every=100) as step:
        for incident in due:
            anonymise(incident, now, counts)
            step(1)
    anonymise_orders(as_of, days, now, counts)
    dispatch_retention.purge_stray_messages(stray, counts)
    triage_retention.purge_geocode_cache(as_of, int(config.get("GEOCODE_CACHE_DAYS", 30)), counts)
    triage_retention.purge_aml_reports(as_of, int(config.get("AML_MATCH_WINDOW_S", 600)), counts)
    handover_retention.purge_packets(as_of, int(config.get("PACKET_RETENTION_DAYS", 30)), counts)
    db.session.commit()
    return counts


def daily_job(app: Flask) -> None:
    """The scheduler's run (idempotent: a second run changes nothing); old audit goes too."""
    from core.audit.chain import purge_before

    now = clock.now()
    run_retention(now)
    purge_before(now - dt.timedelta(days=int(app.config.get("AUDIT_RETENTION_DAYS", 1825))))
    db.session.commit()


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
        "geocode_cache",
        "protective_orders",
        "aml_reports",
    )
    for kind in kinds:
        if not dry_run or kind in counts:
            click.echo(f"{verb} {kind}: {counts.get(kind, 0)}")
