"""Closing an incident, legal hold and restriction: supervisor and dispatcher case actions."""

from __future__ import annotations

from pydantic import Field
from sqlalchemy import column, exists, select, table

from app import audit
from app.api.core import api, endpoint, problem
from app.auth.models import Role
from app.db import db
from app.realtime import board_rooms, publish
from app.schemas import Input, Output
from app.security import BOARD, allow
from core import clock
from triage import events
from triage.models import Incident, IncidentStatus
from triage.routes import actor, incident_or_404, incident_read
from triage.schemas import IncidentRead, Reason
from triage.service import add_timeline

SUPERVISOR = allow(Role.SUPERVISOR)
# code → (English, Dutch); both are returned by the API so integrations need no catalogue.
DISPOSITIONS = {
    "resolved_on_scene": ("Resolved on scene", "Opgelost ter plaatse"),
    "victim_to_shelter": ("Victim taken to a shelter", "Slachtoffer naar opvang"),
    "arrest": ("Arrest made", "Arrestatie"),
    "house_ban": ("Temporary house ban", "Tijdelijk huisverbod"),
    "referred_to_services": ("Referred to social services", "Doorverwezen naar hulpverlening"),
    "medical_care": ("Medical care arranged", "Medische zorg geregeld"),
    "no_offence": ("No offence found", "Geen misdrijf vastgesteld"),
    "no_contact": ("No one found on arrival", "Niemand aangetroffen"),
    "cancelled": ("Cancelled by the caller", "Geannuleerd door de melder"),
}
_active = table("assignment", column("incident_id"), column("status"))


class DispositionRead(Output):
    """A closing code with its Dutch and English label."""

    code: str
    label: dict[str, str]


class DispositionList(Output):
    """The fixed list of dispositions."""

    items: list[DispositionRead]


class CloseBody(Input):
    """How the incident ended."""

    disposition: str = Field(max_length=32)
    note: str | None = Field(None, max_length=2000)


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
            for code, (en, nl) in DISPOSITIONS.items()
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
    """Close with a disposition; refused (409) while a unit is still on it and not clear."""
    incident = incident_or_404(incident_id)
    if body.disposition not in DISPOSITIONS:
        raise problem(
            422,
            "validation_error",
            "Unknown disposition.",
            {"disposition": f"one of {', '.join(DISPOSITIONS)}"},
        )
    if incident.status == IncidentStatus.CLOSED:
        raise problem(409, "conflict", "The incident is already closed.", {"status": "closed"})
    on_it = db.session.execute(
        select(exists().where(_active.c.incident_id == incident.id, _active.c.status == "active"))
    ).scalar()
    if on_it:
        raise problem(
            409,
            "conflict",
            "A unit is still on this incident; it must clear first.",
            {"status": "units still assigned"},
        )
    old = incident.status
    incident.status, incident.closed_at, incident.disposition = (
        IncidentStatus.CLOSED,
        clock.now(),
        body.disposition,
    )
    add_timeline(
        incident.id,
        "incident.closed",
        actor(),
        from_state=old,
        to_state=IncidentStatus.CLOSED,
        detail=body.note,
        data={"disposition": body.disposition},
    )
    audit.record("update", "incident", incident.id)
    publish("incident.updated", events.incident_summary(incident), board_rooms())
    db.session.commit()
    return incident_read(incident)


def _flag(incident: Incident, field: str, value: bool, reason: str, kind: str) -> None:
    setattr(incident, field, value)
    add_timeline(incident.id, kind, actor(), detail=reason)
    audit.record(kind.replace(".", "_"), "incident", incident.id)
    publish("incident.updated", events.incident_summary(incident), board_rooms())


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
    _flag(incident, "legal_hold", True, body.reason, "legal_hold.set")
    db.session.commit()
    return incident_read(incident)


@api.delete("/incidents/<int:incident_id>/legal-hold")
@endpoint(
    "Lift the legal hold", SUPERVISOR, response=IncidentRead, errors=(404,), tags=("incidents",)
)
def lift_legal_hold(incident_id: int):
    """Retention may anonymise this incident again once it is due."""
    incident = incident_or_404(incident_id)
    _flag(incident, "legal_hold", False, None, "legal_hold.lifted")
    db.session.commit()
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
    incident.restricted_reason = body.reason
    _flag(incident, "restricted", True, body.reason, "restriction.set")
    db.session.commit()
    return incident_read(incident)


@api.delete("/incidents/<int:incident_id>/restriction")
@endpoint(
    "Lift a restriction", SUPERVISOR, response=IncidentRead, errors=(404,), tags=("incidents",)
)
def unrestrict(incident_id: int):
    """Everyone on the board sees the incident's details again."""
    incident = incident_or_404(incident_id)
    incident.restricted_reason = None
    _flag(incident, "restricted", False, None, "restriction.lifted")
    db.session.commit()
    return incident_read(incident)
