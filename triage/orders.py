"""House bans and protection orders: what the register says about an incident.

An order is *in force* from `valid_from` to `valid_to` unless revoked. It touches an incident
through its address (the canonical address key's blind index, `triage.location`) or through a
person: a blind index of the subject's or a protected person's phone or name
(`triage.keys.person_keys`) equal to one of a person on the incident, or to the caller's phone.

Which person keys are strong enough to raise `order_in_force` by themselves, without anybody
confirming the match? A false flag has a crew treat a stranger as a banned partner (and a
"possible breach" calls for a P1); a missed one sends it unwarned to a man who was told to
stay away. So:
- the phone (E.164) and the name with the birth year: yes, always;
- the name alone (case, accents, particles and word order folded): only when one side does not
  know the birth year (a call at night rarely gives it, a prosecutor's order always does), and
  only a name of two words or more (never "Marie" or "mama"). Two known years that differ are
  two people: no match;
- the phonetic code alone: never. It proposes "same person?" candidates a dispatcher confirms
  (triage.persons); here nobody confirms, and Double Metaphone joins e.g. Peeters and Peters.
The register therefore keeps only these keys (`order_keys`), not the phonetic ones.

`possible_breach` is raised when an order touches the incident at the protected address or
through a protected person, and its subject is reported there: the quick flag or the latest
immediate-danger screen says the suspect is present, or a suspect on the incident is the
order's subject (by the keys above). An order that touches the incident only through its
subject (the banned man at another home, with someone else) is in force, not breached.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field

from sqlalchemy import (
    Boolean,
    Integer,
    String,
    and_,
    bindparam,
    cast,
    func,
    literal,
    null,
    select,
    union_all,
)

from core import clock
from core.db import db
from triage import keys
from triage.models import Assessment, Incident, OrderKey, Person, PersonKey, ProtectiveOrder
from triage.screening import IMMEDIATE

ORDER_IN_FORCE = "order_in_force"
POSSIBLE_BREACH = "possible_breach"
FLAGS = (ORDER_IN_FORCE, POSSIBLE_BREACH)

SUBJECT = "subject"
PROTECTED = "protected"
SUSPECT_PRESENT = "suspect_present"  # the immediate-danger item and quick flag

# OrderKey kinds: the phone, the name with the birth year, and the name alone, kept apart for
# a person whose year the order knows (it then matches only a person whose year is unknown).
NAME_UNDATED = keys.NAME
NAME_DATED = "name_dated"
MIN_NAME_WORDS = 2

# Why an order touches an incident (the `matched_on` a dispatcher reads).
AT_ADDRESS = "address"
BY_PROTECTED = "protected_person"
BY_SUBJECT = "subject"
SUBJECT_AS_SUSPECT = "subject_as_suspect"
CALLER = "caller"  # the caller's phone, a person without a role


@dataclass(frozen=True)
class OrderCheck:
    """The order flags that hold for an incident, and the orders that set them."""

    flags: tuple[str, ...] = ()
    order_ids: list[int] = field(default_factory=list)
    matched_on: dict[int, tuple[str, ...]] = field(default_factory=dict)
    breached: tuple[int, ...] = ()


@dataclass(frozen=True)
class _Key:
    """A key of someone on the incident: their role, whether their birth year is known."""

    role: str
    dated: bool
    kind: str
    value: str


def order_keys(
    name: str | None, birth_year: int | None, phone: str | None, role: str
) -> list[OrderKey]:
    """The keys an order's person is matched by: only those strong enough to raise a flag."""
    named = len(keys.name_words(name)) >= MIN_NAME_WORDS
    found: dict[tuple[str, str], OrderKey] = {}
    for kind, value in keys.person_keys(name, birth_year, phone):
        if kind == keys.PHONETIC or (kind != keys.PHONE and not named):
            continue
        if kind == keys.NAME:
            kind = NAME_DATED if birth_year else NAME_UNDATED
        found.setdefault((kind, value), OrderKey(role=role, kind=kind, value=value))
    return list(found.values())


def in_force(now: dt.datetime):
    """The SQL condition of an order in force at `now`."""
    return and_(
        ProtectiveOrder.revoked_at.is_(None),
        ProtectiveOrder.valid_from <= now,
        ProtectiveOrder.valid_to >= now,
    )


_MATCHED_KINDS = (keys.PHONE, keys.NAME, keys.NAME_YEAR)  # the person keys orders are matched by
_NO_ID, _NO_TEXT, _NO_FLAG = cast(null(), Integer), cast(null(), String), cast(null(), Boolean)


def _lookup(incident: Incident, now: dt.datetime) -> tuple[list[_Key], list, list[int]]:
    """In one statement (indexed, a UNION ALL of three parts): the keys of the incident's
    persons, the keys of orders in force that share a value with them or with the caller's
    phone, and the orders in force at the incident's address."""
    statement = _lookup_statement(bool(incident.caller_phone_index), bool(incident.address_index))
    values = {
        "incident_id": incident.id,
        "caller_phone_index": incident.caller_phone_index,
        "address_index": incident.address_index,
        "now": now,
    }
    found: list[_Key] = []
    order_rows, at_address = [], []
    for row in db.session.execute(statement, values):
        if row.part == "key":
            found.append(_Key(row.role, bool(row.dated), row.kind, row.value))
        elif row.part == "order":
            order_rows.append(row)
        else:
            at_address.append(row.order_id)
    if incident.caller_phone_index:
        found.append(_Key(CALLER, False, keys.PHONE, incident.caller_phone_index))
    return found, order_rows, at_address


