"""EIDO exchange: gather an incident's facts for an export; take a received EIDO as a call.

An export's persons need a stated legal basis, a code from LEGAL_BASES (never free text: the
audit trail keeps it for years and cannot be edited):
- `art_458ter`: consultation on a case of intra-family violence (Sw./C.p. art. 458ter);
- `judicial_request`: a request or order of the public prosecutor or an investigating judge;
- `vital_interest`: a person's life or physical integrity is at stake now (GDPR art. 6.1.d);
- `consent`: the person agreed to the transfer.

A received EIDO becomes an incident through triage's intake (the same checks, priority rules,
repeat and order screening as a call), once per sender and EIDO id (an id is unique only within
its sender): `Incident.eido_id` holds sha256(sender, id), unique, and
`Incident.idempotency_fingerprint` the document's own hash (an EIDO-made incident has no
Idempotency-Key). The same document again answers its incident; the same sender and id with
other content is a 409. The insert happens inside a savepoint; when two copies race, the
loser's savepoint is rolled back (with the live events it queued) and the winner's incident is
answered. A document that names our own agency (our export sent back) is refused: it is no new
call. Every incident, a received one too, is exported under our own id (`incident_urn`): once
taken, the incident is ours, and the sender's id stays with the sender.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import current_app
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from accounts.actor import Actor
from core import audit, clock
from core.api import field_errors, problem
from core.db import db
from core.i18n import lazy_gettext as _l
from dispatch import eido
from dispatch.models import Assignment, Unit
from triage import events as triage_events
from triage import fixes, referrals, scoring
from triage import service as triage_service
from triage.models import Incident, Priority
from triage.schemas import IncidentCreate

LEGAL_BASES = ("art_458ter", "judicial_request", "vital_interest", "consent")
# Timeline kinds that are status changes (exported as notes by kind and states, never text).
NOTE_KINDS = frozenset(
    {
        "incident.created",
        "incident.status",
        "incident.closed",
        "unit.status",
        "assignment.created",
        "assignment.cleared",
        "assignment.released",
    }
)
MAX_ID = 255  # a longer received $id is refused (no sender needs more)
MAX_NARRATIVE = 10_000


def sender() -> str:
    """Who we are in the documents we send (EXCHANGE_SENDER)."""
    return str(current_app.config["EXCHANGE_SENDER"])


def export(incident: Incident, legal_basis: str | None) -> dict[str, Any]:
    """The incident's EIDO, persons included when a legal basis is given; audited as an export
    (with the legal basis)."""
    facts = incident_facts(incident, with_persons=legal_basis is not None)
    audit.record("export", "incident", incident.id, reason=legal_basis)
    return eido.export(facts, sender(), clock.now())


def incident_facts(incident: Incident, *, with_persons: bool) -> eido.IncidentFacts:
    """What an export may say about an incident, as plain data."""
    return eido.IncidentFacts(
        document_id=eido.incident_urn(incident.reference, sender()),
        reference=incident.reference,
        status=str(incident.status),
        priority=str(incident.priority),
        received_at=incident.received_at,
        updated_at=incident.updated_at,
        closed_at=incident.closed_at,
        place=_place(incident),
        units=_units(incident.id),
        notes=_notes(incident.id),
        persons=[_person(p) for p in incident.persons] if with_persons else None,
    )


def _place(incident: Incident) -> eido.Place:
    return eido.Place(
        lat=incident.lat,
        lon=incident.lon,
        accuracy_m=incident.location_accuracy_m,
        located_at=incident.location_at,
        source=incident.location_source,
        street=incident.address_street,
        number=incident.address_number,
        box=incident.address_box,
        postcode=incident.postcode,
        district=incident.district,
    )


def _units(incident_id: int) -> list[eido.UnitFact]:
    rows = db.session.execute(
        select(Assignment)
        .where(Assignment.incident_id == incident_id)
        .order_by(Assignment.assigned_at, Assignment.id)
    ).scalars()
    return [
        eido.UnitFact(a.unit.call_sign, str(a.unit.status), str(a.status), a.assigned_at)
        for a in rows
    ]


def _notes(incident_id: int) -> list[eido.NoteFact]:
    events = [e for e in triage_service.timeline(incident_id) if e.kind in NOTE_KINDS]
    unit_ids = {e.unit_id for e in events if e.unit_id is not None}
    query = select(Unit.id, Unit.call_sign).where(Unit.id.in_(unit_ids))
    signs = {unit_id: sign for unit_id, sign in db.session.execute(query)}
    return [
        eido.NoteFact(e.occurred_at, e.kind, e.from_state, e.to_state, signs.get(e.unit_id))
        for e in events
    ]


def _person(person: Any) -> eido.PersonFact:
    return eido.PersonFact(
        str(person.role), person.name, person.age, person.birth_year, person.language
    )


# --- receiving ------------------------------------------------------------------------------


def receive(document: dict[str, Any], actor: Actor) -> tuple[Incident, bool]:
    """Create an incident from a schema-valid EIDO, once per sender and EIDO id; returns the
    incident and whether it was created now (False: this document was received before). The
    same sender and id with other content is a 409; a document of ours is a 422."""
    got = eido.received(document)
    _check_received(document, got)
    key, print_ = eido.receipt_key(got.sender, got.eido_id), eido.fingerprint(document)
    # The audit's lock on its chain head orders concurrent receipts (and, on SQLite, opens the
    # transaction the savepoint below nests in).
    audit.record("receive", "eido")
    existing = _by_eido_id(key)
    if existing is not None:
        return _same_content(existing, print_), False
    body = intake_body(got, actor)
    try:
        with db.session.begin_nested():
            # A transferred call is not our caller's handset: held AML locations stay ours.
            incident, _ = triage_service.create_incident(body, actor, held_locations=False)
            incident.eido_id, incident.idempotency_fingerprint = key, print_
            db.session.flush()
    except IntegrityError:  # the savepoint's live events go with it (core.db)
        return _same_content(_winner(key), print_), False
    _sender_priority(incident, got, actor)
    referrals.suggest(incident, actor)
    return incident, True


def _check_received(document: dict[str, Any], got: eido.Received) -> None:
    """Refuse an over-long id, and a document of ours (our export sent back): 422 naming the
    field."""
    ours = eido.names_us(document, sender())
    if ours is not None:
        message = _l("Names our own agency: our own EIDO is not taken back as a new call.")
        raise problem(422, "validation_error", _l("Some fields are not valid."), {ours: message})
    if len(got.eido_id) > MAX_ID:
        message = _l("May be at most %(n)s characters.", n=MAX_ID)
        raise problem(422, "validation_error", _l("Some fields are not valid."), {"$.$id": message})


def _by_eido_id(key: str) -> Incident | None:
    query = select(Incident).where(Incident.eido_id == key)
    return db.session.execute(query).scalar_one_or_none()


def _winner(key: str) -> Incident:
    incident = _by_eido_id(key)
    if incident is None:
        raise problem(409, "conflict", _l("The incident could not be stored; retry."))
    return incident


def _same_content(incident: Incident, print_: str) -> Incident:
    """The incident of an earlier receipt of this document; 409 when its content differs."""
    if incident.idempotency_fingerprint != print_:
        raise problem(
            409,
            "conflict",
            _l("This sender already sent an EIDO with this id and different content."),
            {"$.$id": _l("Already received from this sender with different content.")},
        )
    return incident


def intake_body(got: eido.Received, actor: Actor) -> IncidentCreate:
    """The intake of a received EIDO: location, address, callback number, persons, and the
    sender's notes as the narrative (each line prefixed with who sent it); 422 if intake
    refuses."""
    place = got.place
    point = place.lat is not None and place.lon is not None
    data = {
        "address": address_text(got),
        "lat": place.lat,
        "lon": place.lon,
        "accuracy_m": place.accuracy_m if point else None,
        "located_at": _fix_time(place) if point else None,
        "location_source": "network" if point else None,
        "caller_phone": got.caller_phone,
        "persons": [_person_in(p) for p in got.persons[:20]],
        "narrative": _narrative(got, actor),
    }
    try:
        return IncidentCreate.model_validate({k: v for k, v in data.items() if v is not None})
    except ValidationError as exc:
        fields = field_errors(exc)
        raise problem(422, "validation_error", _l("Some fields are not valid."), fields) from None


def _fix_time(place: eido.Place) -> dt.datetime | None:
    """The fix's time, at most now; None when older than intake takes (the point still holds:
    it is where the sender puts the incident, only its age is unknown)."""
    if place.located_at is None:
        return None
    now = clock.now()
    return min(place.located_at, now) if place.located_at >= now - fixes.MAX_AGE else None


def address_text(got: eido.Received) -> str | None:
    """The civic address as one line: `street number box, postcode city`."""
    place = got.place
    street = " ".join(v for v in (place.street, place.number, place.box) if v)
    town = " ".join(v for v in (place.postcode, got.city or place.district) if v)
    text = ", ".join(v for v in (street, town) if v)
    return text[:300] or None


def _person_in(person: eido.PersonFact) -> dict[str, Any]:
    return {
        "role": person.role,
        "name": (person.name or "")[:200] or None,
        "age": person.age,
        "birth_year": person.birth_year,
        "language": person.language,
    }


def _narrative(got: eido.Received, actor: Actor) -> str | None:
    """The sender's notes, every line prefixed with who really sent it (the token or user that
    authenticated) and the agency the document claims: a note cannot pass for one of ours."""
    if not got.notes:
        return None
    prefix = f"[EIDO via {_plain(actor.label)}, afzender {_plain(got.sender) or '?'}]"
    lines = [line for note in got.notes for line in note.splitlines() or [""]]
    return "\n".join(f"{prefix} {line}" for line in lines)[:MAX_NARRATIVE]


def _plain(text: str) -> str:
    """A name for the prefix: printable, no brackets or commas, at most 80 characters."""
    kept = "".join(c if c.isprintable() and c not in "[]," else " " for c in text)
    return " ".join(kept.split())[:80]


def _sender_priority(incident: Incident, got: eido.Received, actor: Actor) -> None:
    """Put the sender's priority on the timeline; one of ours (P1–P4) may raise the incident's
    priority, never lower it (our own rules stay)."""
    ours = str(incident.priority)
    theirs = got.priority if got.priority in set(Priority) else None
    raised = scoring.combine_priority(ours, theirs) if theirs else ours
    triage_service.add_timeline(
        incident.id,
        "eido.received",
        actor,
        from_state=ours,
        to_state=raised,
        data={"sender": got.sender[:100], "sender_priority": (got.priority or "")[:32] or None},
    )
    if raised != ours:
        incident.priority = Priority(raised)
        db.session.flush()
        triage_events.publish_incident("incident.updated", incident)
