"""Realtime payloads for triage events: plain dicts from schemas, never ORM objects."""

from __future__ import annotations

import datetime as dt
from typing import Any

from accounts.models import User
from triage import links, visibility
from triage.models import Assessment, Incident
from triage.schemas import IncidentSummary


def dispatched_times(incident_ids: list[int]) -> dict[int, dt.datetime]:
    """When each incident first had a unit assigned (for the board's "since dispatch" timer)."""
    return links.assignments().first_assigned_at(incident_ids)


def summaries(incidents: list[Incident], viewer: User | None = None) -> list[IncidentSummary]:
    """Queue rows (one query for dispatch times); restricted ones as placeholders unless allowed."""
    times = dispatched_times([i.id for i in incidents])
    rows = []
    for incident in incidents:
        row = IncidentSummary.model_validate(incident).model_copy(
            update={"dispatched_at": times.get(incident.id)}
        )
        if incident.restricted and (viewer is None or not visibility.can_see(viewer, incident)):
            row = IncidentSummary.model_validate(visibility.placeholder(row.model_dump()))
        rows.append(row)
    return rows


def incident_summary(incident: Incident) -> dict[str, Any]:
    """What the board is sent of an incident: no case content; a placeholder if restricted."""
    return summaries([incident])[0].model_dump(mode="json")


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
