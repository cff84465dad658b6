"""Triage's part of retention: which incidents are due, and what of them is anonymised."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from sqlalchemy import select, update

from core.db import db
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
    """Remove names, phones, narrative, raw answers and timeline texts; keep what statistics use.

    What remains: times, priorities, levels and scores, dispositions, the postcode, coordinates
    rounded to two decimals.
    """
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
    incident.address_text = incident.postcode
    incident.address_normalised = incident.address_index = None
    incident.caller_phone = incident.caller_phone_index = incident.narrative = None
    incident.restricted_reason = None
    incident.lat = round(incident.lat, 2) if incident.lat is not None else None
    incident.lon = round(incident.lon, 2) if incident.lon is not None else None
    incident.anonymised_at = now
