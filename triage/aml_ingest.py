"""Caller locations from telephony (AML, triage.aml): stored once, attached to the open call
from the same number, or held for the intake that follows; the call's point moves only when
the fix is better, and never off a dispatcher's pin or an exactly geocoded address.

The report keeps only what locating needs (triage.models.AmlReport): the number's blind index,
the point and radius encrypted, the time, confidence and method. The timeline line says what
came and whether it was applied, never where. The HTTPS form is authenticated by its HMAC when
AML_HMAC_KEY is set; the SMS forms carry none (the operator's SMSC relays them) and are taken
on the `aml` token alone. Services flush; the route commits.

triage.service calls `attach_held` at intake, so this module does not import it (no cycle
inside triage): the number's blind index is triage.keys' phone key (what intake stores as
`caller_phone_index`), the timeline line is written here, and the point is set as
`service.apply_location` sets a located point, the address left as it was.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from typing import Any

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from accounts.actor import Actor
from core import audit, clock
from core.db import db
from core.errors import DomainError
from core.i18n import lazy_gettext as _l
from triage import aml, events, keys
from triage.location import OUTSIDE_AREA, locate
from triage.models import (
    AmlReport,
    Incident,
    IncidentStatus,
    LocationQuality,
    TimelineSource,
)
from triage.timeline import add_timeline

MAX_BYTES = 4096  # the longest AML message is a few hundred bytes
KIND = "location.aml"
SOURCE = "aml"
BINARY = "application/octet-stream"  # the data SMS as received: packed septets
# When a held report is attached by an intake, no person did it: the timeline names AML.
AML_ACTOR = Actor(None, None, TimelineSource.SYSTEM, name="AML")
_HEX = re.compile(r"[0-9A-Fa-f]+")

# aml.AmlError's problems (English, for logs) in the caller's language.
PROBLEMS = {
    "missing": _l("Missing."),
    "hmac must be the last field: 40 hex digits": _l(
        "The hmac must be the last field: 40 hexadecimal digits."
    ),
    "a field given twice": _l("This field is given twice."),
    "not a number": _l("Not a number."),
    "latitude out of range": _l("A latitude is between -90 and 90."),
    "longitude out of range": _l("A longitude is between -180 and 180."),
    "the radius must be positive": _l("The radius must be more than 0."),
    "a percentage is 0 to 100": _l("A percentage is between 0 and 100."),
    "seconds since 1970 expected": _l("Seconds since 1970 expected."),
    "time out of range": _l("The time is out of range."),
    "YYYYMMDDhhmmss expected": _l("YYYYMMDDhhmmss expected."),
    "a phone number expected": _l("A phone number expected."),
    "key=value expected": _l("key=value expected."),
    "latitude,longitude[,radius] expected": _l("latitude,longitude[,radius] expected."),
    "version 1 or 2 expected": _l("Version 1 or 2 expected."),
    "only version 1 of the HTTPS form is known": _l("Only version 1 of the HTTPS form is known."),
}


class AmlIngestError(DomainError):
    """An AML message that is too large, unreadable or not authentic, naming the field."""


def window() -> dt.timedelta:
    """How long a report waits for, or attaches to, a call from the same number."""
    return dt.timedelta(seconds=int(current_app.config.get("AML_MATCH_WINDOW_S", 600)))


def read_body(data: bytes, media_type: str | None) -> str:
    """The message as text: the data SMS's bytes as hex, any other body as UTF-8 (413/422)."""
    if len(data) > MAX_BYTES:
        message = _l("The message is larger than %(n)s bytes.", n=MAX_BYTES)
        raise AmlIngestError(413, "payload_too_large", message, {"body": message})
    if media_type == BINARY:
        return data.hex()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        fields = {"body": _l("Not UTF-8 text.")}
    raise AmlIngestError(422, "validation_error", _l("Some fields are not valid."), fields)


def is_form(text: str) -> bool:
    """Whether the message is the HTTPS form (the one form that carries an HMAC)."""
    stripped = text.strip()
    is_hex = _HEX.fullmatch(stripped) is not None and len(stripped) % 2 == 0
    return not stripped.startswith(aml.SMS_PREFIX) and not is_hex


