"""Unit administration and queries (services flush; callers commit)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import selectinload

from accounts.models import Role, User
from core import audit, clock
from core.db import db
from core.errors import DomainError
from core.i18n import lazy_gettext as _l
from core.phones import normalise_phone
from dispatch.labels import status_label
from dispatch.models import (
    Assignment,
    AssignmentStatus,
    Unit,
    UnitMember,
    UnitStatus,
    as_written,
)
from triage.models import Incident


class UnitError(DomainError):
    """A unit change that cannot be made, naming the field."""

    def __init__(self, field: str, message: str, status: int = 422):
        code = "conflict" if status == 409 else "validation_error"
        super().__init__(status, code, message, {field: message})
        self.field = field


def parse_clock(value: str | None) -> dt.time | None:
    """`HH:MM` → time (None stays None)."""
    return clock.parse_clock(value) if value else None


def _officers(usernames: list[str]) -> list[User]:
    users = []
    for name in usernames:
        user = db.session.execute(select(User).where(User.username == name)).scalar_one_or_none()
        if user is None or user.role != Role.OFFICER:
            raise UnitError("members", _l("%(name)s is not an officer.", name=name))
        users.append(user)
    return users


UNIQUE_FIELDS = {
    "call_sign": _l("Another unit already has this call sign."),
    "phone": _l("Another unit already has this phone number."),
}


def _check_unique(unit: Unit | None, call_sign: str | None, phone: str | None) -> None:
    for column, value, field in (
        (Unit.call_sign, call_sign, "call_sign"),
        (Unit.phone, phone, "phone"),
    ):
        if value is None:
            continue
        other = db.session.execute(select(Unit).where(column == value)).scalar_one_or_none()
        if other is not None and other is not unit:
            raise UnitError(field, UNIQUE_FIELDS[field], status=409)


def set_members(unit: Unit, usernames: list[str]) -> None:
    """Replace the unit's officers (an officer is on one unit at a time)."""
    users = _officers(usernames)
    unit.members.clear()
    db.session.flush()
    for user in users:
        existing = db.session.execute(
            select(UnitMember).where(UnitMember.user_id == user.id)
        ).scalar_one_or_none()
        if existing is not None:
            db.session.delete(existing)
            db.session.flush()
        unit.members.append(UnitMember(user=user))


def create_unit(data: dict[str, Any]) -> Unit:
    """Add a unit; it starts off duty."""
    phone = normalise_phone(data["phone"])
    _check_unique(None, data["call_sign"], phone)
    unit = Unit(
        call_sign=data["call_sign"],
        phone=phone,
        skills=sorted(set(data.get("skills") or [])),
        languages=sorted(set(data.get("languages") or [])),
        sms_language=data.get("sms_language") or "nl",
        lat=data.get("lat"),
        lon=data.get("lon"),
        position_at=clock.now() if data.get("lat") is not None else None,
        shift_start=parse_clock(data.get("shift_start")),
        shift_end=parse_clock(data.get("shift_end")),
    )
    db.session.add(unit)
    set_members(unit, data.get("members") or [])
    db.session.flush()
    audit.record("create", "unit", unit.id)
    return unit


def update_unit(unit: Unit, changes: dict[str, Any]) -> Unit:
    """Apply description changes to a unit."""
    if "phone" in changes and changes["phone"] is not None:
        changes["phone"] = normalise_phone(changes["phone"])
    _check_unique(unit, changes.get("call_sign"), changes.get("phone"))
    for name in ("call_sign", "phone", "sms_language", "lat", "lon"):
        if name in changes:
            setattr(unit, name, changes[name])
    if changes.get("lat") is not None and changes.get("lon") is not None:
        unit.position_at, unit.position_accuracy_m = clock.now(), None  # set by hand, now
    for name in ("skills", "languages"):
        if changes.get(name) is not None:
            setattr(unit, name, sorted(set(changes[name])))
    for name in ("shift_start", "shift_end"):
        if name in changes:
            setattr(unit, name, parse_clock(changes[name]))
    if changes.get("members") is not None:
        set_members(unit, changes["members"])
    db.session.flush()
    audit.record("update", "unit", unit.id)
    return unit


def current_incidents(unit_ids: list[int]) -> dict[int, int]:
    """Map unit id → the incident it is actively assigned to."""
    if not unit_ids:
        return {}
    rows = db.session.execute(
        select(Assignment.unit_id, Assignment.incident_id).where(
            Assignment.unit_id.in_(unit_ids),
            Assignment.status == as_written(AssignmentStatus.ACTIVE.value),
        )
    )
    return {unit_id: incident_id for unit_id, incident_id in rows}


def list_units(page: int, per_page: int) -> tuple[list[Unit], int]:
    """A page of units by call sign, with the total."""
    total = db.session.execute(select(func.count(Unit.id))).scalar_one()
    units = (
        db.session.execute(
            select(Unit)
            .options(selectinload(Unit.members))  # one query for every unit's members
            .order_by(Unit.call_sign)
            .offset((page - 1) * per_page)
            .limit(per_page)
        )
        .unique()
        .scalars()
        .all()
    )
    return list(units), total


