"""The board snapshot a console loads on (re)connect, so a dropped connection heals itself."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask_login import current_user
from pydantic import Field
from sqlalchemy import literal, select

from core import audit, clock
from core.api import api, endpoint
from core.db import db
from core.policies import BOARD
from core.schemas import Output
from dispatch import alarms, positions
from dispatch.access import visible_alarm
from dispatch.models import Unit
from dispatch.routes import units_read
from dispatch.schemas import UnitRead
from dispatch.service import current_incidents
from triage.access import current_actor
from triage.events import summaries
from triage.models import Incident, IncidentStatus
from triage.schemas import IncidentSummary


class AlarmRead(Output):
    """An alarm whose cause has not ended (the same fields as `alarm.raised`)."""

    id: int
    key: str = Field(description="the cause: one standing alarm per key")
    kind: str = Field(
        description="p1_waiting, distress, no_ack, no_ack_supervisor, welfare_check, "
        "welfare_supervisor, sms_failed, unit_text, unit_help, unit_danger, unknown_sender, "
        "handover_overdue"
    )
    severity: str = Field(description="critical, high or normal")
    incident_id: int | None = None
    reference: str | None = None
    priority: str | None = None
    unit_id: int | None = None
    call_sign: str | None = None
    assignment_id: int | None = None
    message_id: int | None = None
    detail: dict[str, Any] = Field(default_factory=dict)
    raised_at: str
    acknowledged_at: str | None = None
    acknowledged_by: str | None = None
    resolved_at: str | None = None
    has_text: bool = False
    text: str | None = Field(None, description="the SMS text, for those who may read it")
    from_number: str | None = Field(None, description="an unknown sender's number (audited)")


class AlarmList(Output):
    """Standing alarms, most severe first, then oldest first."""

    alarms: list[AlarmRead]


class BoardSnapshot(Output):
    """Open incidents (queue order), every unit and the alarms that stand, as of `as_of`."""

    as_of: str
    incidents: list[IncidentSummary]
    units: list[UnitRead]
    alarms: list[AlarmRead]
    user: str = Field(description="who asked")
    sound_muted: bool = Field(False, description="this user's console sound is off")
    late_after_s: dict[str, int] = Field(
        default_factory=dict, description="seconds without a unit before a row is late"
    )
    unit_position_stale_s: int = Field(
        900, description="a unit position older than this is stale (the console ages them)"
    )


@dataclass(frozen=True)
class Board:
    """What a console shows: the open queue, every unit and the incident each unit is on."""

    incidents: list[Incident]
    units: list[Unit]
    current: dict[int, int]


# Rendered into the statement, not bound: the planner then knows the query asks for open calls
# only and reads the small partial index `ix_incident_open` (a prepared statement's generic
# plan cannot know that and scans a year of closed calls).
CLOSED = literal(IncidentStatus.CLOSED.value, literal_execute=True)


def load_board() -> Board:
    """Open incidents in queue order (at most 500) and every unit; the read is audited."""
    incidents = (
        db.session.execute(
            select(Incident)
            .where(Incident.status != CLOSED)
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
        alarms=alarms.serialise(alarms.standing(current_user), current_user),
        user=current_user.username,
        sound_muted=bool(current_user.sound_muted),
        late_after_s=current_app.config["LATE_AFTER_S"],
        unit_position_stale_s=positions.stale_limit_s(),
    )


@api.get("/alarms")
@endpoint("Standing alarms", BOARD, response=AlarmList, tags=("console",))
def list_alarms():
    """Alarms whose cause has not ended, most severe first (texts only for those allowed)."""
    return AlarmList(alarms=alarms.serialise(alarms.standing(current_user), current_user))


@api.get("/alarms/<int:alarm_id>")
@endpoint("One alarm", BOARD, response=AlarmRead, errors=(404,), tags=("console",))
def read_alarm(alarm_id: int):
    """One alarm with its SMS text where the viewer may read it (unknown senders: audited)."""
    alarm = visible_alarm(current_actor(), alarm_id)
    return AlarmRead(**alarms.serialise([alarm], current_user, opened=True)[0])


@api.post("/alarms/<int:alarm_id>/acknowledge")
@endpoint("Acknowledge an alarm", BOARD, response=AlarmRead, errors=(404,), tags=("console",))
def acknowledge_alarm(alarm_id: int):
    """Quiet the alarm on every console; the timeline records who acknowledged it."""
    actor = current_actor()
    alarm = alarms.acknowledge(visible_alarm(actor, alarm_id), actor)
    return AlarmRead(**alarms.serialise([alarm], current_user)[0])