def check_hmac(text: str, key: str | None, unsigned_sms: bool = False) -> None:
    """With a key set, refuse an HTTPS form whose HMAC is missing or wrong, and the SMS forms
    (they cannot carry one) unless AML_UNSIGNED_SMS allows them (403)."""
    if not key:
        return
    if not is_form(text):
        if unsigned_sms:
            return
        problem = _l("With a key set, only signed HTTPS messages are taken.")
        raise AmlIngestError(
            403, "forbidden", _l("The message is not authentic."), {"hmac": problem}
        )
    if "&hmac=" not in text:
        problem = _l("Missing: the HTTPS form must be signed.")
    elif not aml.verify_hmac(text, key):
        problem = _l("Does not match the message.")
    else:
        return
    raise AmlIngestError(403, "forbidden", _l("The message is not authentic."), {"hmac": problem})


def read_fix(text: str) -> aml.AmlFix:
    """Parse the message; a malformed one is a 422 naming its field."""
    try:
        return aml.parse(text)
    except aml.AmlError as exc:
        problem = PROBLEMS.get(exc.problem, _l("Not a valid value."))
        raise AmlIngestError(
            422, "validation_error", _l("Some fields are not valid."), {exc.field: problem}
        ) from None


def receive(
    data: bytes, media_type: str | None, number: str | None, actor: Actor
) -> tuple[AmlReport, bool]:
    """Store a received message once (by its digest) and attach it to the open call from its
    number; returns the report and whether it was new (False: the same message again)."""
    text = read_body(data, media_type)
    config = current_app.config
    check_hmac(text, config.get("AML_HMAC_KEY"), bool(config.get("AML_UNSIGNED_SMS")))
    fix = read_fix(text)
    report = _new_report(fix, number)
    try:
        with db.session.begin_nested():
            db.session.add(report)
    except IntegrityError:
        return _existing(report.digest), False
    audit.record("create", "aml_report", report.id)
    # Every open call from the number gets it: a call made later with the same number (by
    # someone who knows it) cannot take the handset's locations away from the real one.
    for incident in open_incidents(report.phone_index, report.received_at):
        if attach(report, incident, actor):
            audit.record("update", "incident", incident.id)
        events.publish_incident("incident.updated", incident)
    return report, True


def digest(fix: aml.AmlFix, index: str | None) -> str:
    """What makes two messages the same: what was read from them, not their bytes (spaces, field
    order or an unknown extra field make no new report)."""
    parts = (index, fix.latitude, fix.longitude, fix.radius_m, fix.located_at, fix.confidence)
    return hashlib.sha256(repr((*parts, fix.method)).encode()).hexdigest()


def _new_report(fix: aml.AmlFix, number: str | None) -> AmlReport:
    index = phone_index(fix.number or number)
    return AmlReport(
        digest=digest(fix, index),
        received_at=clock.now(),
        phone_index=index,
        lat=fix.latitude,
        lon=fix.longitude,
        radius_m=fix.radius_m,
        located_at=fix.located_at,
        confidence=fix.confidence,
        method=fix.method[:16] if fix.method else None,
        applied=False,
    )


def phone_index(number: str | None) -> str | None:
    """The number's blind index, as intake keys the caller's phone (triage.keys)."""
    return dict(keys.person_keys(None, None, number)).get(keys.PHONE)


def _existing(digest: str) -> AmlReport:
    return db.session.execute(select(AmlReport).where(AmlReport.digest == digest)).scalar_one()


def open_incidents(index: str | None, now: dt.datetime) -> list[Incident]:
    """The calls from the number that are not closed, taken within the window, oldest first
    (the report names the newest)."""
    if index is None:
        return []
    query = (
        select(Incident)
        .where(
            Incident.caller_phone_index == index,
            Incident.status != IncidentStatus.CLOSED,
            Incident.created_at >= now - window(),
        )
        .order_by(Incident.created_at, Incident.id)
    )
    return list(db.session.execute(query).scalars())


def attach_held(incident: Incident) -> AmlReport | None:
    """At intake: attach the best report held for the caller's number within the window
    (smallest radius, then newest) and apply it by the same rule; None if there is none."""
    if incident.caller_phone_index is None:
        return None
    held = db.session.execute(
        select(AmlReport).where(
            AmlReport.incident_id.is_(None),
            AmlReport.phone_index == incident.caller_phone_index,
            AmlReport.received_at >= clock.now() - window(),
        )
    ).scalars()
    for report in sorted(held, key=_best_first):
        if _claim(report, incident):  # a concurrent intake may have taken it
            attach(report, incident, AML_ACTOR)
            return report
    return None


