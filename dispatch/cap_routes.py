"""The CAP export API at the edge: routes translate HTTP to dispatch.cap."""

from __future__ import annotations

from flask import Response, current_app
from pydantic import Field

from core import audit, clock
from core.api import api, endpoint, problem
from core.i18n import lazy_gettext as _l
from core.policies import BOARD
from core.schemas import Input
from dispatch import cap
from dispatch.access import exportable_incident
from triage.access import current_actor
from triage.models import Incident
from triage.service import timeline


class CapQuery(Input):
    """`?version=N`: the N-th message of the incident's CAP history (1-based); else the latest."""

    version: int | None = Field(None, ge=1, le=100_000)


@api.get("/incidents/<int:incident_id>/cap")
@endpoint(
    "The incident as an OASIS CAP 1.2 message (the latest, or ?version=N)",
    BOARD,
    query=CapQuery,
    errors=(404,),
    tags=("standards",),
    produces=cap.MEDIA_TYPE,
)
def incident_cap(incident_id: int, query: CapQuery) -> Response:
    """Export the incident's CAP message, without personal data; audited as an export."""
    incident = exportable_incident(current_actor(), incident_id)
    facts = cap_facts(incident)
    messages = cap.history(cap_changes(incident.id), facts)
    number = query.version or len(messages)
    if not 1 <= number <= len(messages):
        raise problem(404, "not_found", _l("This incident has no CAP message with that version."))
    body = cap.render(messages, number, facts, current_app.config["EXCHANGE_SENDER"], clock.zone())
    audit.record("export", "incident", incident.id, reason=f"CAP 1.2 v{number}")
    return Response(body, status=200, mimetype=cap.MEDIA_TYPE)


def cap_facts(incident: Incident) -> cap.Facts:
    """The incident's plain facts that CAP may carry (no personal data)."""
    return cap.Facts(
        reference=incident.reference,
        status=str(incident.status),
        priority=str(incident.priority),
        exercise=bool(incident.exercise),
        district=incident.district,
        postcode=incident.postcode,
        lat=incident.lat,
        lon=incident.lon,
        accuracy_m=incident.location_accuracy_m,
        location_quality=str(incident.location_quality) if incident.location_quality else None,
        updated_at=incident.updated_at,
    )


def cap_changes(incident_id: int) -> list[cap.Change]:
    """The incident's timeline as CAP reads it (kinds, states and field names; no detail)."""
    return [
        cap.Change(e.occurred_at, e.kind, e.from_state, e.to_state, dict(e.data or {}))
        for e in timeline(incident_id)
    ]
