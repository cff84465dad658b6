"""Repeat victimisation: the earlier incidents tied to an incident, and how many there are.

Ties: the canonical address (`Incident.address_index`, triage.canonical), the caller's phone
(`Incident.caller_phone_index`) and a person record a dispatcher confirmed (`Person.record_id`,
shared by a person of each incident). Only blind indexes and ids are compared, in one SQL
statement: each tie is an indexed select of incident ids (ix_incident_address_index,
ix_incident_caller_phone_index, ix_person_incident_id joined to ix_person_record_id), their
union picks incidents by primary key. Nothing is decrypted to match.

The window (REPEAT_WINDOW_DAYS, 365) ends at the incident itself: an incident's repeat pattern
is the calls before it, so re-evaluating an old incident after a link is confirmed counts what
came before it, not what came after.
"""

from __future__ import annotations

import datetime as dt

from flask import current_app
from sqlalchemy import Select, and_, bindparam, func, or_, select, union_all
from sqlalchemy.orm import aliased

from core.db import db
from triage.models import Incident, Person
from triage.scoring import REPEAT_THRESHOLD

TIES = ("address", "caller_phone", "person")
# The incident's own persons in the person tie: one alias for the process, as a fresh alias per
# call made SQLAlchemy adapt the Person columns again on every count (about 1.3 ms).
_MINE = aliased(Person, name="mine")


def threshold() -> int:
    """Incidents (this one included) that make a repeat pattern: REPEAT_THRESHOLD."""
    return int(current_app.config.get("REPEAT_THRESHOLD", REPEAT_THRESHOLD))


def window() -> dt.timedelta:
    """How far back earlier incidents count: REPEAT_WINDOW_DAYS."""
    return dt.timedelta(days=int(current_app.config.get("REPEAT_WINDOW_DAYS", 365)))


def _ties_of(incident: Incident, on: tuple[str, ...] | None) -> tuple[str, ...]:
    """The ties the incident has (of `on`, when given)."""
    has = {
        "address": bool(incident.address_index),
        "caller_phone": bool(incident.caller_phone_index),
        "person": incident.id is not None,
    }
    return tuple(tie for tie in TIES if has[tie] and (on is None or tie in on))


def tie_selects(incident: Incident, on: tuple[str, ...] | None = None) -> dict[str, Select]:
    """Per tie, a select of the ids of incidents sharing it (the incident itself included)."""
    ties: dict[str, Select] = {}
    if incident.address_index:
        ties["address"] = select(Incident.id).where(
            Incident.address_index == incident.address_index
        )
    if incident.caller_phone_index:
        ties["caller_phone"] = select(Incident.id).where(
            Incident.caller_phone_index == incident.caller_phone_index
        )
    if incident.id is not None:
        # Read in SQL, not from `incident.persons`: a link confirmed by another request (or a
        # bulk update) is seen even when this session's person objects are older.
        ties["person"] = (
            select(Person.incident_id)
            .join(_MINE, _MINE.record_id == Person.record_id)
            .where(_MINE.incident_id == incident.id, _MINE.record_id.is_not(None))
        )
    return {k: v for k, v in ties.items() if on is None or k in on}


def _before(incident: Incident, now: dt.datetime | None) -> list:
    """Earlier than the incident (ties at one instant broken by id), within the window, and as
    real as it: an exercise never makes a real incident a repeat (training stays training)."""
    received = incident.received_at
    start = (now or received) - window()
    return [
        Incident.id != incident.id,
        Incident.exercise.is_(bool(incident.exercise)),
        Incident.received_at >= start,
        or_(
            Incident.received_at < received,
            and_(Incident.received_at == received, Incident.id < incident.id),
        ),
    ]


def _tied(ties: dict[str, Select]):
    return Incident.id.in_(union_all(*ties.values()))


def prior_incidents(
    incident: Incident, now: dt.datetime | None = None
) -> list[tuple[Incident, list[str]]]:
    """Earlier incidents in the window tied to this one, newest first, each with its ties."""
    ties = tie_selects(incident)
    if not ties or incident.received_at is None:
        return []
    rows = db.session.execute(
        select(Incident)
        .where(_tied(ties), *_before(incident, now))
        .order_by(Incident.received_at.desc(), Incident.id.desc())
    ).scalars()
    rows = list(rows)
    linked: set[int] = set()
    if "person" in ties and rows:
        linked = set(db.session.execute(ties["person"]).scalars())
    return [(row, _matched(incident, row, linked)) for row in rows]


def _matched(incident: Incident, row: Incident, linked: set[int]) -> list[str]:
    found = {
        "address": bool(incident.address_index) and row.address_index == incident.address_index,
        "caller_phone": bool(incident.caller_phone_index)
        and row.caller_phone_index == incident.caller_phone_index,
        "person": row.id in linked,
    }
    return [tie for tie in TIES if found[tie]]


def count_prior(
    incident: Incident, now: dt.datetime | None = None, *, on: tuple[str, ...] | None = None
) -> int:
    """How many incidents `prior_incidents` would list, restricted ones left out: the count is
    stored (repeat flag, a screen's "3 incidents in 12 months") and read by everyone who sees the
    incident, so it must not tell them a restricted one exists (counted, nothing decrypted).
    `on`: only these ties (e.g. ("address",) for the crew's "earlier incidents here").
    """
    ties = _ties_of(incident, on)
    if not ties or incident.received_at is None:
        return 0
    received = incident.received_at
    values = {
        "address_index": incident.address_index,
        "caller_phone_index": incident.caller_phone_index,
        "incident_id": -1 if incident.id is None else incident.id,  # no id: nothing is "it"
        "exercise": bool(incident.exercise),
        "start": (now or received) - window(),
        "received": received,
    }
    return db.session.execute(_count_statement(ties), values).scalar_one()


_COUNTS: dict[tuple[str, ...], Select] = {}


def _count_statement(ties: tuple[str, ...]) -> Select:
    """`count_prior`'s statement for these ties, built once per process with bound values:
    built per call, its construction and cache key cost more than the query itself. The same
    conditions as `tie_selects` and `_before`."""
    statement = _COUNTS.get(ties)
    if statement is not None:
        return statement
    parts = {
        "address": select(Incident.id).where(Incident.address_index == bindparam("address_index")),
        "caller_phone": select(Incident.id).where(
            Incident.caller_phone_index == bindparam("caller_phone_index")
        ),
        "person": select(Person.incident_id)
        .join(_MINE, _MINE.record_id == Person.record_id)
        .where(_MINE.incident_id == bindparam("incident_id"), _MINE.record_id.is_not(None)),
    }
    received, incident_id = bindparam("received"), bindparam("incident_id")
    statement = select(func.count(Incident.id)).where(
        Incident.id.in_(union_all(*(parts[tie] for tie in ties))),
        Incident.id != incident_id,
        Incident.exercise == bindparam("exercise"),
        Incident.received_at >= bindparam("start"),
        or_(
            Incident.received_at < received,
            and_(Incident.received_at == received, Incident.id < incident_id),
        ),
        Incident.restricted.is_(False),
    )
    _COUNTS[ties] = statement
    return statement
