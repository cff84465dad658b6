"""Multi-step dispatch flows: assign, release, status changes from the console or by SMS.

Each flow runs in the caller's transaction (the route or webhook commits once); a unit's status
moves only through one compare-and-set UPDATE, so two dispatchers racing for a unit get
exactly one success.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm.attributes import set_committed_value

from accounts.actor import Actor
from core import audit, clock
from core.db import after_commit, db
from core.errors import DomainError
from core.i18n import lazy_gettext as _l
from core.realtime import board_rooms, publish
from dispatch import alarms, danger, events, texts
from dispatch.labels import status_label
from dispatch.models import (
    Assignment,
    AssignmentStatus,
    Message,
    Unit,
    UnitStatus,
)
from dispatch.outbox import outbox
from dispatch.replies import MAX_SMS_CHARS, REPLY_STATUS
from dispatch.service import (
    ON_INCIDENT,
    TransitionError,
    active_assignments,
    check_transition,
    compare_and_set_status,
    on_shift,
    recent_assignment,
    served_incident,
)
from triage import events as triage_events
from triage.models import Incident, IncidentStatus, coarse
from triage.service import add_timeline


class DispatchError(DomainError):
    """A dispatch action refused, with an HTTP status and the offending field."""

    def __init__(self, status: int, message: Any, fields: dict[str, Any] | None = None):
        code = "conflict" if status == 409 else "validation_error"
        super().__init__(status, code, message, fields)


def _move(
    unit: Unit, new: UnitStatus, actor: Actor, incident: Incident | None, now: dt.datetime
) -> None:
    """Move a unit with compare-and-set, record the timeline line and the event (about
    `incident`, the one it moves for, if any)."""
    old = UnitStatus(unit.status)
    if not compare_and_set_status(unit.id, old, new, now):
        db.session.refresh(unit)
        raise TransitionError(
            unit.status,
            new,
            _l("Unit %(unit)s is no longer %(old)s.", unit=unit.call_sign, old=status_label(old)),
        )
    # The UPDATE above wrote them: tell the session so, or its flush would write them again.
    set_committed_value(unit, "status", new)
    set_committed_value(unit, "status_changed_at", now)
    incident_id = incident.id if incident is not None else None
    add_timeline(incident_id, "unit.status", actor, unit_id=unit.id, from_state=old, to_state=new)
    whole = events.unit_event(unit, incident_id, str(actor.source))
    hidden = {"lat": None, "lon": None, "position_at": None}  # on scene: the home's position
    triage_events.publish_about("unit.status", incident, whole, {**whole, **hidden})


def assign_unit(
    incident: Incident, unit: Unit, actor: Actor, now: dt.datetime | None = None
) -> Assignment:
    """Send a unit: unit → assigned, incident → dispatched, SMS in the outbox, one transaction."""
    now = now or clock.now()
    if incident.status == IncidentStatus.CLOSED:
        raise DispatchError(
            409, _l("The incident is closed."), {"incident": _l("The incident is closed.")}
        )
    if not on_shift(unit, now, clock.zone()):
        raise DispatchError(
            409,
            _l("%(unit)s is outside its shift.", unit=unit.call_sign),
            {"unit_id": _l("Outside its shift.")},
        )
    if unit.status != UnitStatus.AVAILABLE:
        busy = status_label(unit.status)
        raise DispatchError(
            409,
            _l("%(unit)s is %(status)s, not available.", unit=unit.call_sign, status=busy),
            {"unit_id": _l("The unit is %(status)s.", status=busy)},
        )
    try:
        _move(unit, UnitStatus.ASSIGNED, actor, incident, now)
    except TransitionError as exc:
        raise DispatchError(409, str(exc), {"unit_id": f"unit is {exc.current}"}) from None
    flags, prior = danger.sms_flags(incident)
    assignment = Assignment(
        incident_id=incident.id,
        unit_id=unit.id,
        assigned_at=now,
        last_update_at=now,
        assigned_by_id=actor.user.id if actor.user else None,
        danger_sent=flags,  # what the SMS below tells the unit
    )
    db.session.add(assignment)
    db.session.flush()
    alarms.resolve(incident_id=incident.id, kinds=("p1_waiting",))
    if incident.dispatched_at is None:
        incident.dispatched_at = now  # the first unit sent: the board's "since dispatch" timer
    _incident_status(incident, IncidentStatus.DISPATCHED, actor)
    body = texts.compose_assignment_sms(
        unit.call_sign,
        incident.reference,
        incident.priority,
        incident.sms_address,
        lang=unit.sms_language,
        danger=texts.danger_line(unit.sms_language, flags, prior),
    )
    outbox(unit, incident, body, "assignment", assignment)
    add_timeline(
        incident.id,
        "assignment.created",
        actor,
        unit_id=unit.id,
        data={"call_sign": unit.call_sign},
    )
    audit.record("create", "assignment", assignment.id)
    publish(
        "assignment.created",
        events.assignment_event(assignment, unit, incident.reference, bool(incident.restricted)),
        board_rooms(),
    )
    return assignment


def _incident_status(incident: Incident, new: IncidentStatus, actor: Actor) -> None:
    if incident.status == new or incident.status == IncidentStatus.CLOSED:
        return
    old = incident.status
    incident.status = new
    add_timeline(incident.id, "incident.status", actor, from_state=old, to_state=new)
    triage_events.publish_incident("incident.updated", incident)


def end_assignment(
    assignment: Assignment, how: AssignmentStatus, actor: Actor, now: dt.datetime
) -> None:
    """Close an assignment (cleared by the unit, or released by a dispatcher)."""
    assignment.status, assignment.ended_at = how, now
    alarms.resolve(assignment_id=assignment.id, kinds=alarms.ASSIGNMENT_KINDS)
    incident = db.session.get(Incident, assignment.incident_id)
    unit = db.session.get(Unit, assignment.unit_id)
    add_timeline(
        incident.id, f"assignment.{how}", actor, unit_id=unit.id, data={"call_sign": unit.call_sign}
    )
    if unit.lat is not None and unit.lon is not None:
        # Where it stood was the home's (and the incident may be restricted later): the board
        # keeps about a kilometre of it until the unit reports a new position.
        unit.lat, unit.lon = coarse(unit.lat), coarse(unit.lon)
    triage_events.publish_incident("incident.updated", incident)
    remaining = db.session.execute(
        select(Assignment.id).where(
            Assignment.incident_id == incident.id, Assignment.status == AssignmentStatus.ACTIVE
        )
    ).first()
    if remaining is None:
        _incident_status(incident, IncidentStatus.CLEARED, actor)


def release(
    assignment: Assignment, actor: Actor, reason: str, now: dt.datetime | None = None
) -> None:
    """Take a unit off an incident (re-assigning, or no longer needed); it becomes available."""
    now = now or clock.now()
    if assignment.status != AssignmentStatus.ACTIVE:
        raise DispatchError(
            409,
            _l("This assignment has already ended."),
            {"assignment": status_label(assignment.status)},
        )
    unit = db.session.get(Unit, assignment.unit_id)
    incident = db.session.get(Incident, assignment.incident_id)
    if unit.status in ON_INCIDENT:
        _move(unit, UnitStatus.AVAILABLE, actor, incident, now)
    end_assignment(assignment, AssignmentStatus.RELEASED, actor, now)
    body = texts.compose_release_sms(unit.call_sign, incident.reference, lang=unit.sms_language)
    outbox(unit, incident, body, "release", assignment)
    add_timeline(incident.id, "assignment.release_reason", actor, unit_id=unit.id, detail=reason)
    audit.record("update", "assignment", assignment.id)


def change_status(
    unit: Unit,
    new: UnitStatus,
    actor: Actor,
    reference: str | None = None,
    now: dt.datetime | None = None,
) -> Assignment | None:
    """Apply a status change from the console or an SMS; follow it on the incident."""
    return _change_status(unit, new, actor, reference, now or clock.now(), None, None)[0]


def _change_status(
    unit: Unit,
    new: UnitStatus,
    actor: Actor,
    reference: str | None,
    now: dt.datetime,
    touched: list[Assignment] | None,
    ending: dict[int, tuple[str, ...]] | None,
) -> tuple[Assignment | None, Incident | None]:
    """`change_status`, returning the assignment it followed and its incident; `touched` are
    the unit's active assignments when its report restarts their welfare timers, and `ending`
    the alarms it ends (both None for a change from the console)."""
    current = touched if touched is not None else active_assignments(unit.id)
    assignment = _pick(current, reference)
    if new == UnitStatus.ASSIGNED:
        raise TransitionError(
            unit.status, new, _l("A unit is assigned through an assignment, not a status change.")
        )
    check_transition(UnitStatus(unit.status), new, bool(current))
    # Held here for the whole change: the session keeps only weak references, so an incident
    # loaded inside `_move` alone would be read again by `_follow`.
    incident = db.session.get(Incident, assignment.incident_id) if assignment else None
    _move(unit, new, actor, incident, now)
    if assignment is not None:
        _follow(assignment, incident, new, actor, now, ending)
    return assignment, incident


def _pick(assignments: list[Assignment], reference: str | None) -> Assignment | None:
    if reference:
        for a in assignments:
            incident = db.session.get(Incident, a.incident_id)
            if incident and incident.reference == reference:
                return a
    return assignments[-1] if assignments else None


def _follow(
    assignment: Assignment,
    incident: Incident,
    new: UnitStatus,
    actor: Actor,
    now: dt.datetime,
    report_ending: dict[int, tuple[str, ...]] | None = None,
) -> None:
    """What a unit's status means for its assignment and incident. `report_ending`: the
    alarms a unit's report ends once it is applied (its welfare alarms are in it already);
    None for a change from the console, whose alarms end here."""
    assignment.last_update_at = now
    ending = () if report_ending is not None else alarms.WELFARE_KINDS
    if (
        new in (UnitStatus.ACKNOWLEDGED, UnitStatus.EN_ROUTE, UnitStatus.ON_SCENE)
        and not assignment.acknowledged_at
    ):
        assignment.acknowledged_at = now
        ending += alarms.ASSIGNMENT_KINDS  # answered: the unanswered-assignment alarms end
    # The first report of each step, for the statistics (flushed in the same UPDATE).
    if new == UnitStatus.EN_ROUTE and assignment.en_route_at is None:
        assignment.en_route_at = now
    if new == UnitStatus.ON_SCENE and assignment.on_scene_at is None:
        assignment.on_scene_at = now
    if report_ending is not None:
        report_ending[assignment.id] = (*report_ending.get(assignment.id, ()), *ending)
    elif ending:
        alarms.resolve(assignment_id=assignment.id, kinds=ending)
    if new == UnitStatus.ON_SCENE:
        _incident_status(incident, IncidentStatus.ON_SCENE, actor)
    if new == UnitStatus.AVAILABLE:
        end_assignment(assignment, AssignmentStatus.CLEARED, actor, now)


@dataclass(frozen=True)
class Report:
    """What a unit's report did: its code, the assignment it was about, whether it was a
    check-in on scene (no status change) and the distress alarm it raised, if any."""

    code: str
    assignment: Assignment | None
    checked_in: bool = False
    incident: Incident | None = None  # the assignment's, kept loaded for the caller


CHECK_IN = ("ack", "on_scene")  # OK or TERPLAATSE while on scene: "all well"


def report(
    unit: Unit,
    code: str,
    actor: Actor,
    reference: str | None = None,
    message_id: int | None = None,
) -> Report:
    """Apply a unit's report, from an SMS code or the officer's page (the same effect): a
    status change, a check-in while on scene, or distress. Raises TransitionError when the
    unit cannot make that move now."""
    if code != "distress" and code not in REPLY_STATUS:
        raise DispatchError(422, _l("Unknown report."), {"code": _l("Unknown report.")})
    now = clock.now()
    current = active_assignments(unit.id)
    # Any word is a sign of life: the welfare alarms of every assignment end, with the
    # unanswered-assignment alarms an acknowledgement ends, in one UPDATE once the report is
    # applied (also when the move is refused); the restarted timers go out in the same UPDATE
    # of each assignment as the report's own changes.
    ending = {a.id: alarms.WELFARE_KINDS for a in current}
    try:
        done = _report(unit, code, actor, reference, message_id, now, current, ending)
    except TransitionError:
        _sign_of_life(current, now, ending)
        raise
    _sign_of_life(current, now, ending)
    return done


def _report(
    unit: Unit,
    code: str,
    actor: Actor,
    reference: str | None,
    message_id: int | None,
    now: dt.datetime,
    current: list[Assignment],
    ending: dict[int, tuple[str, ...]],
) -> Report:
    if code == "distress":
        return Report(code, distress(unit, actor, reference, message_id, now))
    if unit.status == UnitStatus.ON_SCENE and code in CHECK_IN:
        return Report(code, check_in(unit, actor, reference, current), checked_in=True)
    new = UnitStatus(REPLY_STATUS[code])
    assignment, incident = _change_status(unit, new, actor, reference, now, current, ending)
    return Report(code, assignment, incident=incident)


def _sign_of_life(
    current: list[Assignment], now: dt.datetime, ending: dict[int, tuple[str, ...]]
) -> None:
    for assignment in current:
        assignment.last_update_at = now
    alarms.resolve_each(ending)


def touch(unit: Unit, now: dt.datetime) -> list[Assignment]:
    """Any word from a unit is a sign of life: its welfare timers start again and its welfare
    alarms end. Returns the unit's active assignments."""
    current = active_assignments(unit.id)
    _sign_of_life(current, now, {a.id: alarms.WELFARE_KINDS for a in current})
    return current


