"""Incident intake, corrections, queries and repeat-victimisation look-ups.

Services flush; the route (or job) that called them commits once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from accounts.actor import Actor
from core import audit, clock, crypto
from core.db import db
from core.errors import DomainError
from core.i18n import lazy_gettext as _l
from core.phones import normalise_phone
from triage import addresses, aml_ingest, events, fixes, keys, orders, repeats, screening
from triage.geocoding import normalise_address
from triage.location import OUTSIDE_AREA, Location, incident_key, locate
from triage.models import (
    Incident,
    IncidentStatus,
    Person,
    PersonKey,
    Priority,
    TimelineEvent,
    format_reference,
)
from triage.schemas import ChildrenIn, IncidentCreate, IncidentUpdate, PersonIn
from triage.scoring import MOTIVE_TAGS
from triage.timeline import add_timeline, write_timeline

# Repeat matching lives in triage.repeats; these names are part of this service's interface.
prior_incidents = repeats.prior_incidents
count_prior = repeats.count_prior

ESCALATION_FLAG = "escalation_pattern"
# Set by the system, never by a client: the repeat pattern and the protective-order checks.
SYSTEM_FLAGS = frozenset({ESCALATION_FLAG, OUTSIDE_AREA, *orders.FLAGS})
BASE_PRIORITY = Priority.P3


class IntakeError(DomainError):
    """Intake input that is well-formed but not acceptable, naming the field."""


def fingerprint(body: dict[str, Any]) -> str:
    """A stable hash of a request body, to tell a retry from a different request."""
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


def phone_index(phone: str | None) -> str | None:
    """Blind index of a normalised phone number."""
    return crypto.blind_index(normalise_phone(phone), purpose="phone") if phone else None


def check_flags(flags: list[str], field: str = "flags") -> list[str]:
    """Accept the quick danger flags the console offers; system flags are not for clients."""
    allowed = screening.intake_flags()
    bad = [f for f in flags if f not in allowed]
    if bad:
        message = _l(
            "Unknown or system flag: %(bad)s; allowed: %(allowed)s.",
            bad=", ".join(bad),
            allowed=", ".join(sorted(allowed)),
        )
        raise IntakeError(
            422, "validation_error", _l("Some fields are not valid."), {field: message}
        )
    return sorted(set(flags))


def check_motives(motives: list[str], field: str = "motives") -> list[str]:
    """Accept known motive codes only: a typo must not silently drop an aggravating motive."""
    bad = [m for m in motives if m not in MOTIVE_TAGS]
    if bad:
        message = _l(
            "Unknown motive: %(bad)s; known: %(known)s.",
            bad=", ".join(bad),
            known=", ".join(MOTIVE_TAGS),
        )
        raise IntakeError(
            422, "validation_error", _l("Some fields are not valid."), {field: message}
        )
    return [m for m in MOTIVE_TAGS if m in set(motives)]


def children_dict(children: ChildrenIn | None) -> dict[str, Any] | None:
    return children.model_dump() if children is not None else None


def _reference(incident: Incident) -> str:
    return format_reference(incident.received_at.astimezone(clock.zone()).year, incident.id)


def _persons(items: list[PersonIn]) -> list[Person]:
    return [fill_person(Person(role=p.role), p) for p in items]


def fill_person(person: Person, given: PersonIn) -> Person:
    """Set a person's fields and keys from the input; key rows that stay the same are kept."""
    person.name, person.age, person.birth_year = given.name, given.age, given.birth_year
    person.language, person.phone = given.language, given.phone
    person.phone_index = phone_index(given.phone)
    wanted = keys.person_keys(given.name, given.birth_year, given.phone)
    kept = [k for k in person.keys if (k.kind, k.value) in wanted]
    have = {(k.kind, k.value) for k in kept}
    person.keys = kept + [PersonKey(kind=k, value=v) for k, v in wanted if (k, v) not in have]
    return person


