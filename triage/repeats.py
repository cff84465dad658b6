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
import functools

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


# The statements are built once per process with bound values (`_values`): built per call, their
# construction and cache key cost more than the queries. Per tie, the ids of the incidents
# sharing it (the incident itself included).
_TIED = {
    "address": select(Incident.id).where(Incident.address_index == bindparam("address_index")),
    "caller_phone": select(Incident.id).where(
        Incident.caller_phone_index == bindparam("caller_phone_index")
    ),
    # Read in SQL, not from `incident.persons`: a link confirmed by another request (or a bulk
    # update) is seen even when this session's person objects are older.
    "person": select(Person.incident_id)
    .join(_MINE, _MINE.record_id == Person.record_id)
    .where(_MINE.incident_id == bindparam("incident_id"), _MINE.record_id.is_not(None)),
}
_RECEIVED, _ID = bindparam("received"), bindparam("incident_id")
# Earlier than the incident (ties at one instant broken by id), within the window, and as real
# as it: an exercise never makes a real incident a repeat (training stays training).
_BEFORE = (
    Incident.id != _ID,
    Incident.exercise == bindparam("exercise"),
    Incident.received_at >= bindparam("start"),
    or_(
        Incident.received_at < _RECEIVED, and_(Incident.received_at == _RECEIVED, Incident.id < _ID)
    ),
)


def _values(incident: Incident, now: dt.datetime | None) -> dict:
    received = incident.received_at
    return {
        "address_index": incident.address_index,
        "caller_phone_index": incident.caller_phone_index,
        "incident_id": -1 if incident.id is None else incident.id,  # no id: nothing is "it"
        "exercise": bool(incident.exercise),
        "start": (now or received) - window(),
        "received": received,
    }


def _tied(ties: tuple[str, ...]):
    return Incident.id.in_(union_all(*(_TIED[tie] for tie in ties)))


@functools.cache
def _list_statement(ties: tuple[str, ...]) -> Select:
    return (
        select(Incident)
        .where(_tied(ties), *_BEFORE)
        .order_by(Incident.received_at.desc(), Incident.id.desc())
    )


@functools.cache
def _count_statement(ties: tuple[str, ...]) -> Select:
    return select(func.count(Incident.id)).where(
        _tied(ties), *_BEFORE, Incident.restricted.is_(False)
    )


def prior_incidents(
    incident: Incident, now: dt.datetime | None = None
) -> list[tuple[Incident, list[str]]]:
    """Earlier incidents in the window tied to this one, newest first, each with its ties."""
    ties = _ties_of(incident, None)
    if not ties or incident.received_at is None:
        return []
    values = _values(incident, now)
    rows = list(db.session.execute(_list_statement(ties), values).scalars())
    linked: set[int] = set()
    if "person" in ties and rows:
        linked = set(db.session.execute(_TIED["person"], values).scalars())
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
    return db.session.execute(_count_statement(ties), _values(incident, now)).scalar_one()
