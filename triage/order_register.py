"""The protective-order register: registering, revoking and listing house bans and court orders,
and re-checking the open incidents an order touches so the dispatchers see its flags at once.

Orders are not incidents: they have no timeline; every registration, revocation and read is
audited. The incidents they flag get their timeline lines through `service.apply_orders`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, or_, select, update

from accounts.actor import Actor
from core import audit, clock
from core.db import db
from core.errors import DomainError
from core.i18n import lazy_gettext as _l
from triage import events, keys, links, location, orders, screening, service
from triage.models import Incident, IncidentStatus, OrderKey, Person, PersonKey, ProtectiveOrder
from triage.order_schemas import OrderCreate, OrderPersonIn

HOUSE_BAN = "house_ban"
EXTENSION = "house_ban_extension"
HOUSE_BAN_DAYS = 14  # law of 15 May 2012: at most 14 days from the notice to the subject
EXTENSION_MONTHS = 3  # the family court may extend it by at most 3 months
NEEDS_ADDRESS = (HOUSE_BAN, EXTENSION)  # a house ban is a ban from one home

ACTIVE, UPCOMING, EXPIRED, REVOKED = "active", "upcoming", "expired", "revoked"


class OrderError(DomainError):
    """An order that cannot be registered or revoked, naming the fields."""


def local(moment: dt.datetime) -> dt.datetime:
    """An aware time; one without a zone is Brussels wall-clock time (what a form says)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=clock.zone())


def _add_months(moment: dt.datetime, months: int) -> dt.datetime:
    """The same wall-clock time `months` later (the last day of a shorter month)."""
    month = moment.month - 1 + months
    year, month = moment.year + month // 12, month % 12 + 1
    for day in range(moment.day, 27, -1):
        try:
            return moment.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    return moment.replace(year=year, month=month, day=28)


def _longest(kind: str, start: dt.datetime) -> dt.datetime | None:
    """The latest end the law allows an order of this kind, in Brussels wall-clock time."""
    wall = start.astimezone(clock.zone()).replace(tzinfo=None)
    if kind == HOUSE_BAN:
        return wall + dt.timedelta(days=HOUSE_BAN_DAYS)
    if kind == EXTENSION:
        return _add_months(wall, EXTENSION_MONTHS)
    return None


PERIOD_ERRORS = {
    HOUSE_BAN: _l(
        "A house ban lasts at most 14 days; register the family court's extension as an "
        "extended house ban."
    ),
    EXTENSION: _l("The family court extends a house ban by at most 3 months."),
}


def _period_errors(kind: str, start: dt.datetime, end: dt.datetime) -> dict[str, Any]:
    """Field messages for the period: an end after the start, not past, within the law."""
    if end <= start:
        return {"valid_to": _l("The end must come after the start.")}
    if end <= clock.now():
        return {"valid_to": _l("This order has already ended: nothing to check calls against.")}
    longest = _longest(kind, start)
    if longest is not None and end.astimezone(clock.zone()).replace(tzinfo=None) > longest:
        return {"valid_to": PERIOD_ERRORS[kind]}
    return {}


REQUIRED = _l("Required.")


def _missing(body: OrderCreate) -> dict[str, Any]:
    """Field messages for what the order must say: names, the authority, the period."""
    fields: dict[str, Any] = {}
    if not body.subject.name:
        fields["subject.name"] = REQUIRED
    for n, person in enumerate(body.protected_persons):
        if not person.name:
            fields[f"protected_persons.{n}.name"] = REQUIRED
    if not body.protected_persons:
        fields["protected_persons"] = _l("Name at least one protected person.")
    if not body.issuing_authority:
        fields["issuing_authority"] = REQUIRED
    if body.kind in NEEDS_ADDRESS and not (body.address or "").strip():
        fields["address"] = _l("A house ban needs the address of the home.")
    fields |= {f: REQUIRED for f in ("valid_from", "valid_to") if getattr(body, f) is None}
    return fields


def _birth_years(body: OrderCreate) -> dict[str, Any]:
    this_year = clock.now().astimezone(clock.zone()).year
    people = [("subject", body.subject)] + [
        (f"protected_persons.{n}", p) for n, p in enumerate(body.protected_persons)
    ]
    return {
        f"{path}.birth_year": _l("This birth year lies in the future.")
        for path, person in people
        if person.birth_year is not None and person.birth_year > this_year
    }


FIRST_YEAR, LAST_YEAR = 2000, 2100  # far-off dates are typing errors (and overflow the maths)


def _far_off(body: OrderCreate) -> dict[str, Any]:
    """Field messages for a start or end outside the years 2000 to 2100."""
    return {
        name: _l("Give a date between the years 2000 and 2100.")
        for name in ("valid_from", "valid_to")
        if (moment := getattr(body, name)) is not None
        and not FIRST_YEAR <= moment.year <= LAST_YEAR
    }


def check_order(body: OrderCreate) -> tuple[dt.datetime, dt.datetime]:
    """Refuse an order the register cannot use (every field message at once); its period."""
    far_off = _far_off(body)
    fields = _missing(body) | _birth_years(body) | far_off
    start = local(body.valid_from) if body.valid_from else None
    end = local(body.valid_to) if body.valid_to else None
    if start and end and not far_off:
        fields |= _period_errors(body.kind, start, end)
    if fields or not (start and end):
        raise OrderError(422, "validation_error", _l("Some fields are not valid."), fields)
    return start, end


def _person(person: OrderPersonIn) -> dict[str, Any]:
    return {"name": person.name, "birth_year": person.birth_year, "phone": person.phone}


