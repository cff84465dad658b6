"""The dispatcher's decisions on persons across incidents (candidates: triage.persons).

"same" puts both persons on one PersonRecord (a new one, the one either already has,
or the two records merged into the older); "different" stores a PersonRejection so the pair is
not offered again; unlinking takes one person off its record (a record left with one person is
dissolved). Each change: a timeline line on every incident concerned (ids, never names), an
audit record, `incident.updated` for each incident; after a link the repeat pattern is asked
again (`service.mark_repeat`) on every incident of the record. Repeating a decision changes
nothing. Services flush; the route commits.

A decision never changes the record of a person the actor may not see (a restricted incident's
victim, linked by a supervisor). Unlinking a person whose record the actor is not shown
(`persons.shown_records`: they see no other person on it) answers as for a person without a
link; unlinking from a record they are shown leaves the hidden persons on it (dissolved only
when one person is left). Merging two records with a hidden person on either is refused: a
supervisor, or someone who may see those incidents, decides it. A correction that removes a
person from its call (`drop`) takes it off its record whatever the actor may see.
"""

from __future__ import annotations

from typing import cast

from sqlalchemy import CursorResult, delete, select, update
from sqlalchemy.exc import IntegrityError

from accounts.actor import Actor
from core import audit
from core.db import db
from core.i18n import lazy_gettext as _l
from triage import events, service
from triage.models import Incident, Person, PersonRecord, PersonRejection
from triage.persons import INVALID, PersonError, record_persons, seer, shown_records

DROPPED = _l("Removed when the call was corrected")


def decide(person: Person, other: Person, decision: str, actor: Actor) -> bool:
    """Record "same" or "different" for the pair; False when it was already so."""
    _check_pair(person, other)
    if decision == "same":
        return link(person, other, actor)
    return reject(person, other, actor)


def _check_pair(person: Person, other: Person) -> None:
    if other.id == person.id:
        message = _l("A person cannot be linked to itself.")
    elif other.incident_id == person.incident_id:
        message = _l("Both persons are on the same incident.")
    else:
        return
    raise PersonError(422, "validation_error", INVALID, {"other_person_id": message})


def link(person: Person, other: Person, actor: Actor) -> bool:
    """Put both persons on one record; re-ask the repeat pattern on its incidents."""
    if person.record_id is not None and person.record_id == other.record_id:
        return False
    _forget_rejection(person, other)
    record_id = _join(person, other, actor)
    _on_both("person.linked", person, other, actor, record_id=record_id)
    audit.record("link", "person", person.id, object_ids=[other.id])
    db.session.flush()
    _recheck_repeat(record_id, actor, {person.incident_id, other.incident_id})
    return True


def _join(person: Person, other: Person, actor: Actor) -> int:
    """The record both are on now: a new one, the one either had, or the two merged."""
    mine, theirs = person.record_id, other.record_id
    if mine is None and theirs is None:
        record = PersonRecord(created_by_id=actor.user.id if actor.user else None)
        db.session.add(record)
        db.session.flush()
        _claim([person, other], record.id)
        return record.id
    if mine is None and theirs is not None:
        _claim([person], theirs)
        return theirs
    if theirs is None and mine is not None:
        _claim([other], mine)
        return mine
    assert mine is not None and theirs is not None  # both on a record: merge
    _check_merge(mine, theirs, actor)
    keep, drop = sorted((mine, theirs))  # the older record stays: its id is already on lines
    db.session.execute(
        update(Person)
        .where(Person.record_id == drop)
        .values(record_id=keep)
        .execution_options(synchronize_session="fetch")
    )
    db.session.execute(delete(PersonRecord).where(PersonRecord.id == drop))
    return keep


def _check_merge(mine: int, theirs: int, actor: Actor) -> None:
    """Refuse to merge records with a person on an incident the actor may not see: it would
    move a link a supervisor made without them knowing of it."""
    sees = seer(actor)
    if all(sees(q.incident) for r in (mine, theirs) for q in record_persons(r)):
        return
    raise PersonError(
        409,
        "conflict",
        _l("These persons can only be linked by a supervisor."),
        {"other_person_id": _l("Ask a supervisor to link them.")},
    )


