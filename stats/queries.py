"""Read-only loads for the statistics: plain tuples from a few statements, never ORM objects.

Every load is limited to the real (non-exercise) calls created in [start, end): one row per
call with its per-call counts (SMS, escalations, referrals) aggregated in SQL, then one row per
assignment (its three durations computed in SQL) and one per latest risk assessment. Durations
come out of the database as seconds so that no timestamp is converted in Python.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, NamedTuple

from sqlalchemy import Float, Select, Text, and_, case, cast, func, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from core.db import db
from dispatch.models import Assignment, Message, MessageDirection, MessageStatus, UnitStatus
from handover.models import HandoverPacket
from triage.models import Assessment, Incident, Referral, TimelineEvent

REPEAT_FLAG = "escalation_pattern"  # triage.service.ESCALATION_FLAG
ORDER_FLAG = "order_in_force"  # triage.orders.ORDER_IN_FORCE
OFFERED = ("offered", "accepted", "declined")  # triage.referral_rules: offered, then answered
DELIVERED = (MessageStatus.DELIVERED, MessageStatus.DELIVERED_LOCALLY)
FAILED = (MessageStatus.FAILED, MessageStatus.UNDELIVERED)
ESCALATION_KINDS = "escalation.%"  # dispatch.escalation: level1, level2, welfare_*
UNIT_STATUS = "unit.status"  # dispatch.flows._move


class seconds_between(FunctionElement[float]):  # noqa: N801 (a SQL function, named like one)
    """`later - earlier` in seconds, computed by the database (NULL when either is NULL)."""

    type = Float()
    inherit_cache = True


@compiles(seconds_between, "postgresql")
def _pg_seconds(element: seconds_between, compiler: Any, **kw: Any) -> str:
    later, earlier = (compiler.process(c, **kw) for c in element.clauses)
    return f"CAST(EXTRACT(EPOCH FROM ({later}) - ({earlier})) AS DOUBLE PRECISION)"


@compiles(seconds_between)
def _sqlite_seconds(element: seconds_between, compiler: Any, **kw: Any) -> str:
    later, earlier = (compiler.process(c, **kw) for c in element.clauses)
    return f"((julianday({later}) - julianday({earlier})) * 86400.0)"


class Call(NamedTuple):
    """What the statistics need of one call: when, first unit when, priority, district, its
    flags and its counts."""

    id: int
    created_at: dt.datetime
    first_assigned_at: dt.datetime | None
    priority: str
    district: str | None
    repeat: bool = False
    order_in_force: bool = False
    sms_sent: int = 0
    sms_delivered: int = 0
    sms_failed: int = 0
    escalations: int = 0
    referrals_offered: int = 0
    referrals_accepted: int = 0


class Response(NamedTuple):
    """One assignment of a call: seconds from assigned to acknowledged, en route, on scene."""

    incident_id: int
    acknowledged_s: float | None
    en_route_s: float | None
    on_scene_s: float | None


class Risk(NamedTuple):
    """The latest assessment of one instrument on one call: its level (override applied)."""

    incident_id: int
    instrument_id: str
    level: str


class Packet(NamedTuple):
    """A handover packet: its date and when (if ever) it was acknowledged."""

    handover_date: dt.date
    acknowledged_at: dt.datetime | None


def real_calls(start: dt.datetime, end: dt.datetime) -> Select:
    """The ids of the real calls created in [start, end): training never counts."""
    return select(Incident.id).where(
        Incident.created_at >= start,
        Incident.created_at < end,
        Incident.exercise.is_not(True),
    )


def _count(condition: Any) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _flagged(flag: str) -> Any:
    # The flags are a JSON list of names: its text holds the name in quotes.
    return cast(Incident.flags, Text).like(f'%"{flag}"%')


def _per_call(ids: Select) -> tuple[Any, Any, Any]:
    sms = (
        select(
            Message.incident_id,
            func.count(Message.sent_at).label("sent"),
            _count(Message.status.in_(DELIVERED)).label("delivered"),
            _count(Message.status.in_(FAILED)).label("failed"),
        )
        .where(Message.direction == MessageDirection.OUTBOUND, Message.incident_id.in_(ids))
        .group_by(Message.incident_id)
        .subquery()
    )
    escalations = (
        select(TimelineEvent.incident_id, func.count().label("n"))
        .where(TimelineEvent.kind.like(ESCALATION_KINDS), TimelineEvent.incident_id.in_(ids))
        .group_by(TimelineEvent.incident_id)
        .subquery()
    )
    referrals = (
        select(
            Referral.incident_id,
            _count(Referral.status.in_(OFFERED)).label("offered"),
            _count(Referral.status == "accepted").label("accepted"),
        )
        .where(Referral.incident_id.in_(ids))
        .group_by(Referral.incident_id)
        .subquery()
    )
    return sms, escalations, referrals


def calls(start: dt.datetime, end: dt.datetime) -> list[Call]:
    """Real calls created in [start, end), oldest first: first assignment time, flags and
    per-call counts, each from a GROUP BY subquery joined once."""
    ids = real_calls(start, end)
    first = (
        select(Assignment.incident_id, func.min(Assignment.assigned_at).label("first_at"))
        .where(Assignment.incident_id.in_(ids))
        .group_by(Assignment.incident_id)
        .subquery()
    )
    sms, escalations, referrals = _per_call(ids)
    zero = 0
    statement = (
        select(
            Incident.id,
            Incident.created_at,
            first.c.first_at,
            Incident.priority,
            Incident.district,
            _flagged(REPEAT_FLAG),
            _flagged(ORDER_FLAG),
            func.coalesce(sms.c.sent, zero),
            func.coalesce(sms.c.delivered, zero),
            func.coalesce(sms.c.failed, zero),
            func.coalesce(escalations.c.n, zero),
            func.coalesce(referrals.c.offered, zero),
            func.coalesce(referrals.c.accepted, zero),
        )
        .outerjoin(first, first.c.incident_id == Incident.id)
        .outerjoin(sms, sms.c.incident_id == Incident.id)
        .outerjoin(escalations, escalations.c.incident_id == Incident.id)
        .outerjoin(referrals, referrals.c.incident_id == Incident.id)
        .where(Incident.id.in_(ids))
        .order_by(Incident.created_at, Incident.id)
    )
    return [
        Call(i, created, assigned, str(prio), district, bool(rep), bool(order), *map(int, counts))
        for i, created, assigned, prio, district, rep, order, *counts in db.session.execute(
            statement
        )
    ]


def responses(start: dt.datetime, end: dt.datetime) -> list[Response]:
    """Each assignment of a real call created in [start, end), with the seconds from assigned
    to acknowledged (`Assignment.acknowledged_at`) and to the unit's first report of en route
    and of on scene on that incident during the assignment (its `unit.status` timeline lines)."""
    event = TimelineEvent
    reported = and_(
        event.incident_id == Assignment.incident_id,
        event.unit_id == Assignment.unit_id,
        event.kind == UNIT_STATUS,
        event.to_state.in_((UnitStatus.EN_ROUTE, UnitStatus.ON_SCENE)),
        event.occurred_at >= Assignment.assigned_at,
        or_(Assignment.ended_at.is_(None), event.occurred_at <= Assignment.ended_at),
    )

    def first_report(state: UnitStatus) -> Any:
        moment = func.min(case((event.to_state == state, event.occurred_at)))
        return seconds_between(moment, Assignment.assigned_at)

    statement = (
        select(
            Assignment.incident_id,
            seconds_between(Assignment.acknowledged_at, Assignment.assigned_at),
            first_report(UnitStatus.EN_ROUTE),
            first_report(UnitStatus.ON_SCENE),
        )
        .outerjoin(event, reported)
        .where(Assignment.incident_id.in_(real_calls(start, end)))
        .group_by(
            Assignment.id,
            Assignment.incident_id,
            Assignment.assigned_at,
            Assignment.acknowledged_at,
        )
    )
    return [Response(*row) for row in db.session.execute(statement)]


def risks(start: dt.datetime, end: dt.datetime) -> list[Risk]:
    """The latest version of each instrument's assessment on each real call in [start, end)."""
    latest = (
        select(
            Assessment.incident_id,
            Assessment.instrument_id,
            func.max(Assessment.version).label("version"),
        )
        .where(Assessment.incident_id.in_(real_calls(start, end)))
        .group_by(Assessment.incident_id, Assessment.instrument_id)
        .subquery()
    )
    statement = select(Assessment.incident_id, Assessment.instrument_id, Assessment.level).join(
        latest,
        and_(
            latest.c.incident_id == Assessment.incident_id,
            latest.c.instrument_id == Assessment.instrument_id,
            latest.c.version == Assessment.version,
        ),
    )
    return [Risk(*row) for row in db.session.execute(statement)]


def packets(first: dt.date, last: dt.date) -> list[Packet]:
    """Every handover packet of the dates first..last (both included)."""
    statement = select(HandoverPacket.handover_date, HandoverPacket.acknowledged_at).where(
        HandoverPacket.handover_date >= first, HandoverPacket.handover_date <= last
    )
    return [Packet(*row) for row in db.session.execute(statement)]