@functools.cache
def _lookup_statement(phone: bool, address: bool):
    """`_lookup`'s statement, with or without the caller's phone and the address, built once
    per process with bound values: built per call, its construction and cache key cost more
    than the query."""
    now = bindparam("now")
    persons = (
        select(
            literal("key", String).label("part"),
            _NO_ID.label("order_id"),
            cast(Person.role, String).label("role"),
            Person.birth_year.is_not(None).label("dated"),
            PersonKey.kind,
            PersonKey.value,
        )
        .join(PersonKey, PersonKey.person_id == Person.id)
        .where(Person.incident_id == bindparam("incident_id"), PersonKey.kind.in_(_MATCHED_KINDS))
    )
    values = persons.with_only_columns(PersonKey.value)  # the same rows' values
    if phone:
        values = union_all(values, select(bindparam("caller_phone_index", type_=String)))
    parts = [
        persons,
        select(
            literal("order", String),
            OrderKey.order_id,
            OrderKey.role,
            _NO_FLAG,
            OrderKey.kind,
            OrderKey.value,
        )
        .join(ProtectiveOrder, ProtectiveOrder.id == OrderKey.order_id)
        .where(OrderKey.value.in_(values), in_force(now)),
    ]
    if address:
        parts.append(
            select(literal("address", String), ProtectiveOrder.id, _NO_TEXT, _NO_FLAG)
            .add_columns(_NO_TEXT, _NO_TEXT)
            .where(ProtectiveOrder.address_index == bindparam("address_index"), in_force(now))
        )
    return union_all(*parts)


def _fits(key: _Key, order_kind: str) -> bool:
    """Whether an incident person's key and an order's key of the same value are a match."""
    if key.kind == keys.NAME:
        return order_kind == NAME_UNDATED or (order_kind == NAME_DATED and not key.dated)
    return key.kind == order_kind  # phone with phone, name and year with name and year


def _person_matches(found: list[_Key], order_rows: list) -> dict[int, set[str]]:
    """Orders in force that name someone on the incident, and how."""
    matches: dict[int, set[str]] = {}
    for row in order_rows:
        for key in found:
            if key.value != row.value or not _fits(key, row.kind):
                continue
            reasons = matches.setdefault(row.order_id, set())
            if row.role == PROTECTED:
                reasons.add(BY_PROTECTED)
            else:
                reasons.add(BY_SUBJECT)
                if key.role == "suspect":
                    reasons.add(SUBJECT_AS_SUSPECT)
    return matches


def suspect_reported(incident: Incident) -> bool:
    """Whether the quick flag or the latest immediate-danger screen says the suspect is there."""
    if SUSPECT_PRESENT in (incident.flags or []):
        return True
    return immediate_answers(incident.id).get(SUSPECT_PRESENT) == "yes"


def immediate_answers(incident_id: int) -> dict[str, str]:
    """The answers of the incident's latest immediate-danger screen (none: empty)."""
    answers = db.session.execute(_IMMEDIATE, {"incident_id": incident_id}).scalar_one_or_none()
    return answers or {}


def _latest_immediate():
    """`immediate_answers`' statement, built once with its cache key (every assignment and
    officer's page asks it)."""
    incident_id = bindparam("incident_id")
    latest = (
        select(func.max(Assessment.version))
        .where(Assessment.incident_id == incident_id, Assessment.instrument_id == IMMEDIATE)
        .scalar_subquery()
    )
    return select(Assessment.answers).where(
        Assessment.incident_id == incident_id,
        Assessment.instrument_id == IMMEDIATE,
        Assessment.version == latest,
    )


_IMMEDIATE = _latest_immediate()


def _breached(reasons: set[str], reported: bool) -> bool:
    """The subject is reported where the order protects: its address or a protected person."""
    protects = bool(reasons & {AT_ADDRESS, BY_PROTECTED})
    return protects and (reported or SUBJECT_AS_SUSPECT in reasons)


def flags_for(incident: Incident, now: dt.datetime | None = None) -> OrderCheck:
    """The protective-order flags for an incident's address and persons (one indexed query:
    the persons' keys, the orders naming them and the orders at the address; then the latest
    immediate-danger screen only when an order holds)."""
    if incident.id is None:
        return OrderCheck()
    now = now or clock.now()
    found, order_rows, at_address = _lookup(incident, now)
    matches = _person_matches(found, order_rows)
    for order_id in at_address:
        matches.setdefault(order_id, set()).add(AT_ADDRESS)
    if not matches:
        return OrderCheck()
    needs_report = any(_breached(r, True) and not _breached(r, False) for r in matches.values())
    reported = needs_report and suspect_reported(incident)
    breached = tuple(sorted(i for i, r in matches.items() if _breached(r, reported)))
    flags = (ORDER_IN_FORCE, POSSIBLE_BREACH) if breached else (ORDER_IN_FORCE,)
    return OrderCheck(
        flags=flags,
        order_ids=sorted(matches),
        matched_on={i: tuple(sorted(r)) for i, r in sorted(matches.items())},
        breached=breached,
    )
