"""Is this call already on the board? Open incidents at the same address or from the same phone.

The intake asks while the dispatcher types, before saving: a second call about the same fight
joins the incident that is open instead of starting one that a unit is sent to twice. The
address is matched by its canonical key (triage.canonical), however it was spelled. The address
and phone travel in a POST body (never in a URL that a log keeps) and are compared through their
blind indexes; every answer that names incidents is audited.
"""

from __future__ import annotations

import datetime as dt

from flask import current_app
from pydantic import Field
from sqlalchemy import or_, select

from accounts.actor import Actor
from core import audit, clock
from core.api import api, endpoint
from core.db import db
from core.policies import BOARD
from core.ratelimit import per_user
from core.schemas import Input, Output, Phone
from triage import location, service
from triage.access import current_actor, sees
from triage.models import Incident, IncidentStatus
from triage.visible_rows import visible_to

LIMIT = 5


class DuplicateQuery(Input):
    """What the dispatcher has typed so far."""

    address: str | None = Field(None, max_length=300)
    caller_phone: Phone | None = None


class DuplicateRead(Output):
    """An open incident the new call may be about."""

    id: int
    reference: str
    priority: str
    status: str
    district: str | None
    received_at: dt.datetime
    restricted: bool
    matched_on: list[str] = Field(description="address and/or caller_phone")


class DuplicateList(Output):
    """Open incidents received in the last DUPLICATE_WINDOW_H hours, newest first."""

    window_h: int
    items: list[DuplicateRead]


def open_matches(
    actor: Actor, address: str | None, phone: str | None, now: dt.datetime, hours: int
):
    """Open incidents since `now - hours` whose address or caller phone index matches, of
    those the actor may see (`sees` is still asked of each: the SQL condition lets more by)."""
    keys = {}
    # The canonical key (triage.canonical): "Carnot str 45" finds "Carnotstraat 45, 2060".
    index = location.canonical_index(address)
    if index:
        keys["address"] = (Incident.address_index, index)
    if phone:
        keys["caller_phone"] = (Incident.caller_phone_index, service.phone_index(phone))
    if not keys:
        return []
    rows = db.session.execute(
        select(Incident)
        .where(
            or_(*(column == value for column, value in keys.values())),
            Incident.status != IncidentStatus.CLOSED,
            Incident.received_at >= now - dt.timedelta(hours=hours),
            visible_to(actor),  # a hidden match is never read: it costs what a miss costs
        )
        .order_by(Incident.received_at.desc())
        .limit(LIMIT * 4)
    ).scalars()
    return [
        (row, [name for name, (column, value) in keys.items() if getattr(row, column.key) == value])
        for row in rows
    ]


@api.post("/incidents/duplicates")
# Per user, one bucket with the search and the other look-ups while a call is typed: a curious
# colleague cannot sweep the city's phones by spreading it over routes.
@per_user("lookup", "LOOKUP_RATE_LIMIT", "60 per minute")
@endpoint(
    "Open incidents this call may be about",
    BOARD,
    body=DuplicateQuery,
    response=DuplicateList,
    tags=("incidents",),
)
def find_duplicates(body: DuplicateQuery):
    """Open incidents at the same address or from the same phone (restricted ones only for
    those who may see them); asked while the call is typed, before it is saved."""
    hours = int(current_app.config["DUPLICATE_WINDOW_H"])
    actor = current_actor()
    found = [
        (incident, matched)
        for incident, matched in open_matches(
            actor, body.address, body.caller_phone, clock.now(), hours
        )
        if sees(actor, incident)
    ][:LIMIT]
    # Every question is audited, found or not (a miss is an answer too), by what was asked.
    asked = [n for n, v in (("address", body.address), ("phone", body.caller_phone)) if v]
    audit.record(
        "search",
        "incident_by_" + "_and_".join(asked or ["nothing"]),
        object_ids=[i.id for i, _ in found],
    )
    return DuplicateList(
        window_h=hours,
        items=[
            DuplicateRead(
                id=i.id,
                reference=i.reference,
                priority=str(i.priority),
                status=str(i.status),
                district=i.district,
                received_at=i.received_at,
                restricted=bool(i.restricted),
                matched_on=matched,
            )
            for i, matched in found
        ],
    )