def _keys(body: OrderCreate) -> list[OrderKey]:
    """The subject's and the protected persons' keys, each (role, kind, value) once."""
    found: dict[tuple[str, str, str], OrderKey] = {}
    people = [(orders.SUBJECT, body.subject)] + [
        (orders.PROTECTED, p) for p in body.protected_persons
    ]
    for role, person in people:
        for key in orders.order_keys(person.name, person.birth_year, person.phone, role):
            found.setdefault((key.role, key.kind, key.value), key)
    return list(found.values())


def register_order(body: OrderCreate, actor: Actor) -> tuple[ProtectiveOrder, list[Incident]]:
    """Register an order (audited) and flag the open incidents it touches; those incidents."""
    start, end = check_order(body)
    address = (body.address or "").strip() or None
    order = ProtectiveOrder(
        kind=body.kind,
        subject_name=body.subject.name,
        subject_birth_year=body.subject.birth_year,
        subject_phone=body.subject.phone,
        protected_persons=[_person(p) for p in body.protected_persons],
        address_text=address,
        address_index=location.canonical_index(address),
        valid_from=start,
        valid_to=end,
        issuing_authority=body.issuing_authority,
        order_reference=(body.order_reference or "").strip() or None,
        restricted=body.restricted,
        created_by_id=actor.user.id if actor.user else None,
        keys=_keys(body),
    )
    db.session.add(order)
    db.session.flush()
    audit.record("create", "protective_order", order.id)
    return order, recheck(order, actor)


def revoke_order(
    order_id: int, reason: str, actor: Actor
) -> tuple[ProtectiveOrder, list[Incident]]:
    """Lift an order before its end (once: a second revocation is a 409); re-check incidents."""
    order = db.session.get(ProtectiveOrder, order_id)
    if order is None:
        raise OrderError(404, "not_found", _l("No such protective order."))
    # Compare-and-set: two supervisors revoking at once, one wins and the other is told.
    done = db.session.execute(
        update(ProtectiveOrder)
        .where(ProtectiveOrder.id == order_id, ProtectiveOrder.revoked_at.is_(None))
        .values(
            revoked_at=clock.now(),
            revoke_reason=reason,
            revoked_by_id=actor.user.id if actor.user else None,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if not done:
        raise OrderError(
            409,
            "conflict",
            _l("This order was already revoked."),
            {"order": _l("Already revoked.")},
        )
    db.session.refresh(order)
    audit.record("revoke", "protective_order", order.id)
    return order, recheck(order, actor)


def touched_incidents(order: ProtectiveOrder) -> list[Incident]:
    """Open incidents at the order's address or with someone its keys name (indexed; a wider
    net than `orders.flags_for`, which decides)."""
    values = [k.value for k in order.keys]
    phones = [k.value for k in order.keys if k.kind == keys.PHONE]
    conditions = []
    if order.address_index:
        conditions.append(Incident.address_index == order.address_index)
    if values:
        named = select(Person.incident_id).join(PersonKey, PersonKey.person_id == Person.id)
        conditions.append(Incident.id.in_(named.where(PersonKey.value.in_(values))))
    if phones:
        conditions.append(Incident.caller_phone_index.in_(phones))
    if not conditions:
        return []
    query = select(Incident).where(or_(*conditions), Incident.status != IncidentStatus.CLOSED)
    return list(db.session.execute(query.order_by(Incident.id)).scalars())


def recheck(order: ProtectiveOrder, actor: Actor) -> list[Incident]:
    """Re-apply the order flags to each open incident the order touches; the changed ones are
    audited, sent to the consoles, and their units told of a new danger."""
    changed = []
    for incident in touched_incidents(order):
        before = set(incident.flags or [])
        if not service.apply_orders(incident, actor):
            continue
        lifted = sorted((before - set(incident.flags)) & set(orders.FLAGS))
        if lifted:
            service.add_timeline(
                incident.id,
                "flag.order_lifted",
                actor,
                data={"flags": lifted, "orders": [order.id]},
            )
        audit.record("update", "incident", incident.id)
        events.publish_incident("incident.updated", incident)
        if set(incident.flags) - before and incident.status in screening.UNITS_ON_IT:
            links.assignments().danger_changed(incident.id)
        changed.append(incident)
    return changed


def status_of(order: ProtectiveOrder, now: dt.datetime | None = None) -> str:
    """Active, upcoming, expired or revoked."""
    now = now or clock.now()
    if order.revoked_at is not None:
        return REVOKED
    if order.valid_to < now:
        return EXPIRED
    return UPCOMING if order.valid_from > now else ACTIVE


def list_orders(
    include_expired: bool, page: int, per_page: int, with_restricted: bool = False
) -> tuple[list[ProtectiveOrder], int]:
    """A page of the register, newest first: orders not ended nor revoked, or all of them;
    restricted ones only when asked (for a supervisor)."""
    query = select(ProtectiveOrder)
    if not with_restricted:
        query = query.where(ProtectiveOrder.restricted.is_(False))
    if not include_expired:
        now = clock.now()
        query = query.where(ProtectiveOrder.revoked_at.is_(None), ProtectiveOrder.valid_to >= now)
    total = db.session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = db.session.execute(
        query.order_by(ProtectiveOrder.valid_from.desc(), ProtectiveOrder.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).scalars()
    return list(rows), total


def orders_by_id(ids: list[int]) -> list[ProtectiveOrder]:
    """The orders with these ids, in that order."""
    if not ids:
        return []
    rows = db.session.execute(select(ProtectiveOrder).where(ProtectiveOrder.id.in_(ids))).scalars()
    found = {o.id: o for o in rows}
    return [found[i] for i in ids if i in found]
