"""Realtime payloads for triage events: plain dicts from schemas, never ORM objects."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import column, func, select, table

from app.db import UTCDateTime, db
from triage.models import Assessment, Incident
from triage.schemas import IncidentSummary

# The assignment table, seen from triage without importing the dispatch package.
_assignment = table("assignment", column("incident_id"), column("assigned_at", UTCDateTime()))


def dispatched_times(incident_ids: list[int]) -> dict[int, dt.datetime]:
    """When each incident first had a unit assigned (for the board's "since dispatch" timer)."""
    if not incident_ids:
        return {}
    rows = db.session.execute(
        select(_assignment.c.incident_id, func.min(_assignment.c.assigned_at))
        .where(_assignment.c.incident_id.in_(incident_ids))
        .group_by(_assignment.c.incident_id)
    )
    return {incident_id: when for incident_id, when in rows}


def summaries(incidents: list[Incident]) -> list[IncidentSummary]:
    """Queue rows for several incidents (one query for their dispatch times)."""
    times = dispatched_times([i.id for i in incidents])
    return [
        IncidentSummary.model_validate(i).model_copy(update={"dispatched_at": times.get(i.id)})
        for i in incidents
    ]


def incident_summary(incident: Incident) -> dict[str, Any]:
    """What the board shows of an incident (no names, phone numbers or narrative)."""
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