def check_in(
    unit: Unit, actor: Actor, reference: str | None, current: list[Assignment]
) -> Assignment:
    """ "All well" from a unit on scene: on the timeline, the welfare timer reset (by the
    report, which read the unit's active assignments: `current`)."""
    assignment = _pick(current, reference)
    if assignment is None:
        raise TransitionError(unit.status, UnitStatus.ON_SCENE)
    add_timeline(assignment.incident_id, "unit.check_in", actor, unit_id=unit.id)
    return assignment


def distress(
    unit: Unit,
    actor: Actor,
    reference: str | None,
    message_id: int | None,
    now: dt.datetime,
) -> Assignment | None:
    """NOOD: a critical alarm on every console with the unit, its incident and last position."""
    current = active_assignments(unit.id)
    named = served_incident(unit.id, reference, now)
    assignment = _pick(current, reference) if current else recent_assignment(unit.id, now)
    incident_id = named or (assignment.incident_id if assignment else None)
    incident = db.session.get(Incident, incident_id) if incident_id else None
    alarms.distress(unit, incident, message_id)
    add_timeline(incident_id, "unit.distress", actor, unit_id=unit.id)
    return assignment


def message_unit(unit: Unit, incident: Incident | None, text: str, actor: Actor) -> Message:
    """Text a unit from the console: about an incident only while the unit is on it."""
    assignment = None
    if incident is not None:
        assignment = next(
            (a for a in active_assignments(unit.id) if a.incident_id == incident.id), None
        )
        if assignment is None:
            raise DispatchError(
                409,
                _l("%(unit)s is not on this incident.", unit=unit.call_sign),
                {"unit_id": _l("Not assigned to this incident.")},
            )
    body = f"NW {unit.call_sign}: {text}"
    if not text or len(body) > MAX_SMS_CHARS:
        raise DispatchError(
            422,
            _l("The text must fit in one SMS."),
            {"text": _l("At most %(n)s characters with the call sign.", n=MAX_SMS_CHARS)},
        )
    message = outbox(unit, incident, body, "free_text", assignment)
    add_timeline(incident.id if incident else None, "sms.sent", actor, unit_id=unit.id, detail=text)
    db.session.flush()
    audit.record("create", "message", message.id)
    return message


def deliver_soon(app) -> None:
    """Once the transaction commits, hand the outbox to the sender (the scheduler's scan is the
    backstop)."""
    if not app.config.get("SMS_SEND_IMMEDIATELY", True):
        return
    from core.extensions import socketio
    from dispatch import sms

    def run() -> None:
        with app.app_context():
            try:
                sms.deliver_due(app)
            finally:
                db.session.remove()

    after_commit(lambda: socketio.start_background_task(run))