def apply_location(incident: Incident, location: Location) -> None:
    """Set the point, quality, postcode, district and structured address a location gives;
    `outside_area` flags a point outside the service area (and goes when it is back inside)."""
    incident.lat, incident.lon = location.lat, location.lon
    others = [f for f in incident.flags or [] if f != OUTSIDE_AREA]
    incident.flags = sorted([*others, OUTSIDE_AREA]) if location.outside else others
    incident.location_quality = location.quality
    incident.postcode, incident.district = location.postcode, location.district
    incident.address_normalised = location.normalised  # the geocode cache's key material
    # The unit is sent the official street with number and box (triage.addresses), never the
    # typed text; without an official street, the postcode and district.
    street = location.street
    found = addresses.house_number(incident.address_text, street, normalise_address)
    incident.address_street = street
    incident.address_number = found.number if found and street else None
    incident.address_box = found.box if found and street else None


def apply_key(incident: Incident) -> None:
    """The canonical address key (triage.canonical) and its blind index, what repeats,
    duplicates, search and orders match by: from the structured address, else the typed text."""
    incident.address_key, incident.address_index = incident_key(
        incident.address_text,
        incident.address_street,
        incident.address_number,
        incident.address_box,
        incident.postcode,
    )


def apply_structured(incident: Incident, body: IncidentCreate | IncidentUpdate) -> bool:
    """The structured street, number and box a form or an integration sent win; True if any."""
    given = body.model_fields_set & {"street", "house_number", "box"}
    if not given:
        return False
    if "street" in given:
        incident.address_street = body.street
    if "house_number" in given:
        incident.address_number = body.house_number
    if "box" in given:
        incident.address_box = body.box
    return True


def _new_incident(
    body: IncidentCreate, actor: Actor, key: str | None, print_: str | None
) -> Incident:
    flags = check_flags(body.flags)
    motives = check_motives(body.motives)
    children = children_dict(body.children)
    present = body.children.present if body.children and body.children.present is not None else None
    incident = Incident(
        reference=f"TMP-{uuid.uuid4().hex[:24]}",
        idempotency_key=key,
        idempotency_fingerprint=print_,
        address_text=body.address,
        access_notes=body.access_notes,
        caller_phone=body.caller_phone,
        caller_phone_index=phone_index(body.caller_phone),
        narrative=body.narrative,
        flags=flags,
        requested_skills=sorted(set(body.requested_skills)),
        children_present=present if present is not None else body.children_present,
        children=children,
        motives=motives,
        exercise=body.exercise,
        status=IncidentStatus.NEW,
        priority=screening.flags_priority(flags, BASE_PRIORITY),
        created_by_id=actor.user.id if actor.user else None,
        created_by_token_id=actor.token.id if actor.token else None,
    )
    return incident


def create_incident(
    body: IncidentCreate,
    actor: Actor,
    idempotency_key: str | None = None,
    *,
    held_locations: bool = True,
) -> tuple[Incident, bool]:
    """Take a call: insert first (the idempotency key is unique), then locate and enrich.

    Returns the incident and whether it was created now (False: a retry of an earlier call).
    `held_locations=False` for a call another centre transferred: it is not our caller's
    handset, so the locations held for the number stay for our own intake.
    """
    idempotency_key = scoped_key(actor, idempotency_key)
    print_ = fingerprint(body.model_dump(mode="json")) if idempotency_key else None
    fixes.check_fix(body)
    location = locate(body.address, body.lat, body.lon, body.accuracy_m)
    incident = _new_incident(body, actor, idempotency_key, print_)
    apply_location(incident, location)
    fixes.apply_fix(incident, body)
    apply_structured(incident, body)
    apply_key(incident)
    incident.persons = _persons(body.persons)  # inserted with the incident, in one flush
    db.session.add(incident)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        return _replay(idempotency_key, print_), False
    incident.reference = _reference(incident)  # needs the id
    db.session.flush()
    mark_repeat(incident, actor)
    apply_orders(incident, actor)
    add_timeline(
        incident.id,
        "incident.created",
        actor,
        to_state=incident.status,
        data={"priority": incident.priority, "location_quality": incident.location_quality},
    )
    if held_locations:  # our caller's phone may have sent its location first
        aml_ingest.attach_held(incident)
    audit.record("create", "incident", incident.id)
    events.publish_incident("incident.created", incident)
    return incident, True


