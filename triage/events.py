"""Realtime payloads for triage events: plain dicts from schemas, never ORM objects."""

from __future__ import annotations

from typing import Any, NamedTuple

from accounts.models import User
from core.db import before_commit, db, queued, transaction_queue
from core.realtime import publish, publish_split, rooms
from triage import links, visibility
from triage.models import Assessment, Incident, IncidentStatus
from triage.schemas import IncidentSummary


def summaries(
    incidents: list[Incident], viewer: User | None = None, *, redact: bool = True
) -> list[IncidentSummary]:
    """Queue rows (no query: the dispatch time is the incident's own); restricted ones as
    placeholders unless the viewer may see them (`redact=False`: whole rows, for
    `publish_about` to split)."""
    rows = []
    for incident in incidents:
        row = IncidentSummary.model_validate(incident)
        hidden = viewer is None or not visibility.can_see(viewer, incident)
        if redact and incident.restricted and hidden:
            row = IncidentSummary.model_validate(visibility.placeholder(row.model_dump()))
        rows.append(row)
    return rows


def incident_summary(incident: Incident) -> dict[str, Any]:
    """What the board is sent of an incident: no case content; a placeholder if restricted."""
    return summaries([incident])[0].model_dump(mode="json")


def publish_about(
    name: str, incident: Incident | None, whole: dict[str, Any], redacted: dict[str, Any]
) -> None:
    """Publish an event about an incident to each audience in the version it may see.

    Every live payload that carries incident data goes through here (and so through
    `visibility.live_audience`): the whole version to those who may see the incident, the redacted
    one (marked `restricted: true`) to the rest of the board. The crews' phones are told to
    re-read their own view (`refresh_officers`).
    """
    refresh_officers(name, incident, whole)
    if incident is None or not incident.restricted:
        publish(name, whole, rooms.board())
        return
    full_rooms, redacted_rooms = visibility.live_audience(incident)
    publish_split(
        name,
        whole,
        {**redacted, "restricted": True},
        full_rooms=full_rooms,
        redacted_rooms=redacted_rooms,
    )


# Events that change nothing on an officer's page (the phone sent its own position).
QUIET_FOR_OFFICERS = frozenset({"unit.position"})


class Refresh(NamedTuple):
    """Phones to tell, for one event: about `incident_id` (None: the unit's own status), its
    crews (`crew`: the incident was ever sent a unit) and the officers of `unit_id`."""

    incident_id: int | None
    crew: bool
    unit_id: int | None


_REFRESHES = "nachtwacht.officer_refreshes"
transaction_queue(_REFRESHES)


def refresh_officers(name: str, incident: Incident | None, whole: dict[str, Any]) -> None:
    """`officer.refresh` to the phones of the incident's crews (active or in the grace) and, for
    a unit's status, of the unit's officers: an id only, the phone re-reads what it may see.

    Noted now, asked as the transaction commits: one query for all of its events, and one
    refresh per incident for each phone (a phone re-reads its whole view anyway)."""
    if name in QUIET_FOR_OFFICERS:
        return
    crew = incident is not None and incident.status != IncidentStatus.NEW  # never sent: no crew
    unit_id = int(whole["id"]) if name == "unit.status" and whole.get("id") is not None else None
    if not crew and unit_id is None:
        return
    pending = queued(db.session(), _REFRESHES)
    if not pending:
        before_commit(_send_refreshes)
    pending.append(Refresh(incident.id if incident is not None else None, crew, unit_id))


def _send_refreshes() -> None:
    """The transaction's refreshes: the officers asked in one query, one event per incident."""
    pending: list[Refresh] = db.session().info.pop(_REFRESHES, [])
    crews, units = links.assignments().officers(
        {r.incident_id for r in pending if r.crew and r.incident_id is not None},
        {r.unit_id for r in pending if r.unit_id is not None},
    )
    audience: dict[int | None, set[int]] = {}
    for r in pending:
        users = audience.setdefault(r.incident_id, set())
        users |= crews.get(r.incident_id, set()) if r.crew else set()
        users |= units.get(r.unit_id, set()) if r.unit_id is not None else set()
    for incident_id, users in audience.items():
        if users:
            rooms_ = [rooms.officer(u) for u in sorted(users)]
            publish("officer.refresh", {"incident_id": incident_id}, rooms_)


def publish_incident(name: str, incident: Incident) -> None:
    """`incident.created` / `incident.updated`: the queue row, a placeholder for the others."""
    whole = summaries([incident], viewer=None, redact=False)[0].model_dump(mode="json")
    publish_about(name, incident, whole, visibility.placeholder(whole))


def publish_assessment(assessment: Assessment, incident: Incident) -> None:
    """`assessment.scored`: the level and score only for those who may see the incident."""
    whole = assessment_event(assessment, incident)
    redacted = {**whole, "instrument": None, "level": None, "score": None, "priority": None}
    publish_about("assessment.scored", incident, whole, redacted)


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
        "restricted": bool(incident.restricted),
    }
