"""`flask demo night --clean`: remove exercise incidents and everything that hangs off them.

Retention never deletes an incident (it anonymises and keeps the rows for statistics), so there
is no deletion path to reuse; instead the rows to remove are found from the schema itself: every
table with a foreign key to `incident`, and to those tables in turn (persons and their keys,
assessments, timeline, referrals, AML reports, assignments and their crews, SMS and alarms,
handover notes, their targets and packet links). A table another change adds is covered
without touching this module. Only rows that hang off an exercise incident are deleted; a real
incident and its rows are never touched. The audit chain is never deleted from (it is a hash
chain): the removal is one more audit event per batch.

A unit still on an exercise assignment (an interrupted night) is made available first, with a
line on its timeline, unless it is also on a real incident.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from sqlalchemy import ColumnElement, Table, delete, exists, or_, select

from accounts.actor import Actor
from accounts.models import ApiToken
from core import audit, clock
from core.db import db
from dispatch import events as dispatch_events
from dispatch.models import Assignment, AssignmentStatus, Unit, UnitStatus
from dispatch.service import ON_INCIDENT, compare_and_set_status
from triage import events as triage_events
from triage.models import Incident, Person, PersonRecord, TimelineSource
from triage.service import add_timeline

BATCH = 200  # incidents per transaction step (and per audit event)
WHO = "demo night --clean"


def exercise_ids() -> list[int]:
    """The ids of the exercise incidents a demo night made (through its `demo-night` tokens),
    oldest first. An exercise a dispatcher took by hand, or one under legal hold, stays: the
    flag cannot be corrected after intake, and a real call wrongly marked must not vanish."""
    from tools.simulator.local import TOKEN_NAME

    demo_tokens = select(ApiToken.id).where(ApiToken.name == TOKEN_NAME)
    query = select(Incident.id).where(
        Incident.exercise.is_(True),
        Incident.legal_hold.is_not(True),
        Incident.created_by_token_id.in_(demo_tokens),
    )
    return list(db.session.execute(query.order_by(Incident.id)).scalars())


def dependants() -> list[tuple[Table, list]]:
    """Every table that hangs off `incident`, directly or through another such table, parents
    before children, with the foreign keys that tie it to them (self-references left out)."""
    found: set[str] = {"incident"}
    ordered: list[tuple[Table, list]] = []
    for table in db.metadata.sorted_tables:  # parents before children
        keys = [
            fk
            for fk in table.foreign_keys
            if fk.column.table.name in found and fk.column.table is not table
        ]
        if keys and table.name != "incident":
            found.add(table.name)
            ordered.append((table, keys))
    return ordered


def _conditions(ids: list[int]) -> dict[str, ColumnElement[bool]]:
    """Per table, the WHERE clause of its rows that hang off the incidents `ids`."""
    incident = Incident.__table__
    where: dict[str, ColumnElement[bool]] = {"incident": incident.c.id.in_(ids)}
    for table, keys in dependants():
        clauses = []
        for fk in keys:
            parent = fk.column.table
            clauses.append(fk.parent.in_(select(fk.column).where(where[parent.name])))
        where[table.name] = or_(*clauses)
    return where


def free_units(ids: list[int], counts: Counter) -> None:
    """Make available the units still on an exercise assignment and on no real one."""
    actor = Actor(None, None, TimelineSource.SYSTEM, name=WHO)
    active = select(Assignment).where(
        Assignment.incident_id.in_(ids), Assignment.status == AssignmentStatus.ACTIVE
    )
    for assignment in db.session.execute(active).scalars().all():
        unit = db.session.get(Unit, assignment.unit_id)
        if unit is None or unit.status not in ON_INCIDENT or _on_real_incident(unit.id, ids):
            continue
        old, now = UnitStatus(unit.status), clock.now()
        if not compare_and_set_status(unit.id, old, UnitStatus.AVAILABLE, now):
            continue  # someone moved it meanwhile: theirs is the newer word
        unit.status, unit.status_changed_at = UnitStatus.AVAILABLE, now
        add_timeline(
            None, "unit.status", actor, unit_id=unit.id, from_state=old, to_state=unit.status
        )
        payload = dispatch_events.unit_event(unit, None, str(actor.source))
        triage_events.publish_about("unit.status", None, payload, payload)
        counts["units_made_available"] += 1


def _on_real_incident(unit_id: int, ids: list[int]) -> bool:
    query = select(Assignment.id).where(
        Assignment.unit_id == unit_id,
        Assignment.status == AssignmentStatus.ACTIVE,
        Assignment.incident_id.not_in(ids),
    )
    return db.session.execute(query.limit(1)).first() is not None


def remove(ids: list[int], counts: Counter) -> None:
    """Delete the incidents `ids` (all exercises) and every row that hangs off them."""
    doomed = Incident.__table__.c.id.in_(ids) & Incident.__table__.c.exercise.is_(True)
    ids = list(db.session.execute(select(Incident.id).where(doomed)).scalars())
    if not ids:
        return
    free_units(ids, counts)
    linked = select(Person.record_id).where(
        Person.incident_id.in_(ids), Person.record_id.isnot(None)
    )
    records = set(db.session.execute(linked).scalars())
    where = _conditions(ids)
    for table, _ in reversed(dependants()):  # children first
        counts[table.name] += db.session.execute(delete(table).where(where[table.name])).rowcount
    counts["incident"] += db.session.execute(
        delete(Incident.__table__).where(where["incident"])
    ).rowcount
    _orphaned_records(records, counts)
    audit.record("delete", "incident", object_ids=ids, reason="exercise", username=WHO)
    db.session.expire_all()  # the ORM's copies of deleted rows must not be flushed back


def _orphaned_records(records: set[int], counts: Counter) -> None:
    """Person records that only exercise persons were linked into go too."""
    if not records:
        return
    unused = ~exists().where(Person.record_id == PersonRecord.id)
    counts["person_record"] += db.session.execute(
        delete(PersonRecord).where(PersonRecord.id.in_(records), unused)
    ).rowcount


def clean(ids: list[int], step: Callable[[int], None]) -> Counter:
    """Remove the exercise incidents `ids` a batch at a time (the caller commits); counts."""
    counts: Counter = Counter()
    for start in range(0, len(ids), BATCH):
        batch = ids[start : start + BATCH]
        remove(batch, counts)
        db.session.flush()
        step(len(batch))
    return counts
