"""Silence never goes unnoticed: re-page unacknowledged units, alarm the supervisor, welfare checks.

Timers are derived from database state (assignment and status times), so a restart loses none;
each step is claimed with a compare-and-set UPDATE, so two schedulers or two runs act once.
"""

from __future__ import annotations

import datetime as dt

from flask import Flask
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import aliased

from accounts.actor import Actor
from core import clock
from core.db import db
from dispatch import alarms, danger, flows
from dispatch.models import Alarm, Assignment, AssignmentStatus, Unit, UnitStatus
from dispatch.texts import compose_repage_sms, compose_welfare_sms
from triage.models import Incident, IncidentStatus, Priority, TimelineSource
from triage.service import add_timeline

SYSTEM = Actor(None, None, TimelineSource.SYSTEM)
_LATER = aliased(Assignment, name="later")  # one alias for the process: adapted once


def _claim(assignment: Assignment, column, expected, new, *still) -> bool:
    """Move one escalation marker with compare-and-set; False when another run did it, or when
    the cause ended meanwhile (`still`: the assignment is active and the unit silent). A unit's
    answer racing the scan holds the row; PostgreSQL re-checks only this WHERE once it commits,
    so the cause must be in it, or the scan re-pages and alarms a unit that has just answered."""
    result = db.session.execute(
        update(Assignment)
        .where(
            Assignment.id == assignment.id,
            Assignment.status == AssignmentStatus.ACTIVE,
            column.is_(expected) if expected is None else column == expected,
            *still,
        )
        .values({column.key: new})
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _alarm(kind: str, assignment: Assignment, unit: Unit, incident: Incident) -> bool:
    """Raise the alarm of this kind for the assignment unless it stands (then False)."""
    key = f"{kind}:{assignment.id}"
    raised = alarms.raise_alarm(
        kind, key, incident=incident, unit=unit, assignment_id=assignment.id
    )
    return raised is not None


def _unacknowledged(now: dt.datetime, timeout: dt.timedelta) -> list[Assignment]:
    return list(
        db.session.execute(
            select(Assignment)
            .join(Unit, Unit.id == Assignment.unit_id)
            .where(
                Assignment.status == AssignmentStatus.ACTIVE,
                Assignment.acknowledged_at.is_(None),
                Unit.status == UnitStatus.ASSIGNED,
                Assignment.escalation_level < 2,
                Assignment.assigned_at <= now - timeout,
            )
        ).scalars()
    )


def check_acknowledgements(now: dt.datetime, timeout_s: int) -> int:
    """First timeout: page again + console alarm; second timeout: alarm the supervisor."""
    timeout, acted = dt.timedelta(seconds=timeout_s), 0
    for a in _unacknowledged(now, timeout):
        due_level = 2 if now - a.assigned_at >= 2 * timeout else 1
        if due_level <= a.escalation_level or not _claim(
            a,
            Assignment.escalation_level,
            a.escalation_level,
            due_level,
            Assignment.acknowledged_at.is_(None),
        ):
            continue
        unit, incident = db.session.get(Unit, a.unit_id), db.session.get(Incident, a.incident_id)
        if due_level == 1:
            a.page_count += 1
            flows.outbox(
                unit,
                incident,
                compose_repage_sms(
                    unit.call_sign,
                    incident.reference,
                    incident.priority,
                    incident.sms_address,
                    a.page_count,
                    lang=unit.sms_language,
                    danger=danger.sms_line(unit, incident, a),
                ),
                "repage",
                a,
            )
            _alarm("no_ack", a, unit, incident)
        else:
            alarms.resolve(assignment_id=a.id, kinds=("no_ack",))  # the louder one replaces it
            _alarm("no_ack_supervisor", a, unit, incident)
        add_timeline(
            incident.id,
            f"escalation.level{due_level}",
            SYSTEM,
            unit_id=unit.id,
            data={"call_sign": unit.call_sign, "timeout_s": timeout_s},
        )
        acted += 1
    return acted


def check_welfare(now: dt.datetime, welfare_s: int, grace_s: int = 300) -> int:
    """A unit on scene too long without news gets a welfare SMS and the board an alarm; the
    check repeats every `welfare_s` while the silence lasts."""
    limit, acted = now - dt.timedelta(seconds=welfare_s), 0
    rows = (
        db.session.execute(
            select(Assignment)
            .join(Unit, Unit.id == Assignment.unit_id)
            .where(
                Assignment.status == AssignmentStatus.ACTIVE,
                Unit.status == UnitStatus.ON_SCENE,
                Unit.status_changed_at <= limit,
            )
        )
        .scalars()
        .all()
    )
    for a in rows:
        last = max(
            t for t in (a.last_update_at, a.welfare_checked_at, a.assigned_at) if t is not None
        )
        silent = or_(Assignment.last_update_at.is_(None), Assignment.last_update_at <= limit)
        if last > limit or not _claim(
            a, Assignment.welfare_checked_at, a.welfare_checked_at, now, silent
        ):
            continue
        _send_welfare_check(a, welfare_s, grace_s)
        acted += 1
    return acted


def _send_welfare_check(a: Assignment, welfare_s: int, grace_s: int) -> None:
    unit, incident = db.session.get(Unit, a.unit_id), db.session.get(Incident, a.incident_id)
    body = compose_welfare_sms(
        unit.call_sign, incident.reference, max(1, round(grace_s / 60)), lang=unit.sms_language
    )
    flows.outbox(unit, incident, body, "welfare", a)
    if not alarms.standing_key(f"welfare_supervisor:{a.id}"):
        _alarm("welfare_check", a, unit, incident)  # the supervisor's, once raised, says more
    add_timeline(
        incident.id,
        "escalation.welfare_check",
        SYSTEM,
        unit_id=unit.id,
        data={"call_sign": unit.call_sign, "after_s": welfare_s},
    )


def check_welfare_answers(now: dt.datetime, grace_s: int) -> int:
    """A welfare check unanswered for `grace_s` alarms the supervisor, once per silence: the
    alarm stands until the unit answers, whatever the checks that follow."""
    rows = db.session.execute(
        select(Assignment)
        .join(Unit, Unit.id == Assignment.unit_id)
        .where(
            Assignment.status == AssignmentStatus.ACTIVE,
            Unit.status == UnitStatus.ON_SCENE,
            Assignment.welfare_checked_at <= now - dt.timedelta(seconds=grace_s),
            or_(
                Assignment.last_update_at.is_(None),
                Assignment.last_update_at < Assignment.welfare_checked_at,
            ),
        )
    ).scalars()
    raised = 0
    for a in list(rows):
        unit, incident = db.session.get(Unit, a.unit_id), db.session.get(Incident, a.incident_id)
        if not _alarm("welfare_supervisor", a, unit, incident):
            continue  # raised before (perhaps acknowledged): once per silence
        alarms.resolve(assignment_id=a.id, kinds=("welfare_check",))  # the louder one replaces it
        add_timeline(
            incident.id,
            "escalation.welfare_supervisor",
            SYSTEM,
            unit_id=unit.id,
            data={"call_sign": unit.call_sign, "grace_s": grace_s},
        )
        raised += 1
    return raised


def check_p1_waiting(now: dt.datetime, wait_s: int) -> int:
    """A P1 without a unit for `wait_s` raises a critical alarm; one that got a unit, was
    closed or lowered since has its alarm resolved."""
    waiting = _waiting_p1(now - dt.timedelta(seconds=wait_s))
    stale = db.session.execute(
        select(Alarm.incident_id).where(
            Alarm.kind == "p1_waiting",
            Alarm.resolved_at.is_(None),
            Alarm.incident_id.notin_([i.id for i in waiting] or [0]),
        )
    ).scalars()
    for incident_id in list(stale):
        alarms.resolve(incident_id=incident_id, kinds=("p1_waiting",))
    raised = 0
    for incident in waiting:
        if alarms.raise_alarm("p1_waiting", f"p1_waiting:{incident.id}", incident=incident):
            raised += 1
    return raised


def _waiting_p1(limit: dt.datetime) -> list[Incident]:
    """Open P1s with no active unit, waiting since before `limit` (since the call, or since
    a dispatcher released their last unit). A P1 whose last unit cleared it (VRIJ) is done, not
    waiting: it stays open only until someone closes it."""
    active = select(Assignment.id).where(
        Assignment.incident_id == Incident.id, Assignment.status == AssignmentStatus.ACTIVE
    )
    last_end = (
        select(func.max(Assignment.ended_at))
        .where(Assignment.incident_id == Incident.id)
        .scalar_subquery()
    )
    cleared_last = select(Assignment.id).where(
        Assignment.incident_id == Incident.id,
        Assignment.status == AssignmentStatus.CLEARED,
        ~select(_LATER.id)
        .where(_LATER.incident_id == Incident.id, _LATER.ended_at > Assignment.ended_at)
        .exists(),
    )
    return list(
        db.session.execute(
            select(Incident).where(
                Incident.priority == Priority.P1,
                Incident.status != IncidentStatus.CLOSED,
                ~active.exists(),
                ~cleared_last.exists(),
                Incident.received_at <= limit,
                or_(last_end.is_(None), last_end <= limit),
            )
        ).scalars()
    )


def scan(app: Flask, now: dt.datetime | None = None) -> int:
    """The scheduler job: every check, one transaction, then hand new SMS to the sender."""
    now = now or clock.now()
    acted = check_acknowledgements(now, int(app.config.get("ACK_TIMEOUT_S", 120)))
    grace_s = int(app.config.get("WELFARE_GRACE_S", 300))
    check_welfare_answers(now, grace_s)  # an alarm, no SMS: nothing to hand to the sender
    acted += check_welfare(now, int(app.config.get("WELFARE_CHECK_S", 1800)), grace_s)
    acted += check_p1_waiting(now, int(app.config.get("P1_WAIT_ALARM_S", 60)))
    db.session.commit()
    if acted:
        flows.deliver_soon(app)
    return acted
