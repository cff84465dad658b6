"""The referrals API: victim support, psychosocial support and the child-abuse confidence centre
(VK) of an incident, read and recorded (the rules and transitions: triage.referral_rules).

`referrals.suggest(incident, actor)` is the hook to call where the children, motives or screens
change; reads and the close re-derive suggestions anyway.
"""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from accounts.models import User
from core import audit
from core.api import api, endpoint
from core.db import db
from core.policies import BOARD
from core.schemas import Output
from triage.access import current_actor, incident_or_404
from triage.models import Incident, Referral
from triage.referral_rules import (
    KINDS,
    NOT_OFFERED_REASONS,
    SHOWN,
    STATUSES,
    SUGGESTED,
    ReferralChange,
    allowed,
    label,
    reason_label,
    set_status,
    stored,
    suggest,
    suggestions,
)

__all__ = ["suggest"]


class Choice(Output):
    """A code with its Dutch and English label."""

    code: str
    label: dict[str, str]


class ReferralRead(Output):
    """One kind of referral for one incident: its status (None: not yet offered) and why."""

    kind: str
    label: dict[str, str]
    status: str | None
    status_label: dict[str, str]
    reason: str | None
    reason_label: dict[str, str] | None
    suggested: bool = Field(description="a rule calls for it now (the close dialog asks)")
    allowed: list[str] = Field(description="the statuses that may be recorded next")
    recorded_by: str | None
    recorded_at: dt.datetime | None


class ReferralList(Output):
    """Every kind of referral, with the choices a person may record."""

    incident_id: int
    items: list[ReferralRead]
    statuses: list[Choice]
    not_offered_reasons: list[Choice]


def _name(user_id: int | None) -> str | None:
    user = db.session.get(User, user_id) if user_id is not None else None
    return (user.display_name or user.username) if user is not None else None


def _item(
    incident: Incident, kind: str, row: Referral | None, suggested: str | None
) -> ReferralRead:
    """A person's answer as recorded; otherwise what the rules suggest now (a stored suggestion
    keeps its time: since when it was suggested)."""
    status: str | None
    when: dt.datetime | None
    if row is not None and row.status != SUGGESTED:
        status, reason, when = row.status, row.reason, row.recorded_at
        who = _name(row.recorded_by_id)
    else:
        status, reason, who = (SUGGESTED if suggested else None), suggested, None
        when = row.recorded_at if row is not None and suggested else None
    return ReferralRead(
        kind=kind,
        label=label(KINDS[kind]),
        status=status,
        status_label=label(STATUSES.get(status or "") or SHOWN[status]),
        reason=reason,
        reason_label=reason_label(reason, incident),
        suggested=suggested is not None,
        allowed=allowed(status),
        recorded_by=who,
        recorded_at=when,
    )


def view(incident: Incident) -> ReferralList:
    """Every kind with its status, suggestions re-derived from the facts; audited as a read."""
    audit.read("incident", incident.id)  # whether the victim accepted help is case data
    rows, wanted = stored(incident.id), suggestions(incident)
    return ReferralList(
        incident_id=incident.id,
        items=[_item(incident, kind, rows.get(kind), wanted.get(kind)) for kind in KINDS],
        statuses=[Choice(code=c, label=label(p)) for c, p in STATUSES.items()],
        not_offered_reasons=[
            Choice(code=c, label=label(p)) for c, p in NOT_OFFERED_REASONS.items()
        ],
    )


@api.get("/incidents/<int:incident_id>/referrals")
@endpoint(
    "An incident's referrals", BOARD, response=ReferralList, errors=(404,), tags=("referrals",)
)
def list_referrals(incident_id: int):
    """Victim support, psychosocial support and the VK: each status, why, who and when."""
    return view(incident_or_404(incident_id))


@api.put("/incidents/<int:incident_id>/referrals/<kind>")
@endpoint(
    "Record a referral",
    BOARD,
    body=ReferralChange,
    response=ReferralList,
    errors=(404, 409),
    tags=("referrals",),
)
def record_referral(incident_id: int, kind: str, body: ReferralChange):
    """Record offered / accepted / declined / not offered (with a reason); an unknown kind is
    422 naming `kind`; an answer is never set back (409); the same answer twice is a no-op."""
    incident = incident_or_404(incident_id)
    set_status(incident, kind, body, current_actor())
    return view(incident)
