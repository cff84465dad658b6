"""Who may see an incident's details: everyone on the board, unless a supervisor restricted it.

A restricted incident (a police employee or a public figure is involved, for example) shows its
details only to supervisors and the people involved: whoever took the call, assigned a unit, or
is on an assigned unit. Everyone else sees a placeholder and gets 404 on its details.
"""

from __future__ import annotations

from typing import Any

from accounts.models import ApiToken, Role, User
from core.db import db
from core.realtime import rooms
from triage import links
from triage.models import Incident

PLACEHOLDER_FIELDS = (
    "id",
    "reference",
    "priority",
    "exercise",  # training or real is no case data: the board must never mistake a drill
    "status",
    "district",
    "received_at",
    "created_at",
)


def involved(user: User, incident: Incident) -> bool:
    """Took the call, assigned a unit, or is on an assigned unit (dispatch answers the last two).

    A call taken by an integration's scoped token (telephony) makes its account no call taker.
    """
    if incident.created_by_id == user.id and not _by_scoped_token(incident):
        return True
    return links.assignments().involved(user.id, incident.id)


def _by_scoped_token(incident: Incident) -> bool:
    if incident.created_by_token_id is None:
        return False
    token = db.session.get(ApiToken, incident.created_by_token_id)
    return bool(token is not None and token.scopes)


def involved_users(incident: Incident) -> set[int]:
    """The ids of everyone `involved` answers yes for."""
    taker = {incident.created_by_id} if incident.created_by_id else set()
    if _by_scoped_token(incident):
        taker = set()
    return taker | links.assignments().involved_users(incident.id)


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


def live_audience(incident: Incident) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Socket.IO rooms for an event about the incident: (whole payload, redacted payload).

    An incident that is not restricted goes whole to the board. A restricted one goes whole to
    the supervisors and to the personal rooms of those involved, and as a placeholder to the
    board: the rule `can_see` applies to requests (tokens with scopes cannot listen live).
    """
    if not incident.restricted:
        return rooms.board(), ()
    involved = sorted(involved_users(incident))
    return (rooms.SUPERVISORS, *(rooms.user(uid) for uid in involved)), rooms.board()
