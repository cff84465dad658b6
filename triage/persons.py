"""Persons across incidents: candidates a dispatcher confirms or rejects, never a silent link.

Candidates. For each person on an incident, the persons on other incidents that share one of
its keys (triage.keys: phone, name, name and birth year, Double Metaphone of the name). A shared
key only proposes; this rule decides what is offered, so that real repeats are shown and not
every "Jan":
- the same own phone: offered (whatever the names say: the dispatcher sees both);
- otherwise the names must have two words or more on both sides (a first name alone is no
  identity), and then the same name and birth year is offered;
- the same name, or the same phonetic code, only with birth years that agree: both unknown, one
  unknown, or equal; a year estimated from the age at the call (its year minus the age) agrees
  within a year, two estimates within two.
Ranked phone, name and year, name, phonetic, then newest first; at most LIMIT per person. Left
out: the incident itself, incidents already on the person's record, pairs a dispatcher said are
different people, anonymised incidents, incidents the viewer may not see (`access.sees`:
restricted ones only for those allowed), and everything for a scoped token.

A record is shown (its id, its linked persons) only to a viewer who sees two of its persons or
more (`shown_records`): of a link to an incident hidden from them, they would otherwise learn
that the victim has one. To them the person reads as linked to nobody.

Decisions (same, different, unlink) are triage.person_links. Services flush; the route commits.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import selectinload

from accounts.actor import Actor
from core import audit
from core.db import db
from core.errors import DomainError
from core.i18n import lazy_gettext as _l
from triage import access, keys
from triage.models import Assessment, Incident, Person, PersonKey, PersonRejection

LIMIT = 5  # candidates per person: the dispatcher decides each while on the phone
SCAN = 200  # key matches read per person, newest first (a common name cannot load thousands)
RANK = (keys.PHONE, keys.NAME_YEAR, keys.NAME, keys.PHONETIC)
INVALID = _l("Some fields are not valid.")


class PersonError(DomainError):
    """A link decision that cannot be taken, naming the field."""


@dataclass(frozen=True)
class Candidate:
    """A person on another incident who may be the same, and the keys they share."""

    person: Person
    matched_on: tuple[str, ...]


@dataclass(frozen=True)
class PersonMatches:
    """A person on the incident: who it is linked to already, and who it may be."""

    person: Person
    linked: list[Person]
    candidates: list[Candidate]


@dataclass(frozen=True)
class HistoryEntry:
    """One incident of a person's record, with the latest level of each screen."""

    person: Person
    levels: dict[str, str]


def not_found() -> PersonError:
    """404 for a person that does not exist or whose incident the viewer may not see."""
    return PersonError(404, "not_found", _l("No such person."))


def visible_person(actor: Actor, person_id: int) -> Person:
    """The person if the actor may see its incident; otherwise 404 (existence not revealed)."""
    person = db.session.get(Person, person_id)
    if person is None or not access.sees(actor, person.incident):
        raise not_found()
    return person


def _scoped(actor: Actor) -> bool:
    return actor.user is None or (actor.token is not None and bool(actor.token.scopes))


def seer(actor: Actor) -> Callable[[Incident], bool]:
    """`access.sees`, asked once per incident."""
    known: dict[int, bool] = {}

    def sees(incident: Incident) -> bool:
        if incident.id not in known:
            known[incident.id] = access.sees(actor, incident)
        return known[incident.id]

    return sees


def shown_records(actor: Actor, persons: Iterable[Person]) -> set[int]:
    """The persons' records the actor may be shown: those of which it sees two persons or more.

    One query for all the persons of a response. A record of which the actor sees only the one
    person reads as no record (its id would tell of a link to an incident hidden from them);
    one with two seen reads like a record of those two, whatever else is on it.
    """
    wanted = {p.record_id for p in persons if p.record_id is not None}
    if not wanted or _scoped(actor):
        return set()
    rows = db.session.execute(
        select(Person.record_id, Incident)
        .join(Incident, Incident.id == Person.incident_id)
        .where(Person.record_id.in_(wanted))
    ).all()
    sees = seer(actor)
    seen = Counter(record_id for record_id, incident in rows if sees(incident))
    return {record_id for record_id, count in seen.items() if record_id and count >= 2}


def record_of(person: Person, shown: set[int]) -> int | None:
    """The person's record id if it is among the `shown` ones, else None."""
    return person.record_id if person.record_id in shown else None


# --- the rule -------------------------------------------------------------------------------------


def born(person: Person) -> tuple[int, int] | None:
    """(birth year, slack): the year given (slack 0), or the call's year minus the age (1)."""
    if person.birth_year:
        return person.birth_year, 0
    if person.age is not None and person.incident is not None and person.incident.received_at:
        return person.incident.received_at.year - person.age, 1
    return None


def years_agree(a: tuple[int, int] | None, b: tuple[int, int] | None) -> bool:
    """Whether two birth years may be one person's (an unknown one agrees with any)."""
    if a is None or b is None:
        return True
    return abs(a[0] - b[0]) <= a[1] + b[1]


def offered(matched: Iterable[str], mine: Person, other: Person) -> bool:
    """The module's rule: whether shared keys make the other person worth asking about."""
    matched = set(matched)
    if keys.PHONE in matched:
        return True
    if min(len(keys.name_words(mine.name)), len(keys.name_words(other.name))) < 2:
        return False
    if keys.NAME_YEAR in matched:
        return True
    return bool(matched & {keys.NAME, keys.PHONETIC}) and years_agree(born(mine), born(other))