# --- status machine ---------------------------------------------------------------------------

S = UnitStatus
ALLOWED: dict[UnitStatus, frozenset[UnitStatus]] = {
    S.OFF_DUTY: frozenset({S.AVAILABLE}),
    S.AVAILABLE: frozenset({S.OFF_DUTY, S.ASSIGNED}),
    S.ASSIGNED: frozenset({S.ACKNOWLEDGED, S.EN_ROUTE, S.ON_SCENE, S.AVAILABLE}),
    S.ACKNOWLEDGED: frozenset({S.EN_ROUTE, S.ON_SCENE, S.AVAILABLE}),
    S.EN_ROUTE: frozenset({S.ON_SCENE, S.AVAILABLE}),
    S.ON_SCENE: frozenset({S.TRANSPORTING, S.AVAILABLE}),
    S.TRANSPORTING: frozenset({S.ON_SCENE, S.AVAILABLE}),
}
# States that mean "on an incident"; `assigned` is only entered through an assignment.
ON_INCIDENT = frozenset({S.ASSIGNED, S.ACKNOWLEDGED, S.EN_ROUTE, S.ON_SCENE, S.TRANSPORTING})


class TransitionError(DomainError):
    """A status change the state machine (or a concurrent change) does not allow (409)."""

    def __init__(self, current: str, requested: str, message: Any = None):
        self.current, self.requested = current, requested
        now, asked = status_label(current), status_label(requested)
        message = message or _l("A unit cannot go from %(now)s to %(asked)s.", now=now, asked=asked)
        fields = {"status": _l("Now %(now)s, asked %(asked)s.", now=now, asked=asked)}
        super().__init__(409, "conflict", message, fields)


def check_transition(current: UnitStatus, requested: UnitStatus, has_assignment: bool) -> None:
    """Raise TransitionError unless current → requested is allowed."""
    if requested == S.OFF_DUTY and not has_assignment and current != S.OFF_DUTY:
        return  # any state → off duty, but only when not on an incident
    if requested not in ALLOWED[UnitStatus(current)]:
        raise TransitionError(current, requested)


def compare_and_set_status(
    unit_id: int, expected: UnitStatus, new: UnitStatus, now: dt.datetime
) -> bool:
    """Atomically move a unit from `expected` to `new`; False when someone else moved it first.
    The transaction's pending rows are written first, so the unit's lock is taken after them
    (as when this was an ORM statement, which flushed before it)."""
    db.session.flush()
    values = {"unit_id": unit_id, "expected": expected, "new_status": new, "changed_at": now}
    return db.session.execute(_SET_STATUS, values).rowcount == 1


_UNIT = Unit.__table__
# A Core statement built once, with bound values (built per call, its construction and cache
# key cost more than the UPDATE).
_SET_STATUS = (
    update(_UNIT)
    .where(_UNIT.c.id == bindparam("unit_id"), _UNIT.c.status == bindparam("expected"))
    .values(status=bindparam("new_status"), status_changed_at=bindparam("changed_at"))
)


def on_shift(unit: Unit, now: dt.datetime, zone: ZoneInfo) -> bool:
    """Whether the unit's shift window (local HH:MM, may cross midnight) covers `now`."""
    if unit.shift_start is None or unit.shift_end is None:
        return True
    local = now.astimezone(zone).time()
    start, end = unit.shift_start, unit.shift_end
    if start <= end:
        return start <= local < end
    return local >= start or local < end


def recent_assignment(unit_id: int, now: dt.datetime) -> Assignment | None:
    """The unit's assignment that ended last, if within OFFICER_ACCESS_GRACE_H of `now`: what a
    free unit's text is most likely about."""
    grace = dt.timedelta(hours=int(current_app.config.get("OFFICER_ACCESS_GRACE_H", 12)))
    return db.session.execute(
        select(Assignment)
        .where(Assignment.unit_id == unit_id, Assignment.ended_at > now - grace)
        .order_by(Assignment.ended_at.desc(), Assignment.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def served_incident(unit_id: int, reference: str | None, now: dt.datetime) -> int | None:
    """The incident with this reference, if the unit is on it or left it within the grace."""
    if not reference:
        return None
    grace = dt.timedelta(hours=int(current_app.config.get("OFFICER_ACCESS_GRACE_H", 12)))
    return db.session.execute(
        select(Assignment.incident_id)
        .join(Incident, Incident.id == Assignment.incident_id)
        .where(
            Assignment.unit_id == unit_id,
            Incident.reference == reference,
            (Assignment.ended_at.is_(None)) | (Assignment.ended_at > now - grace),
        )
        .limit(1)
    ).scalar_one_or_none()


def active_assignments(unit_id: int) -> list[Assignment]:
    """The unit's active assignments (normally one)."""
    return list(db.session.execute(_ACTIVE, {"unit_id": unit_id}).scalars())


_ACTIVE = (
    select(Assignment)
    .where(Assignment.unit_id == bindparam("unit_id"), Assignment.status == AssignmentStatus.ACTIVE)
    .order_by(Assignment.id)
)
