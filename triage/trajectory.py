"""The risk trajectory: earlier screens of the same person and address beside the new one.

Belgian officers' complaint about their paper list is that each intervention starts from zero.
Here the earlier incidents of the same person records (linked by a dispatcher) and of the same
canonical address are put beside this incident's screen, item by item, with what changed marked;
level and score over time feed a small chart; and a "yes" to a stable fact (a separation, a gun,
a child from before) is offered as a suggestion the dispatcher confirms, never copied.

The intake asks the same before the call is saved, by the typed address and caller phone (in a
POST body, never in a URL), over the last REPEAT_WINDOW_DAYS only. Only incidents the viewer
may see are used, and every answer that names incidents is audited. The table itself is built
by the pure `triage.trajectory_table`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from flask import current_app
from pydantic import Field
from sqlalchemy import ColumnElement, and_, or_, select

from accounts.actor import Actor
from core import audit, clock
from core.api import api, endpoint
from core.db import db
from core.policies import BOARD
from core.ratelimit import per_user
from core.schemas import Input, Phone
from triage import location, screening, service
from triage.access import current_actor, incident_or_404, sees
from triage.models import Assessment, Incident, Person
from triage.trajectory_table import Screen, TrajectoryRead, build
from triage.visible_rows import visible_to

LIMIT = 10  # earlier incidents shown: the most recent ones
SCAN = LIMIT * 4  # rows read before the visibility filter leaves some out


class TrajectoryLookup(Input):
    """What the dispatcher has typed so far (before the call is saved)."""

    address: str | None = Field(None, max_length=300)
    caller_phone: Phone | None = None


Match = tuple[Incident, list[str]]


def _visible(
    actor: Actor, keys: dict[str, ColumnElement[bool]], when: ColumnElement[bool]
) -> list[Match]:
    """The newest incidents matching any key (with the keys each matched on) the actor sees."""
    if not keys:
        return []
    rows = db.session.execute(
        select(Incident, *(cond.label(f"on_{name}") for name, cond in keys.items()))
        # Restricted rows the actor may not see are never read (a hidden match costs what a
        # miss does); `sees` stays the final check.
        .where(or_(*keys.values()), when, Incident.anonymised_at.is_(None), visible_to(actor))
        .order_by(Incident.received_at.desc(), Incident.id.desc())
        .limit(SCAN)
    ).all()
    found: list[Match] = [
        (row[0], [name for name, hit in zip(keys, row[1:], strict=True) if hit]) for row in rows
    ]
    # Restricted incidents stay out for those who may not see them: not even counted.
    return [(incident, on) for incident, on in found if sees(actor, incident)][:LIMIT]


def earlier_incidents(actor: Actor, incident: Incident) -> list[Match]:
    """Incidents before this one of the same person records or the same canonical address."""
    keys: dict[str, ColumnElement[bool]] = {}
    records = {p.record_id for p in incident.persons if p.record_id is not None}
    if records:
        same_person = select(Person.incident_id).where(Person.record_id.in_(records))
        keys["person"] = Incident.id.in_(same_person)
    if incident.address_index:
        keys["address"] = Incident.address_index == incident.address_index
    before = or_(
        Incident.received_at < incident.received_at,
        and_(Incident.received_at == incident.received_at, Incident.id < incident.id),
    )
    return _visible(actor, keys, and_(Incident.id != incident.id, before))


def incidents_for_call(actor: Actor, address: str | None, phone: str | None) -> list[Match]:
    """Incidents at the typed address (canonical key) or from the typed caller phone, received
    in the last REPEAT_WINDOW_DAYS: what a call needs, not a person's whole past."""
    keys: dict[str, ColumnElement[bool]] = {}
    if index := location.canonical_index(address):
        keys["address"] = Incident.address_index == index
    if phone and (phone_key := service.phone_index(phone)):
        keys["caller_phone"] = Incident.caller_phone_index == phone_key
    since = clock.now() - dt.timedelta(days=int(current_app.config["REPEAT_WINDOW_DAYS"]))
    return _visible(actor, keys, Incident.received_at >= since)


def screens(incidents: Iterable[Incident], current_id: int | None = None) -> list[Screen]:
    """Each incident's latest screen per instrument, with the victim's fear on that incident."""
    by_id = {incident.id: incident for incident in incidents}
    if not by_id:
        return []
    rows = db.session.execute(
        select(Assessment)
        .where(Assessment.incident_id.in_(by_id))
        .order_by(Assessment.version, Assessment.id)
    ).scalars()
    latest: dict[tuple[int, str], Assessment] = {}
    fear: dict[int, int] = {}
    for a in rows:  # later versions overwrite earlier ones
        latest[(a.incident_id, a.instrument_id)] = a
        if a.victim_fear is not None:
            fear[a.incident_id] = int(a.victim_fear)
    return [
        Screen(
            incident_id=a.incident_id,
            reference=by_id[a.incident_id].reference,
            at=a.created_at,
            current=a.incident_id == current_id,
            assessment_id=a.id,
            instrument=a.instrument_id,
            answers=dict(a.answers or {}),
            level=a.level,
            score=a.score,
            fear=fear.get(a.incident_id),
        )
        for a in latest.values()
    ]


def trajectory(matches: list[Match], current: Incident | None, now: dt.datetime) -> TrajectoryRead:
    """The trajectory over the matched incidents (and the current one, last in every table)."""
    incidents = [incident for incident, _ in matches] + ([current] if current else [])
    return build(
        screening.instruments(),
        screens(incidents, current.id if current else None),
        matches,
        current.id if current else None,
        now,
        LIMIT,
    )


@api.get("/incidents/<int:incident_id>/trajectory")
@endpoint(
    "Earlier screens beside this one",
    BOARD,
    response=TrajectoryRead,
    errors=(404,),
    tags=("assessments",),
)
def get_trajectory(incident_id: int):
    """The earlier screens of the same person records and address, item by item beside this
    incident's latest, with changes, the level and score over time and stable-fact suggestions."""
    incident = incident_or_404(incident_id)
    matches = earlier_incidents(current_actor(), incident)
    audit.record("view", "trajectory", incident.id, object_ids=[i.id for i, _ in matches])
    return trajectory(matches, incident, clock.now())


@api.post("/trajectory/lookup")
# Per user, one bucket with the search and the other look-ups while a call is typed: a curious
# colleague cannot sweep the city's addresses and phones by spreading it over routes.
@per_user("lookup", "LOOKUP_RATE_LIMIT", "60 per minute")
@endpoint(
    "Earlier screens at a typed address or phone",
    BOARD,
    body=TrajectoryLookup,
    response=TrajectoryRead,
    tags=("assessments",),
)
def lookup_trajectory(body: TrajectoryLookup):
    """Earlier screens at the typed address or from the typed caller phone, asked while the call
    is typed (restricted incidents only for those who may see them)."""
    matches = incidents_for_call(current_actor(), body.address, body.caller_phone)
    # Every question is audited, found or not (a miss is an answer too), by what was asked.
    asked = [n for n, v in (("address", body.address), ("phone", body.caller_phone)) if v]
    audit.record(
        "search",
        "trajectory_by_" + "_and_".join(asked or ["nothing"]),
        object_ids=[i.id for i, _ in matches],
    )
    return trajectory(matches, None, clock.now())
