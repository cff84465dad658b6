"""Alarms kept on the server: raised once per cause, quieted for every console by one
acknowledgement, resolved when their cause ends.

Every kind a console must notice goes through `raise_alarm`: a unit that does not acknowledge
(both levels), a welfare check without an answer, an SMS that failed, a unit's free text, an SMS
from an unknown number, a P1 waiting without a unit, a morning packet not picked up. A console
that opens later reads the standing ones (`standing`) in the board snapshot and from
`GET /api/v1/alarms`; live, `alarm.raised`, `alarm.acknowledged` and `alarm.resolved` keep every
console the same. Rows hold no case content: texts stay in their SMS and are read through the
alarm only by those who may see them.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from sqlalchemy import and_, bindparam, case, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from accounts.actor import Actor
from accounts.models import Role, User
from core import audit, clock
from core.db import db
from core.realtime import publish, rooms
from dispatch.models import Alarm, AlarmSeverity, Message, Unit
from triage import visibility
from triage.models import Incident
from triage.service import add_timeline

LIMIT = 500  # alarms about units and incidents: bounded by the work of one night
TEXT_LIMIT = 50  # texts from phones: a flood of them must not push the others away
STANDING = text("resolved_at IS NULL")
SEVERITY = {
    "distress": AlarmSeverity.CRITICAL,
    "p1_waiting": AlarmSeverity.CRITICAL,
    "unit_help": AlarmSeverity.HIGH,
    "unit_danger": AlarmSeverity.HIGH,
    "no_ack_supervisor": AlarmSeverity.CRITICAL,
    "no_ack": AlarmSeverity.HIGH,
    "welfare_check": AlarmSeverity.HIGH,
    "welfare_supervisor": AlarmSeverity.CRITICAL,
    "sms_failed": AlarmSeverity.HIGH,
    "unknown_sender": AlarmSeverity.HIGH,
    "unit_text": AlarmSeverity.NORMAL,
    "handover_overdue": AlarmSeverity.NORMAL,
}
SUPERVISORS_ONLY = {"handover_overdue"}
# A text has been read once acknowledged: nothing else ends these.
ENDS_WITH_ACKNOWLEDGEMENT = {
    "unit_text",
    "unit_help",
    "unit_danger",
    "unknown_sender",
    "distress",
}
UNIT_TEXTS = ("unit_text", "unit_help", "unit_danger")
# Alarms that name only the incident's reference and priority (its board placeholder): a
# restricted P1 waiting without a unit must sound for the whole board.
PLACEHOLDER_KINDS = {"p1_waiting"}
# An officer in distress outweighs a restriction: every console hears it, with the unit and its
# last position (SECURITY.md says so); the text stays with those who may see the incident.
EVERYONE_KINDS = {"distress"}
# Alarms about a unit on an assignment that end with the assignment (or its acknowledgement).
# A welfare check sent, and (after WELFARE_GRACE_S of silence) the supervisor alerted.
WELFARE_KINDS = ("welfare_check", "welfare_supervisor")
ASSIGNMENT_KINDS = ("no_ack", "no_ack_supervisor", "sms_failed", *WELFARE_KINDS)
RANK = {"critical": 0, "high": 1, "normal": 2}
_RANK = case(
    (Alarm.severity == AlarmSeverity.CRITICAL, 0),
    (Alarm.severity == AlarmSeverity.HIGH, 1),
    else_=2,
)


def raise_alarm(
    kind: str,
    key: str,
    *,
    incident: Incident | None = None,
    unit: Unit | None = None,
    assignment_id: int | None = None,
    message_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> Alarm | None:
    """Raise the alarm for a cause unless one stands for it already (then None).

    Insert first, in the caller's transaction: a conflict on the standing key (the partial
    unique index) inserts nothing, on SQLite and PostgreSQL alike. No savepoint: on pysqlite a
    savepoint before the first write commits on its own and would outlive a rollback.
    """
    values = {
        "key": key,
        "kind": kind,
        "severity": SEVERITY[kind],
        "audience": "supervisors" if kind in SUPERVISORS_ONLY else "board",
        "incident_id": incident.id if incident else None,
        "unit_id": unit.id if unit else None,
        "assignment_id": assignment_id,
        "message_id": message_id,
        "detail": detail or {},
        "raised_at": clock.now(),
    }
    dialect = db.session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        insert(Alarm)
        .values(values)
        .on_conflict_do_nothing(index_elements=["key"], index_where=STANDING)
        .returning(Alarm.id)
    )
    new_id = db.session.execute(statement).scalar_one_or_none()
    if new_id is None:
        return None  # the standing alarm for this cause won
    alarm = db.session.get(Alarm, new_id)
    _publish("alarm.raised", alarm)
    return alarm


def standing_key(key: str) -> bool:
    """Whether an alarm for this cause stands (raised, not yet resolved)."""
    found = db.session.execute(
        select(Alarm.id).where(Alarm.key == key, Alarm.resolved_at.is_(None)).limit(1)
    ).first()
    return found is not None


def unknown_sender(message: Message, sender_index: str) -> Alarm:
    """An SMS from a number that is no unit's: one standing alarm per number, showing its latest
    text (a flood from one phone is one alarm, and never pushes other alarms away)."""
    key = f"unknown_sender:{sender_index[:48]}"
    raised = raise_alarm("unknown_sender", key, message_id=message.id, detail={"messages": 1})
    if raised is not None:
        return raised
    alarm = db.session.execute(
        select(Alarm).where(Alarm.key == key, Alarm.resolved_at.is_(None))
    ).scalar_one()
    alarm.message_id = message.id
    alarm.detail = {"messages": int((alarm.detail or {}).get("messages", 1)) + 1}
    alarm.acknowledged_at, alarm.acknowledged_by_id = None, None  # news: it sounds again
    db.session.flush()
    _publish("alarm.raised", alarm)
    return alarm


def sms_failed(message_id: int, reason: str) -> Alarm | None:
    """An SMS that will not reach its unit: stands until the unit acknowledges (or someone
    acknowledges the alarm, for an SMS outside an assignment)."""
    message = db.session.get(Message, message_id)
    if message is None:
        return None
    return raise_alarm(
        "sms_failed",
        f"sms_failed:{message.id}",
        incident=db.session.get(Incident, message.incident_id) if message.incident_id else None,
        unit=db.session.get(Unit, message.unit_id) if message.unit_id else None,
        assignment_id=message.assignment_id,
        message_id=message.id,
        detail={"reason": reason},
    )


def distress(unit: Unit, incident: Incident | None, message_id: int | None) -> Alarm | None:
    """NOOD/SOS from a unit: critical on every console until a dispatcher acknowledges it, with
    the unit, its incident and its last known position."""
    detail = {"lat": unit.lat, "lon": unit.lon}
    if unit.position_at is not None:
        detail["position_at"] = unit.position_at.isoformat()
    return raise_alarm(
        "distress",
        f"distress:{unit.id}",
        incident=incident,
        unit=unit,
        message_id=message_id,
        detail=detail,
    )


def ends_with_acknowledgement(alarm: Alarm) -> bool:
    """Texts are read once acknowledged, and a failed SMS outside an assignment has no other
    end; the rest stand (quiet) until their cause ends."""
    return alarm.kind in ENDS_WITH_ACKNOWLEDGEMENT or (
        alarm.kind == "sms_failed" and alarm.assignment_id is None
    )


def acknowledge(alarm: Alarm, actor: Actor) -> Alarm:
    """Quiet the alarm on every console (once: a second acknowledgement changes nothing)."""
    now = clock.now()
    values: dict[str, Any] = {"acknowledged_at": now, "acknowledged_by_id": actor.user.id}
    if ends_with_acknowledgement(alarm):
        values["resolved_at"] = now
    won = db.session.execute(
        update(Alarm)
        .where(Alarm.id == alarm.id, Alarm.acknowledged_at.is_(None))
        .values(values)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(alarm)
    if not won:
        return alarm
    audit.record("acknowledge", "alarm", alarm.id)
    if alarm.incident_id is not None:
        add_timeline(
            alarm.incident_id,
            "alarm.acknowledged",
            actor,
            unit_id=alarm.unit_id,
            data={"kind": alarm.kind},
        )
    _publish("alarm.acknowledged", alarm)
    return alarm


def resolve(
    *,
    key: str | None = None,
    assignment_id: int | None = None,
    incident_id: int | None = None,
    kinds: tuple[str, ...] | None = None,
) -> int:
    """End the standing alarms of a cause that is over (the unit answered, a unit was sent).

    One UPDATE … RETURNING (SQLite and PostgreSQL alike): on the hot paths (every status change,
    every SMS from a unit) there is usually nothing standing, and then nothing is read."""
    shape = ("one", key is not None, assignment_id is not None, incident_id is not None)
    values = {"by_key": key, "by_assignment": assignment_id, "by_incident": incident_id}
    if kinds is not None:
        shape, values["by_kinds"] = (*shape, True), list(kinds)
    return _end(shape, values)


def resolve_each(kinds_by_assignment: dict[int, tuple[str, ...]]) -> int:
    """`resolve` for several assignments at once, each with its own kinds: one UPDATE (a
    unit's report ends the welfare alarms of every assignment it is on, and the unanswered
    ones of the assignment it answers)."""
    wanted = [(a, kinds) for a, kinds in sorted(kinds_by_assignment.items()) if kinds]
    if not wanted:
        return 0
    values: dict[str, Any] = {}
    for i, (assignment_id, kinds) in enumerate(wanted):
        values[f"assignment_{i}"], values[f"kinds_{i}"] = assignment_id, list(kinds)
    return _end(("each", len(wanted)), values)


def _end(shape: tuple, values: dict[str, Any]) -> int:
    statement = _end_statement(shape)
    ended = db.session.execute(statement, {**values, "ended_at": clock.now()}).scalars()
    ids = list(ended)
    for alarm_id in ids:
        alarm = db.session.get(Alarm, alarm_id, populate_existing=True)  # with its resolved_at
        _publish("alarm.resolved", alarm)
    return len(ids)


@functools.cache
def _end_statement(shape: tuple):
    """The UPDATE that ends standing alarms, built once per shape with bound values (built per
    call, its construction and cache key cost more than the UPDATE, which usually ends none):
    ("one", by key, by assignment, by incident[, by kinds]) or ("each", assignments)."""
    conditions = [Alarm.resolved_at.is_(None)]
    if shape[0] == "each":
        conditions.append(
            or_(
                *(
                    and_(
                        Alarm.assignment_id == bindparam(f"assignment_{i}"),
                        Alarm.kind.in_(bindparam(f"kinds_{i}", expanding=True)),
                    )
                    for i in range(shape[1])
                )
            )
        )
    else:
        by_key, by_assignment, by_incident, *by_kinds = shape[1:]
        if by_key:
            conditions.append(Alarm.key == bindparam("by_key"))
        if by_assignment:
            conditions.append(Alarm.assignment_id == bindparam("by_assignment"))
        if by_incident:
            conditions.append(Alarm.incident_id == bindparam("by_incident"))
        if by_kinds:
            conditions.append(Alarm.kind.in_(bindparam("by_kinds", expanding=True)))
    return (
        update(Alarm)
        .where(*conditions)
        .values(resolved_at=bindparam("ended_at"))
        .returning(Alarm.id)
        .execution_options(synchronize_session=False)
    )


def standing(viewer: User) -> list[Alarm]:
    """Alarms whose cause has not ended, most severe first, then oldest first (bounded)."""
    query = select(Alarm).where(Alarm.resolved_at.is_(None))
    if Role(viewer.role) != Role.SUPERVISOR:
        query = query.where(Alarm.audience == "board")
    texts = (*UNIT_TEXTS, "unknown_sender")
    order = (_RANK, Alarm.raised_at, Alarm.id)
    work = db.session.execute(query.where(Alarm.kind.notin_(texts)).order_by(*order).limit(LIMIT))
    phones = db.session.execute(
        query.where(Alarm.kind.in_(texts)).order_by(*order).limit(TEXT_LIMIT)
    )
    rows = sorted(
        [*work.scalars(), *phones.scalars()],
        key=lambda a: (RANK[str(a.severity)], a.raised_at, a.id),
    )
    return [a for a in rows if may_see(viewer, a)]


def may_see(viewer: User, alarm: Alarm) -> bool:
    """Supervisor-only alarms stay with supervisors; an alarm about a restricted incident
    with those who may see the incident (they act on it; the board sees its placeholder)."""
    if alarm.audience != "board" and Role(viewer.role) != Role.SUPERVISOR:
        return False
    if alarm.kind in PLACEHOLDER_KINDS or alarm.kind in EVERYONE_KINDS:
        return True  # reference and priority (and, in distress, the unit): no case content
    incident = db.session.get(Incident, alarm.incident_id) if alarm.incident_id else None
    return incident is None or visibility.can_see(viewer, incident)


def serialise(alarms: list[Alarm], viewer: User, *, opened: bool = False) -> list[dict[str, Any]]:
    """Alarms as a console shows them, with the SMS text where this viewer may read it.

    A unit's text comes with the list (the same text is in the incident's SMS thread; audited as a
    `list` of messages). An unknown sender's number and text (it may be a victim's phone) come
    only when one alarm is opened (`opened`), and each such read is audited.
    """
    rows = [_payload(a) for a in alarms]
    shown = [a for a in alarms if a.kind in UNIT_TEXTS or (opened and a.kind == "unknown_sender")]
    texts = _texts(shown, viewer)
    for row in rows:
        row.update(texts.get(row["id"], {}))
    listed = [a.message_id for a in shown if a.id in texts and a.kind in UNIT_TEXTS]
    read = [a.message_id for a in shown if a.id in texts and a.kind == "unknown_sender"]
    if listed:
        audit.record("list", "message", object_ids=listed)
    if read:
        audit.record("read", "message", object_ids=read)
    return rows


def _texts(alarms: list[Alarm], viewer: User) -> dict[int, dict[str, Any]]:
    ids = [a.message_id for a in alarms if a.kind in ENDS_WITH_ACKNOWLEDGEMENT and a.message_id]
    if not ids:
        return {}
    messages = {
        m.id: m for m in db.session.execute(select(Message).where(Message.id.in_(ids))).scalars()
    }
    result = {}
    for alarm in alarms:
        message = messages.get(alarm.message_id or 0)
        if message is None:
            continue
        if not may_see(viewer, alarm):
            continue
        result[alarm.id] = {"text": message.body}
        if alarm.kind == "unknown_sender":
            result[alarm.id]["from_number"] = message.from_number
    return result


def _payload(alarm: Alarm) -> dict[str, Any]:
    """An alarm's fields for consoles (no SMS text: that is read per viewer)."""
    incident = db.session.get(Incident, alarm.incident_id) if alarm.incident_id else None
    unit = db.session.get(Unit, alarm.unit_id) if alarm.unit_id else None
    by = db.session.get(User, alarm.acknowledged_by_id) if alarm.acknowledged_by_id else None
    return {
        "id": alarm.id,
        "key": alarm.key,
        "kind": alarm.kind,
        "severity": str(alarm.severity),
        "incident_id": alarm.incident_id,
        "reference": incident.reference if incident else None,
        "priority": incident.priority if incident else None,
        "unit_id": alarm.unit_id,
        "call_sign": unit.call_sign if unit else None,
        "assignment_id": alarm.assignment_id,
        "message_id": alarm.message_id,
        "detail": dict(alarm.detail or {}),
        "raised_at": _iso(alarm.raised_at),
        "acknowledged_at": _iso(alarm.acknowledged_at),
        "acknowledged_by": by.username if by else None,
        "resolved_at": _iso(alarm.resolved_at),
        "has_text": alarm.kind in UNIT_TEXTS or alarm.kind == "unknown_sender",
    }


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def _publish(name: str, alarm: Alarm) -> None:
    """Every console hears it; supervisor-only kinds only supervisors, a restricted incident's
    only those who may see it. The text never travels live: a console that shows a text alarm
    reads it through `GET /api/v1/alarms/<id>`."""
    payload = _payload(alarm)
    incident = db.session.get(Incident, alarm.incident_id) if alarm.incident_id else None
    if alarm.audience != "board":
        publish(name, payload, (rooms.SUPERVISORS,))
    elif (
        incident is not None
        and incident.restricted
        and alarm.kind not in PLACEHOLDER_KINDS | EVERYONE_KINDS
    ):
        publish(name, payload, visibility.live_audience(incident)[0])
    else:
        publish(name, payload, rooms.board())
