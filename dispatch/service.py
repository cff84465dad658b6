"""Unit administration and queries (services flush; callers commit)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sqlalchemy import func, select

from app import audit
from app.auth.models import Role, User
from app.db import db
from dispatch.models import Assignment, AssignmentStatus, Unit, UnitMember


class UnitError(ValueError):
    """A unit change that cannot be made, naming the field."""

    def __init__(self, field: str, message: str, status: int = 422):
        super().__init__(message)
        self.field = field
        self.message = message
        self.status = status


def normalise_phone(phone: str) -> str:
    """E.164-ish: keep digits and a leading +; Belgian 04.. mobile numbers become +32 4.."""
    digits = re.sub(r"[^0-9+]", "", phone)
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    elif digits.startswith("0"):
        digits = "+32" + digits[1:]
    return digits


def parse_clock(value: str | None) -> dt.time | None:
    """`HH:MM` → time."""
    return dt.time.fromisoformat(value) if value else None


def _officers(usernames: list[str]) -> list[User]:
    users = []
    for name in usernames:
        user = db.session.execute(select(User).where(User.username == name)).scalar_one_or_none()
        if user is None or user.role != Role.OFFICER:
            raise UnitError("members", f"{name!r} is not an officer")
        users.append(user)
    return users


def _check_unique(unit: Unit | None, call_sign: str | None, phone: str | None) -> None:
    for column, value, field in (
        (Unit.call_sign, call_sign, "call_sign"),
        (Unit.phone, phone, "phone"),
    ):
        if value is None:
            continue
        other = db.session.execute(select(Unit).where(column == value)).scalar_one_or_none()
        if other is not None and other is not unit:
            raise UnitError(field, f"another unit already has this {field}", status=409)


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
        lat=data.get("lat"),
        lon=data.get("lon"),
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
    for name in ("call_sign", "phone", "lat", "lon"):
        if name in changes:
            setattr(unit, name, changes[name])
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
            Assignment.unit_id.in_(unit_ids), Assignment.status == AssignmentStatus.ACTIVE
        )
    )
    return {unit_id: incident_id for unit_id, incident_id in rows}


def list_units(page: int, per_page: int) -> tuple[list[Unit], int]:
    """A page of units by call sign, with the total."""
    total = db.session.execute(select(func.count(Unit.id))).scalar_one()
    units = (
        db.session.execute(
            select(Unit).order_by(Unit.call_sign).offset((page - 1) * per_page).limit(per_page)
        )
        .unique()
        .scalars()
        .all()
    )
    return list(units), total
