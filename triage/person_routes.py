"""Persons across incidents (triage.persons): candidates ("zelfde persoon?"), the dispatcher's
decision, unlinking and a person's history. Board only; a person or incident the viewer may not
see is a 404, as if it did not exist."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from flask import request
from pydantic import Field, StringConstraints, ValidationError

from core.api import api, endpoint, field_errors, problem
from core.i18n import lazy_gettext as _l
from core.policies import BOARD
from core.ratelimit import per_user
from core.schemas import DbId, Input, Output
from triage import person_links, persons
from triage.access import current_actor, incident_or_404
from triage.models import Incident, Person

TAGS = ("persons",)


class LinkedIncident(Output):
    """Another incident of the person's record (one the viewer may see)."""

    person_id: int
    incident_id: int
    reference: str
    received_at: dt.datetime
    role: str


class CandidateRead(Output):
    """A person on another incident who may be the same, as the viewer reads that incident."""

    person_id: int
    matched_on: list[str] = Field(description="phone, name_year, name, phonetic: strongest first")
    incident_id: int
    reference: str
    received_at: dt.datetime
    restricted: bool
    role: str
    name: str | None
    age: int | None
    birth_year: int | None
    record_id: int | None


class PersonMatchesRead(Output):
    """A person on the incident, its links and its candidates."""

    person_id: int
    role: str
    name: str | None
    age: int | None
    birth_year: int | None
    record_id: int | None
    linked: list[LinkedIncident]
    candidates: list[CandidateRead]


class CandidateList(Output):
    """Per person on the incident: who it may be on other incidents."""

    incident_id: int
    limit: int = Field(description="candidates shown per person at most")
    items: list[PersonMatchesRead]


class LinkDecision(Input):
    """The dispatcher's answer to "zelfde persoon?"."""

    other_person_id: DbId
    decision: Literal["same", "different"]


class LinkRead(Output):
    """What the decision left: the record both are on ("same"), and whether anything changed."""

    person_id: int
    other_person_id: int
    decision: str
    changed: bool
    record_id: int | None
    flags: list[str] = Field(description="the person's incident's flags now")


class UnlinkBody(Input):
    """Why the link was wrong (kept on the person's own incident's timeline)."""

    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=1000)]


class UnlinkRead(Output):
    """The person, now on no record."""

    person_id: int
    changed: bool
    record_id: int | None


class HistoryEntryRead(Output):
    """One incident of the person's record."""

    person_id: int
    incident_id: int
    reference: str
    received_at: dt.datetime
    priority: str
    status: str
    restricted: bool
    role: str
    name: str | None
    age: int | None
    birth_year: int | None
    levels: dict[str, str] = Field(description="instrument → level of its latest screen")


class PersonHistory(Output):
    """The incidents of the person's record the viewer may see, newest first."""

    person_id: int
    record_id: int | None
    items: list[HistoryEntryRead]


def _who(person: Person, shown: set[int]) -> dict:
    return {
        "person_id": person.id,
        "role": str(person.role),
        "name": person.name,
        "age": person.age,
        "birth_year": person.birth_year,
        "record_id": persons.record_of(person, shown),
    }


def _where(incident: Incident) -> dict:
    return {
        "incident_id": incident.id,
        "reference": incident.reference,
        "received_at": incident.received_at,
    }


def _matches_read(found: persons.PersonMatches, shown: set[int]) -> PersonMatchesRead:
    return PersonMatchesRead(
        **_who(found.person, shown),
        linked=[
            LinkedIncident(person_id=q.id, role=str(q.role), **_where(q.incident))
            for q in found.linked
        ],
        candidates=[
            CandidateRead(
                **_who(c.person, shown),
                **_where(c.person.incident),
                matched_on=list(c.matched_on),
                restricted=bool(c.person.incident.restricted),
            )
            for c in found.candidates
        ],
    )