def _claim(persons: list[Person], record_id: int) -> None:
    """Put persons without a record on it, in one compare-and-set: a link another dispatcher
    made in the meantime is a 409, never overwritten."""
    done = cast(
        CursorResult,
        db.session.execute(
            update(Person)
            .where(Person.id.in_([p.id for p in persons]), Person.record_id.is_(None))
            .values(record_id=record_id)
            .execution_options(synchronize_session="fetch")
        ),
    ).rowcount
    if done != len(persons):
        raise PersonError(
            409,
            "conflict",
            _l("These persons were linked in the meantime: reload and decide again."),
        )


def _forget_rejection(person: Person, other: Person) -> None:
    pair = {person.id, other.id}
    db.session.execute(
        delete(PersonRejection).where(
            PersonRejection.person_id.in_(pair), PersonRejection.other_person_id.in_(pair)
        )
    )


def reject(person: Person, other: Person, actor: Actor) -> bool:
    """Remember that the two are different people, so the pair is not offered again."""
    if person.record_id is not None and person.record_id == other.record_id:
        raise PersonError(
            409,
            "conflict",
            _l("These persons are linked as one person: unlink first."),
            {"other_person_id": _l("Linked to this person.")},
        )
    low, high = sorted((person.id, other.id))  # one row per pair, whoever asked first
    try:
        with db.session.begin_nested():
            db.session.add(
                PersonRejection(
                    person_id=low,
                    other_person_id=high,
                    decided_by_id=actor.user.id if actor.user else None,
                )
            )
    except IntegrityError:
        return False  # already decided (by this or another dispatcher)
    _on_both("person.rejected", person, other, actor)
    audit.record("reject_link", "person", person.id, object_ids=[other.id])
    _publish({person.incident_id, other.incident_id})
    return True


def unlink(person: Person, reason: str, actor: Actor) -> bool:
    """Take the person off its record (a record left with one person is dissolved); False when
    the actor is shown no record for it (none, or only persons they may not see on it)."""
    if person.record_id not in shown_records(actor, [person]):
        return False  # as for a person without a link: a hidden link is not told, nor undone
    _take_off(person, reason, actor)
    return True


def drop(person: Person, actor: Actor) -> None:
    """Take a person that a correction removes from its call off its record, if on one."""
    if person.record_id is not None:
        _take_off(person, str(DROPPED), actor)


def _take_off(person: Person, reason: str, actor: Actor) -> None:
    record_id = person.record_id
    assert record_id is not None
    rest = [q for q in record_persons(record_id) if q.id != person.id]
    person.record_id = None
    if len(rest) <= 1:  # one person is no record
        for q in rest:
            q.record_id = None
    db.session.flush()
    if len(rest) <= 1:
        db.session.execute(delete(PersonRecord).where(PersonRecord.id == record_id))
    # The reason stays on the person's own incident: the others' viewers may not see this one.
    data = {"person_id": person.id, "record_id": record_id}
    service.add_timeline(person.incident_id, "person.unlinked", actor, detail=reason, data=data)
    for q in rest:
        service.add_timeline(
            q.incident_id,
            "person.unlinked",
            actor,
            data={"person_id": q.id, "other_person_id": person.id, "record_id": record_id},
        )
    audit.record("unlink", "person", person.id, object_ids=[q.id for q in rest])
    _publish({person.incident_id, *(q.incident_id for q in rest)})


def _on_both(kind: str, person: Person, other: Person, actor: Actor, **extra: int) -> None:
    for mine, theirs in ((person, other), (other, person)):
        data = {"person_id": mine.id, "other_person_id": theirs.id, **extra}
        service.add_timeline(mine.incident_id, kind, actor, data=data)


def _recheck_repeat(record_id: int, actor: Actor, touched: set[int]) -> None:
    """The repeat pattern on every incident of the record; `incident.updated` where it changed
    and on the incidents the decision touched."""
    on_record = select(Person.incident_id).where(Person.record_id == record_id)
    incidents = db.session.execute(
        select(Incident).where(Incident.id.in_(on_record)).order_by(Incident.received_at)
    ).scalars()
    changed = set(touched)
    for incident in incidents:
        before = list(incident.flags)
        service.mark_repeat(incident, actor)
        if incident.flags != before:
            changed.add(incident.id)
    _publish(changed)


def _publish(incident_ids: set[int]) -> None:
    for incident_id in sorted(incident_ids):
        incident = db.session.get(Incident, incident_id)
        if incident is not None:
            events.publish_incident("incident.updated", incident)
