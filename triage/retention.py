"""Triage's part of retention: which incidents and protective orders are due, and what of them
is anonymised."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from sqlalchemy import delete, func, or_, select, update

from core import crypto
from core.db import db
from triage import service
from triage.models import (
    AmlReport,
    Assessment,
    GeocodeCacheEntry,
    Incident,
    IncidentStatus,
    OrderKey,
    Person,
    PersonKey,
    ProtectiveOrder,
    TimelineEvent,
)


def _due(as_of: dt.datetime, days: int) -> tuple:
    """Closed before the cut-off, not on legal hold, not yet anonymised."""
    return (
        Incident.status == IncidentStatus.CLOSED,
        Incident.closed_at < as_of - dt.timedelta(days=days),
        Incident.legal_hold.is_(False),
        Incident.anonymised_at.is_(None),
    )


def due_incidents(
    as_of: dt.datetime, days: int, after: int = 0, limit: int | None = None
) -> list[Incident]:
    """The incidents due (`_due`) with an id above `after`, oldest id first, at most `limit`."""
    query = select(Incident).where(*_due(as_of, days), Incident.id > after).order_by(Incident.id)
    return list(db.session.execute(query.limit(limit)).scalars())


def count_due_incidents(as_of: dt.datetime, days: int) -> int:
    """How many incidents `due_incidents` would give, all batches together."""
    query = select(func.count()).select_from(Incident).where(*_due(as_of, days))
    return db.session.execute(query).scalar_one()


def anonymise(incident: Incident, now: dt.datetime, counts: Counter) -> None:
    """Anonymise one incident (`anonymise_incidents`)."""
    anonymise_incidents([incident], now, counts)


def anonymise_incidents(incidents: list[Incident], now: dt.datetime, counts: Counter) -> None:
    """Remove names, phones, narrative, raw answers and timeline texts; keep what statistics use.

    What remains: times, priorities, levels and scores, dispositions, motives, referrals, the
    number of children, the postcode, the coarse coordinates (two decimals, about 1 km). The
    geocoder's cached result for the address goes too, and so do the keys it was matched by
    (address key, person keys and person links). One statement per table for the whole batch.
    """
    ids = [incident.id for incident in incidents]
    # A person's keys and confirmed link would still find (and tie) them: they go too.
    counts["person_keys"] += db.session.execute(
        delete(PersonKey).where(
            PersonKey.person_id.in_(select(Person.id).where(Person.incident_id.in_(ids)))
        )
    ).rowcount
    counts["persons"] += db.session.execute(
        update(Person)
        .where(Person.incident_id.in_(ids))
        .values(name=None, phone=None, phone_index=None, birth_year=None, record_id=None)
    ).rowcount
    counts["assessments"] += db.session.execute(
        update(Assessment)
        .where(Assessment.incident_id.in_(ids))
        .values(answers={}, override_reason=None, victim_fear=None)
    ).rowcount
    # The caller's handset locations go with the call (the coarse copy on the incident stays).
    counts["aml_reports"] += db.session.execute(
        delete(AmlReport).where(AmlReport.incident_id.in_(ids))
    ).rowcount
    service.write_timeline()  # lines of this transaction too: none keeps its text
    counts["timeline_texts"] += db.session.execute(
        update(TimelineEvent)
        .where(TimelineEvent.incident_id.in_(ids), TimelineEvent.detail.isnot(None))
        .values(detail=None)
    ).rowcount
    # The cache is keyed by the normalised text's index (not the canonical key's).
    cached = {crypto.blind_index(i.address_normalised, purpose="address") for i in incidents}
    cached.discard(None)
    if cached:
        counts["geocode_cache"] += db.session.execute(
            delete(GeocodeCacheEntry).where(GeocodeCacheEntry.address_index.in_(cached))
        ).rowcount
    for incident in incidents:
        _strip(incident, now)


def _strip(incident: Incident, now: dt.datetime) -> None:
    """The incident's own case fields (the coarse coordinates stay)."""
    incident.address_text = incident.postcode
    incident.address_normalised = incident.address_index = incident.address_key = None
    incident.address_street = incident.address_number = incident.address_box = None
    incident.access_notes = None
    incident.caller_phone = incident.caller_phone_index = incident.narrative = None
    incident.restricted_reason = None
    # Ages and "at risk" with a postcode can point at a family; how many children stays.
    if incident.children:
        incident.children = {"count": incident.children.get("count")}
    kept = incident.lat_coarse, incident.lon_coarse
    incident.lat = incident.lon = incident.location_accuracy_m = incident.location_at = None
    incident.lat_coarse, incident.lon_coarse = kept  # about a kilometre stays, for statistics
    incident.anonymised_at = now


def purge_geocode_cache(as_of: dt.datetime, days: int, counts: Counter) -> None:
    """Forget geocoding results older than GEOCODE_CACHE_DAYS (an address is case data too)."""
    counts["geocode_cache"] += db.session.execute(
        delete(GeocodeCacheEntry).where(
            GeocodeCacheEntry.created_at < as_of - dt.timedelta(days=days)
        )
    ).rowcount


def purge_aml_reports(as_of: dt.datetime, window_s: int, counts: Counter) -> None:
    """Delete held caller locations older than AML_MATCH_WINDOW_S: no intake can take them any
    more (an attached one goes when its incident is anonymised)."""
    counts["aml_reports"] += db.session.execute(
        delete(AmlReport).where(
            AmlReport.incident_id.is_(None),
            AmlReport.received_at < as_of - dt.timedelta(seconds=window_s),
        )
    ).rowcount


def _orders_due(as_of: dt.datetime, days: int):
    """Orders not yet anonymised that ended (at their end or revocation, whichever is later)
    before the cut-off."""
    cutoff = as_of - dt.timedelta(days=days)
    return (
        ProtectiveOrder.anonymised_at.is_(None),
        ProtectiveOrder.valid_to < cutoff,
        or_(ProtectiveOrder.revoked_at.is_(None), ProtectiveOrder.revoked_at < cutoff),
    )


def count_due_orders(as_of: dt.datetime, days: int) -> int:
    """How many protective orders `due_orders` would give, all batches together."""
    query = select(func.count()).select_from(ProtectiveOrder).where(*_orders_due(as_of, days))
    return db.session.execute(query).scalar_one()


def due_orders(as_of: dt.datetime, days: int, limit: int) -> list[int]:
    """The ids of the next `limit` protective orders to anonymise, oldest first."""
    query = select(ProtectiveOrder.id).where(*_orders_due(as_of, days))
    return list(db.session.execute(query.order_by(ProtectiveOrder.id).limit(limit)).scalars())


def anonymise_orders(ids: list[int], now: dt.datetime, counts: Counter) -> None:
    """Remove who and where from ended orders, and the keys calls were matched by.

    What remains: the kind, the period, the revocation time, the issuing authority and whether
    it was restricted, for statistics; no call can be flagged by it any more.
    """
    counts["order_keys"] += db.session.execute(
        delete(OrderKey).where(OrderKey.order_id.in_(ids))
    ).rowcount
    counts["protective_orders"] += db.session.execute(
        update(ProtectiveOrder)
        .where(ProtectiveOrder.id.in_(ids), ProtectiveOrder.anonymised_at.is_(None))
        .values(
            subject_name=None,
            subject_birth_year=None,
            subject_phone=None,
            protected_persons=[],
            address_text=None,
            address_key=None,
            address_index=None,
            revoke_reason=None,
            order_reference=None,
            anonymised_at=now,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
