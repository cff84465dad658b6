"""Units API: the board's list and administration."""

from __future__ import annotations

from app.api.core import api, endpoint, not_found, problem
from app.auth.models import Role
from app.db import db
from app.schemas import PageInfo, PageQuery
from app.security import BOARD, allow
from dispatch import service
from dispatch.models import Unit
from dispatch.schemas import UnitCreate, UnitList, UnitRead, UnitUpdate

UNIT_ADMIN = allow(Role.ADMIN, Role.SUPERVISOR)


def unit_read(unit: Unit, incident_id: int | None = None) -> UnitRead:
    """Serialise a unit for the API and the board."""
    return UnitRead.model_validate(
        {
            **{
                c: getattr(unit, c)
                for c in ("id", "call_sign", "status", "skills", "languages", "phone")
            },
            **{
                c: getattr(unit, c)
                for c in ("lat", "lon", "position_at", "shift_start", "shift_end")
            },
            "members": [m.user.display_name for m in unit.members],
            "current_incident": incident_id,
        }
    )


def _raise(exc: service.UnitError):
    code = "conflict" if exc.status == 409 else "validation_error"
    raise problem(exc.status, code, exc.message, {exc.field: exc.message}) from None


@api.get("/units")
@endpoint(
    "List units",
    allow(Role.DISPATCHER, Role.SUPERVISOR, Role.ADMIN),
    query=PageQuery,
    response=UnitList,
    tags=("units",),
)
def list_units(query: PageQuery):
    """Every unit with status, skills, languages, phone, position and current incident."""
    units, total = service.list_units(query.page, query.per_page)
    current = service.current_incidents([u.id for u in units])
    items = [unit_read(u, current.get(u.id)) for u in units]
    return UnitList(
        items=items, page=PageInfo(page=query.page, per_page=query.per_page, total=total)
    )


@api.post("/units")
@endpoint(
    "Create a unit",
    UNIT_ADMIN,
    body=UnitCreate,
    response=UnitRead,
    status=201,
    errors=(409,),
    tags=("units",),
)
def create_unit(body: UnitCreate):
    """Add a unit (it starts off duty)."""
    try:
        unit = service.create_unit(body.model_dump())
    except service.UnitError as exc:
        db.session.rollback()
        _raise(exc)
    db.session.commit()
    return unit_read(unit)


@api.patch("/units/<int:unit_id>")
@endpoint(
    "Change a unit",
    UNIT_ADMIN,
    body=UnitUpdate,
    response=UnitRead,
    errors=(404, 409),
    tags=("units",),
)
def update_unit(unit_id: int, body: UnitUpdate):
    """Edit a unit's call sign, phone, skills, languages, position, shift or members."""
    unit = db.session.get(Unit, unit_id)
    if unit is None:
        raise not_found("unit")
    try:
        service.update_unit(unit, body.model_dump(exclude_unset=True))
    except service.UnitError as exc:
        db.session.rollback()
        _raise(exc)
    db.session.commit()
    return unit_read(unit, service.current_incidents([unit.id]).get(unit.id))


__all__ = ["BOARD", "create_unit", "list_units", "update_unit"]
