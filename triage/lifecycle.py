"""Routes for closing an incident, legal hold and restriction (the rules: triage.closing)."""

from __future__ import annotations

from pydantic import Field

from accounts.models import Role
from core.api import api, endpoint
from core.policies import BOARD, allow
from core.schemas import Input, Output
from triage import closing
from triage.access import current_actor, incident_or_404
from triage.referral_rules import ReferralAnswer
from triage.routes import incident_read
from triage.schemas import IncidentRead, Reason

SUPERVISOR = allow(Role.SUPERVISOR)


class DispositionRead(Output):
    """A closing code with its Dutch and English label."""

    code: str
    label: dict[str, str]


class DispositionList(Output):
    """The fixed list of dispositions."""

    items: list[DispositionRead]


class CloseBody(Input):
    """How the incident ended, and what happened with the referrals offered to the victim."""

    disposition: str = Field(max_length=32)
    note: str | None = Field(None, max_length=2000)
    referrals: dict[str, ReferralAnswer] = Field(
        default_factory=dict,
        max_length=10,
        description="kind (victim_support, psychosocial_support, child_abuse_centre) → a status "
        '("accepted") or {"status": "not_offered", "reason": "no_contact"}; recorded with the '
        "close. Left out: nothing is recorded (GET .../referrals shows them not yet offered).",
    )


class ReasonBody(Input):
    """A mandatory reason."""

    reason: Reason


@api.get("/dispositions")
@endpoint("List dispositions", BOARD, response=DispositionList, tags=("incidents",))
def list_dispositions():
    """The closing codes with Dutch and English labels."""
    return DispositionList(
        items=[
            DispositionRead(code=code, label={"en": en, "nl": nl})
            for code, (en, nl) in closing.DISPOSITIONS.items()
        ]
    )


@api.post("/incidents/<int:incident_id>/close")
@endpoint(
    "Close an incident",
    BOARD,
    body=CloseBody,
    response=IncidentRead,
    errors=(404, 409),
    tags=("incidents",),
)
def close_incident(incident_id: int, body: CloseBody):
    """Close with a disposition and the referrals' answers; refused (409) while a unit is still on
    it and not clear; an unknown referral kind or status is 422 and nothing is written."""
    incident = incident_or_404(incident_id)
    closing.close(incident, body.disposition, body.note, current_actor(), body.referrals)
    return incident_read(incident)


@api.post("/incidents/<int:incident_id>/legal-hold")
@endpoint(
    "Put on legal hold",
    SUPERVISOR,
    body=ReasonBody,
    response=IncidentRead,
    errors=(404,),
    tags=("incidents",),
)
def set_legal_hold(incident_id: int, body: ReasonBody):
    """Retention skips this incident until the hold is lifted."""
    incident = incident_or_404(incident_id)
    closing.set_legal_hold(incident, True, body.reason, current_actor())
    return incident_read(incident)


@api.delete("/incidents/<int:incident_id>/legal-hold")
@endpoint(
    "Lift the legal hold", SUPERVISOR, response=IncidentRead, errors=(404,), tags=("incidents",)
)
def lift_legal_hold(incident_id: int):
    """Retention may anonymise this incident again once it is due."""
    incident = incident_or_404(incident_id)
    closing.set_legal_hold(incident, False, None, current_actor())
    return incident_read(incident)


@api.post("/incidents/<int:incident_id>/restriction")
@endpoint(
    "Restrict an incident",
    SUPERVISOR,
    body=ReasonBody,
    response=IncidentRead,
    errors=(404,),
    tags=("incidents",),
)
def restrict(incident_id: int, body: ReasonBody):
    """Only supervisors and the people involved see its details from now on."""
    incident = incident_or_404(incident_id)
    closing.set_restriction(incident, True, body.reason, current_actor())
    return incident_read(incident)


@api.delete("/incidents/<int:incident_id>/restriction")
@endpoint(
    "Lift a restriction", SUPERVISOR, response=IncidentRead, errors=(404,), tags=("incidents",)
)
def unrestrict(incident_id: int):
    """Everyone on the board sees the incident's details again."""
    incident = incident_or_404(incident_id)
    closing.set_restriction(incident, False, None, current_actor())
    return incident_read(incident)