def scoped_key(actor: Actor, key: str | None) -> str | None:
    """The stored form of a client's Idempotency-Key: one per token (or user), hashed.

    Keys of different clients never meet, so nobody replays another client's call, or learns
    that a key is in use; and the client's own string is not kept.
    """
    if key is None:
        return None
    if actor.token is not None:
        scope = f"token:{actor.token.id}"
    else:
        scope = f"user:{actor.user.id}" if actor.user else "system"
    return hashlib.sha256(f"{scope}\n{key}".encode()).hexdigest()


def _replay(key: str | None, print_: str | None) -> Incident:
    existing = db.session.execute(
        select(Incident).where(Incident.idempotency_key == key)
    ).scalar_one_or_none()
    if key is None or existing is None:
        raise IntakeError(409, "conflict", _l("The incident could not be stored; retry."))
    if existing.idempotency_fingerprint != print_:
        raise IntakeError(
            409,
            "idempotency_conflict",
            _l("This Idempotency-Key was already used with a different request."),
            {"Idempotency-Key": _l("Reused with a different body.")},
        )
    return existing


def apply_orders(incident: Incident, actor: Actor) -> bool:
    """Raise (or drop) the protective-order flags the register gives for the incident's address
    and persons (triage.orders); each change on the timeline. True if the flags changed."""
    found = orders.flags_for(incident)
    kept = [f for f in incident.flags if f not in orders.FLAGS]
    flags = sorted({*kept, *found.flags})
    if flags == sorted(incident.flags):
        return False
    added = sorted(set(flags) - set(incident.flags))
    incident.flags = flags
    raised = screening.flags_priority(flags, Priority(incident.priority))
    for flag in added:
        add_timeline(
            incident.id,
            f"flag.{flag}",
            actor,
            from_state=incident.priority,
            to_state=raised,
            data={"orders": found.order_ids},
        )
    incident.priority = raised
    return True


def mark_repeat(incident: Incident, actor: Actor) -> bool:
    """Flag the repeat-victimisation pattern (and raise the priority) when it holds; True if
    flagged now. Safe to call again at any time (after a person link is confirmed): the flag,
    its timeline line and the raised priority come once. A flag once set is never withdrawn
    here (an unlinked person does not lower a priority; a supervisor may)."""
    if ESCALATION_FLAG in (incident.flags or []):
        return False
    prior = count_prior(incident)
    if prior + 1 < repeats.threshold():
        return False
    incident.flags = sorted({*(incident.flags or []), ESCALATION_FLAG})
    raised = screening.escalation_priority(incident.priority)
    add_timeline(
        incident.id,
        "flag.escalation_pattern",
        actor,
        from_state=incident.priority,
        to_state=raised,
        data={"incidents_12_months": prior + 1, "window_days": repeats.window().days},
    )
    incident.priority = raised
    return True


def get_incident(incident_id: int) -> Incident | None:
    """Load one incident."""
    return db.session.get(Incident, incident_id)


def list_incidents(
    status: str | None, priority: str | None, since: dt.datetime | None, page: int, per_page: int
) -> tuple[list[Incident], int]:
    """A page of incidents, most urgent first, then oldest first (the queue order)."""
    query = select(Incident)
    if status:
        query = query.where(Incident.status == status)
    if priority:
        query = query.where(Incident.priority == priority)
    if since:
        since = since if since.tzinfo else since.replace(tzinfo=dt.UTC)
        query = query.where(Incident.received_at >= since)
    total = db.session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = (
        db.session.execute(
            query.order_by(Incident.priority, Incident.received_at, Incident.id)
            .offset((page - 1) * per_page)
            .limit(per_page)
        )
        .scalars()
        .all()
    )
    return list(rows), total


def timeline(incident_id: int) -> list[TimelineEvent]:
    """The incident's timeline, oldest first."""
    write_timeline()
    return list(
        db.session.execute(
            select(TimelineEvent)
            .where(TimelineEvent.incident_id == incident_id)
            .order_by(TimelineEvent.occurred_at, TimelineEvent.id)
        ).scalars()
    )
