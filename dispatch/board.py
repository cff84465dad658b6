"""The board snapshot a console loads on (re)connect, so a dropped connection heals itself."""

from __future__ import annotations

from dataclasses import dataclass

from flask_login import current_user
from pydantic import Field
from sqlalchemy import select

from core import audit, clock
from core.api import api, endpoint
from core.db import db
from core.policies import BOARD
from core.schemas import Output
from dispatch.alarms import open_alarms
from dispatch.models import Unit
from dispatch.routes import units_read
from dispatch.schemas import UnitRead
from dispatch.service import current_incidents
from triage.events import summaries
from triage.models import Incident, IncidentStatus
from triage.schemas import IncidentSummary


class Alarm(Output):
    """An alarm that still stands (same fields as the live `escalation` event)."""

    key: str = Field(description="the alarm's identity, the same as in the live event")
    kind: str
    incident_id: int
    reference: str
    assignment_id: int | None = None
    unit_id: int | None = None
    call_sign: str | None = None
    message_id: int | None = None
    reason: str | None = None


class BoardSnapshot(Output):
    """Open incidents (queue order), every unit and the alarms that stand, as of `as_of`."""

    as_of: str
    incidents: list[IncidentSummary]
    units: list[UnitRead]
    alarms: list[Alarm]
    user: str = Field(description="who asked")


@dataclass(frozen=True)
class Board:
    """What a console shows: the open queue, every unit and the incident each unit is on."""

    incidents: list[Incident]
    units: list[Unit]
    current: dict[int, int]


def load_board() -> Board:
    """Open incidents in queue order (at most 500) and every unit; the read is audited."""
    incidents = (
        db.session.execute(
            select(Incident)
            .where(Incident.status != IncidentStatus.CLOSED)
            .order_by(Incident.priority, Incident.received_at, Incident.id)
            .limit(500)
        )
        .scalars()
        .all()
    )
    units = db.session.execute(select(Unit).order_by(Unit.call_sign)).unique().scalars().all()
    current = current_incidents([u.id for u in units])
    audit.record("list", "incident", object_ids=[i.id for i in incidents])
    return Board(list(incidents), list(units), current)


@api.get("/board")
@endpoint("The board snapshot", BOARD, response=BoardSnapshot, tags=("console",))
def board_snapshot():
    """Everything a console shows, for (re)connecting consoles."""
    board = load_board()
    return BoardSnapshot(
        as_of=clock.now().isoformat(),
        incidents=summaries(board.incidents, current_user),
        units=units_read(board.units, board.current),
        alarms=open_alarms(),
        user=current_user.username,
    )