@api.get("/incidents/<int:incident_id>/person-candidates")
@per_user("lookup", "LOOKUP_RATE_LIMIT", "60 per minute")
@endpoint(
    "Persons on other incidents who may be the same",
    BOARD,
    response=CandidateList,
    errors=(404,),
    tags=TAGS,
)
def person_candidates(incident_id: int):
    """For each person on the incident, persons on other incidents sharing a phone, a name (with
    the birth year) or a phonetic name, that the viewer may see; never linked without a person.
    Limited per user, in one bucket with the other look-ups (search, duplicates, trajectory)."""
    actor = current_actor()
    incident = incident_or_404(incident_id)
    found = persons.candidates(incident, actor)  # audited there
    everyone = [p for m in found for p in (m.person, *(c.person for c in m.candidates))]
    shown = persons.shown_records(actor, everyone)
    return CandidateList(
        incident_id=incident.id,
        limit=persons.LIMIT,
        items=[_matches_read(m, shown) for m in found],
    )


@api.post("/persons/<int:person_id>/links")
@endpoint(
    "Same person or someone else",
    BOARD,
    body=LinkDecision,
    response=LinkRead,
    errors=(404, 409),
    tags=TAGS,
)
def decide_link(person_id: int, body: LinkDecision):
    """ "same": both persons join one person record (the repeat pattern is asked again);
    "different": the pair is not offered again. Repeating a decision changes nothing."""
    actor = current_actor()
    person = persons.visible_person(actor, person_id)
    other = _other(actor, body.other_person_id)
    changed = person_links.decide(person, other, body.decision, actor)
    return LinkRead(
        person_id=person.id,
        other_person_id=other.id,
        decision=body.decision,
        changed=changed,
        record_id=persons.record_of(person, persons.shown_records(actor, [person])),
        flags=list(person.incident.flags),
    )


def _other(actor, other_id: int) -> Person:
    """The other person of a decision: one the viewer may see, else a field error (a missing
    and a hidden person read alike)."""
    try:
        return persons.visible_person(actor, other_id)
    except persons.PersonError:
        raise problem(
            422,
            "validation_error",
            persons.INVALID,
            {"other_person_id": _l("No such person (or you may not see it).")},
        ) from None


@api.delete("/persons/<int:person_id>/link")
@endpoint(
    "Unlink a person from its record",
    BOARD,
    response=UnlinkRead,
    errors=(404, 422),
    tags=TAGS,
)
def unlink_person(person_id: int):
    """Take the person off its person record; a reason (`{"reason": ...}`) is required."""
    actor = current_actor()
    person = persons.visible_person(actor, person_id)  # before the body: a hidden person is 404
    body = _unlink_body()
    changed = person_links.unlink(person, body.reason, actor)
    shown = persons.shown_records(actor, [person])  # a link it may not see stays, unshown
    return UnlinkRead(
        person_id=person.id, changed=changed, record_id=persons.record_of(person, shown)
    )


# The guard answers before the body is read (a hidden person is a 404 whatever is sent), so the
# view validates it itself; the document still describes it.
unlink_person.api_spec.body = UnlinkBody  # type: ignore[attr-defined]


def _unlink_body() -> UnlinkBody:
    payload = request.get_json(silent=True) if request.is_json else None
    try:
        return UnlinkBody.model_validate(payload if isinstance(payload, dict) else {})
    except ValidationError as exc:
        raise problem(422, "validation_error", persons.INVALID, field_errors(exc)) from None


@api.get("/persons/<int:person_id>/history")
@endpoint("A person's incidents", BOARD, response=PersonHistory, errors=(404,), tags=TAGS)
def person_history(person_id: int):
    """The incidents of the person's record that the viewer may see: reference, date, priority,
    status, role and the latest level of each screen; audited."""
    actor = current_actor()
    person = persons.visible_person(actor, person_id)
    entries = persons.history(person, actor)
    shown = persons.shown_records(actor, [person])  # every entry is on this one record
    return PersonHistory(
        person_id=person.id,
        record_id=persons.record_of(person, shown),
        items=[
            HistoryEntryRead(
                **_who(e.person, shown),
                **_where(e.person.incident),
                priority=str(e.person.incident.priority),
                status=str(e.person.incident.status),
                restricted=bool(e.person.incident.restricted),
                levels=e.levels,
            )
            for e in entries
        ],
    )