def _best_first(report: AmlReport) -> tuple[bool, float, float]:
    """Known radius first, smallest first; then the newest fix (or receipt)."""
    at = report.located_at or report.received_at
    radius = report.radius_m
    return (radius is None, radius if radius is not None else 0.0, -at.timestamp())


def _claim(report: AmlReport, incident: Incident) -> bool:
    """Compare-and-set: the report goes to this incident only if it is still held."""
    claimed = db.session.execute(
        update(AmlReport)
        .where(AmlReport.id == report.id, AmlReport.incident_id.is_(None))
        .values(incident_id=incident.id)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed:
        report.incident_id = incident.id
    return bool(claimed)


def attach(report: AmlReport, incident: Incident, actor: Actor) -> bool:
    """Attach the report to the incident, move its point if the fix is better (timeline line
    without coordinates); True if the point moved."""
    report.incident_id = incident.id
    previous = str(incident.location_quality)
    located_at = fix_time(report.located_at)
    kept = kept_because(incident, report.radius_m, located_at)
    applied = kept is None
    report.applied = report.applied or applied
    if applied:
        move_point(incident, report, located_at)
    add_timeline(
        incident.id,
        KIND,
        actor,
        from_state=previous,
        to_state=str(incident.location_quality),
        data=timeline_data(report, located_at, kept),
    )
    return applied


def fix_time(located_at: dt.datetime | None) -> dt.datetime | None:
    """The fix's time, never later than now (a phone's clock may run ahead of ours)."""
    if located_at is None:
        return None
    return min(located_at, clock.now())


def kept_because(
    incident: Incident, radius: float | None, located_at: dt.datetime | None
) -> str | None:
    """Why the incident's point stays (None: the fix is better and moves it).

    A fix older than the window is stale. No point: any fix is better. A dispatcher's pin and an
    exactly geocoded address are never moved. Otherwise the fix is better when its radius is
    smaller (an unknown radius is worse than any known one), or when it is newer and its radius
    is not larger.
    """
    if located_at is not None and located_at < clock.now() - window():
        return "stale"  # an old fix (or an old message sent again) never moves a call
    if incident.lat is None or incident.lon is None:
        return None
    if pinned(incident):
        return "dispatcher"
    if exact_address(incident):
        return "exact_address"
    current = incident.location_accuracy_m
    if radius is not None and (current is None or radius < current):
        return None
    newer = located_at is not None and (
        incident.location_at is None or located_at > incident.location_at
    )
    not_larger = current is None or (radius is not None and radius <= current)
    return None if newer and not_larger else "not_better"


def pinned(incident: Incident) -> bool:
    """Whether a dispatcher placed the point (a map pin, or a point given as manual)."""
    return (
        incident.location_source == "dispatcher"
        or incident.location_quality == LocationQuality.MANUAL
    )


def exact_address(incident: Incident) -> bool:
    """Whether the point is the address's exact geocoding (or an exact point of unknown source)."""
    exact = incident.location_quality == LocationQuality.EXACT
    return exact and incident.location_source in (None, "geocoder")


def move_point(incident: Incident, report: AmlReport, located_at: dt.datetime | None) -> None:
    """Set the incident's point to the fix as intake locates a given point (triage.location):
    quality, district, `outside_area` and the coarse copy follow it. The address stays what it
    was (typed text, structured street, number, box, postcode), so its canonical key does not
    change: the key says which household, the point only where the phone is."""
    location = locate(incident.address_text, report.lat, report.lon, report.radius_m)
    incident.lat, incident.lon = location.lat, location.lon  # the coarse copies follow
    others = [f for f in incident.flags or [] if f != OUTSIDE_AREA]
    incident.flags = sorted([*others, OUTSIDE_AREA]) if location.outside else others
    incident.location_quality = location.quality
    incident.district = location.district
    incident.location_accuracy_m = report.radius_m
    incident.location_at = located_at
    incident.location_source = SOURCE


def timeline_data(
    report: AmlReport, located_at: dt.datetime | None, kept: str | None
) -> dict[str, Any]:
    """What the timeline says of a report: how sure, how fixed, whether applied; never where."""
    data: dict[str, Any] = {
        "report_id": report.id,
        "radius_m": report.radius_m,
        "method": report.method,
        "confidence": report.confidence,
        "located_at": located_at.isoformat() if located_at else None,
        "applied": kept is None,
    }
    if kept is not None:
        data["kept_because"] = kept
    return data