def ranked(matched: Iterable[str]) -> tuple[str, ...]:
    """The shared key kinds, strongest first."""
    return tuple(kind for kind in RANK if kind in set(matched))


# --- candidates -----------------------------------------------------------------------------------


def candidates(incident: Incident, actor: Actor) -> list[PersonMatches]:
    """For each person on the incident: its linked persons and its candidates; audited."""
    if _scoped(actor):
        return []
    sees = seer(actor)
    rejected = _rejections([p.id for p in incident.persons])
    found = []
    for person in incident.persons:
        linked = [q for q in record_persons(person.record_id) if q.id != person.id]
        found.append(
            PersonMatches(
                person,
                [q for q in linked if sees(q.incident)],
                _candidates_of(person, incident, rejected, sees),
            )
        )
    named = {p.incident_id for m in found for p in (*m.linked, *(c.person for c in m.candidates))}
    audit.record("search", "incident_by_person", incident.id, object_ids=sorted(named))
    return found


def _candidates_of(
    person: Person,
    incident: Incident,
    rejected: set[frozenset[int]],
    sees: Callable[[Incident], bool],
) -> list[Candidate]:
    matched = _shared_keys(person, incident)
    ids = [pid for pid in matched if frozenset((person.id, pid)) not in rejected]
    if not ids:
        return []
    others = db.session.execute(
        select(Person).where(Person.id.in_(ids)).options(selectinload(Person.incident))
    ).scalars()
    found = [
        Candidate(other, ranked(matched[other.id]))
        for other in others
        if offered(matched[other.id], person, other) and sees(other.incident)
    ]
    found.sort(key=_rank_key)
    return found[:LIMIT]


def _rank_key(candidate: Candidate) -> tuple[int, float, int]:
    received = candidate.person.incident.received_at
    return RANK.index(candidate.matched_on[0]), -received.timestamp(), -candidate.person.id


def _shared_keys(person: Person, incident: Incident) -> dict[int, set[str]]:
    """Person id → the key kinds it shares with `person`, on other incidents (newest first)."""
    pairs = {(k.kind, k.value) for k in person.keys}
    if not pairs:
        return {}
    conditions = [
        or_(*(and_(PersonKey.kind == kind, PersonKey.value == value) for kind, value in pairs)),
        Person.incident_id != incident.id,
        Incident.anonymised_at.is_(None),
    ]
    if person.record_id is not None:  # incidents already on its record are no news
        on_record = select(Person.incident_id).where(Person.record_id == person.record_id)
        conditions.append(Person.incident_id.not_in(on_record))
    rows = db.session.execute(
        select(PersonKey.person_id, PersonKey.kind)
        .join(Person, Person.id == PersonKey.person_id)
        .join(Incident, Incident.id == Person.incident_id)
        .where(*conditions)
        .order_by(Incident.received_at.desc(), Person.id.desc())
        .limit(SCAN)
    ).all()
    matched: dict[int, set[str]] = {}
    for person_id, kind in rows:
        matched.setdefault(person_id, set()).add(kind)
    return matched


def _rejections(person_ids: list[int]) -> set[frozenset[int]]:
    """The pairs (either way round) a dispatcher said are different people."""
    if not person_ids:
        return set()
    rows = db.session.execute(
        select(PersonRejection.person_id, PersonRejection.other_person_id).where(
            or_(
                PersonRejection.person_id.in_(person_ids),
                PersonRejection.other_person_id.in_(person_ids),
            )
        )
    ).all()
    return {frozenset(row) for row in rows}


def record_persons(record_id: int | None) -> list[Person]:
    """The persons on a record, with their incidents (none without a record)."""
    if record_id is None:
        return []
    return list(
        db.session.execute(
            select(Person)
            .where(Person.record_id == record_id)
            .options(selectinload(Person.incident))
            .order_by(Person.id)
        ).scalars()
    )


# --- history --------------------------------------------------------------------------------------


def history(person: Person, actor: Actor) -> list[HistoryEntry]:
    """The incidents of the person's record the viewer may see, newest first; audited."""
    persons = record_persons(person.record_id) or [person]
    sees = seer(actor)
    visible = [p for p in persons if sees(p.incident)]
    visible.sort(key=lambda p: (p.incident.received_at, p.id), reverse=True)
    levels = latest_levels([p.incident_id for p in visible])
    ids = sorted({p.incident_id for p in visible})
    audit.record("view", "person_history", person.id, object_ids=ids)
    return [HistoryEntry(p, levels.get(p.incident_id, {})) for p in visible]


def latest_levels(incident_ids: list[int]) -> dict[int, dict[str, str]]:
    """Incident id → {instrument: level of its latest screen}."""
    levels: dict[int, dict[str, str]] = {}
    if not incident_ids:
        return levels
    rows = db.session.execute(
        select(Assessment.incident_id, Assessment.instrument_id, Assessment.level)
        .where(Assessment.incident_id.in_(incident_ids))
        .order_by(Assessment.id)
    ).all()
    for incident_id, instrument, level in rows:
        levels.setdefault(incident_id, {})[instrument] = level  # later rows win
    return levels
