"""Realtime payloads for triage events: plain dicts from schemas, never ORM objects."""

from __future__ import annotations

from typing import Any

from triage.models import Assessment, Incident
from triage.schemas import IncidentSummary


def incident_summary(incident: Incident) -> dict[str, Any]:
    """What the board shows of an incident (no names, phone numbers or narrative)."""
    return IncidentSummary.model_validate(incident).model_dump(mode="json")


def assessment_event(assessment: Assessment, incident: Incident) -> dict[str, Any]:
    """A scored assessment, without its answers."""
    return {
        "id": assessment.id,
        "incident_id": incident.id,
        "reference": incident.reference,
        "instrument": assessment.instrument_id,
        "level": assessment.level,
        "score": assessment.score,
        "priority": assessment.priority,
        "incident_priority": incident.priority,
    }
