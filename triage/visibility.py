"""Who may see an incident's details: everyone on the board, unless a supervisor restricted it.

A restricted incident (a police employee or a public figure is involved, for example) shows its
details only to supervisors and the people involved: whoever took the call, assigned a unit, or
is on an assigned unit. Everyone else sees a placeholder and gets 404 on its details.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import column, exists, select, table

from app.auth.models import Role, User
from app.db import db
from triage.models import Incident

PLACEHOLDER_FIELDS = (
    "id",
    "reference",
    "priority",
    "status",
    "district",
    "received_at",
    "created_at",
)

# Seen from triage without importing the dispatch package.
_assignment = table(
    "assignment", column("incident_id"), column("unit_id"), column("assigned_by_id")
)
_member = table("unit_member", column("unit_id"), column("user_id"))


def involved(user: User, incident: Incident) -> bool:
    """Took the call, assigned a unit, or is on an assigned unit."""
    if incident.created_by_id == user.id:
        return True
    assigned = db.session.execute(
        select(
            exists().where(
                _assignment.c.incident_id == incident.id, _assignment.c.assigned_by_id == user.id
            )
        )
    ).scalar()
    on_unit = db.session.execute(
        select(
            exists().where(
                _assignment.c.incident_id == incident.id,
                _assignment.c.unit_id == _member.c.unit_id,
                _member.c.user_id == user.id,
            )
        )
    ).scalar()
    return bool(assigned or on_unit)


def can_see(user: User, incident: Incident) -> bool:
    """Whether the user may see the incident's details."""
    if not incident.restricted:
        return True
    return Role(user.role) == Role.SUPERVISOR or involved(user, incident)


def placeholder(summary: dict[str, Any]) -> dict[str, Any]:
    """What a restricted incident shows to everyone else (and in broadcast events)."""
    kept = {k: summary.get(k) for k in PLACEHOLDER_FIELDS}
    return {
        **kept,
        "restricted": True,
        "lat": None,
        "lon": None,
        "postcode": None,
        "flags": [],
        "location_quality": "unverified",
        "dispatched_at": summary.get("dispatched_at"),
    }
