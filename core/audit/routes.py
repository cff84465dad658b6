"""`GET /api/v1/audit`: who saw or changed what (supervisors)."""

from __future__ import annotations

import datetime as dt

from flask_login import current_user
from pydantic import Field
from sqlalchemy import func, select

from core.api import api, endpoint, problem
from core.audit import AuditEvent
from core.db import db
from core.i18n import lazy_gettext as _l
from core.policies import Role, allow
from core.schemas import DbId, Input, Output, PageInfo

ADMIN_OBJECTS = ("user", "unit", "organisation", "api_token")  # what administrators may see


class AuditQuery(Input):
    """Filters for the audit trail."""

    object_type: str | None = Field(None, max_length=32)
    object_id: DbId | None = None
    page: int = Field(1, ge=1, le=100_000)
    per_page: int = Field(50, ge=1, le=200)


class AuditRead(Output):
    """One audit event (ids, never case content)."""

    id: int
    occurred_at: dt.datetime
    username: str | None
    role: str | None
    organisation: str | None
    token_name: str | None
    action: str
    object_type: str | None
    object_id: int | None
    object_ids: list[int] | None
    request_id: str | None
    client_addr: str | None
    reason: str | None = None


class AuditList(Output):
    """A page of audit events, newest first."""

    items: list[AuditRead]
    page: PageInfo


@api.get("/audit")
@endpoint(
    "Who touched what",
    allow(Role.SUPERVISOR, Role.ADMIN),
    query=AuditQuery,
    response=AuditList,
    tags=("audit",),
)
def audit_trail(query: AuditQuery):
    """Supervisors see case audit; administrators only the audit of administrative actions."""
    stmt = select(AuditEvent)
    if Role(current_user.role) == Role.ADMIN:
        if query.object_type and query.object_type not in ADMIN_OBJECTS:
            raise problem(
                403,
                "forbidden",
                _l("Administrators see only administrative audit."),
                {"object_type": _l("One of: %(choices)s.", choices=", ".join(ADMIN_OBJECTS))},
            )
        stmt = stmt.where(AuditEvent.object_type.in_(ADMIN_OBJECTS))
    if query.object_type:
        stmt = stmt.where(AuditEvent.object_type == query.object_type)
    if query.object_id:
        stmt = stmt.where(AuditEvent.object_id == query.object_id)
    total = db.session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    rows = db.session.execute(
        stmt.order_by(AuditEvent.id.desc())
        .offset((query.page - 1) * query.per_page)
        .limit(query.per_page)
    ).scalars()
    return AuditList(
        items=[AuditRead.model_validate(r) for r in rows],
        page=PageInfo(page=query.page, per_page=query.per_page, total=total),
    )
