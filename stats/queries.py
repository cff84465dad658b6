"""Read-only aggregates for the statistics: a few grouped statements, never one row per call.

Every statement is limited to the real (non-exercise) calls created in [start, end) and groups
them in the database by period: `period_bucket` numbers a call's `created_at` against the
sorted boundaries [s0, e0, s1, e1, ...] of the periods — bucket 2n+1 is inside period n, an even
bucket between two periods (outside every one). Rows linked to a call (assignments, SMS,
timeline lines, referrals, assessments) count in the period of their call's `created_at`; they
are read through their `incident_id` index between the first and last id of the range's calls
(`Bounds.ids`), so a statement touches the range's rows, not every row of the year.
Durations come out of the database as seconds, per period, for stats.nightly to keep and merge
(percentiles over several nights need every value, so they are picked in Python).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, NamedTuple

from sqlalchemy import (
    Float,
    Integer,
    Select,
    Text,
    case,
    cast,
    exists,
    false,
    func,
    literal,
    select,
    text,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.functions import FunctionElement

from core.db import UTCDateTime, db
from dispatch.models import Assignment, Message, MessageDirection, MessageStatus
from handover.models import HandoverPacket
from triage.models import Assessment, Incident, Referral, TimelineEvent

REPEAT_FLAG = "escalation_pattern"  # triage.service.ESCALATION_FLAG
ORDER_FLAG = "order_in_force"  # triage.orders.ORDER_IN_FORCE
OFFERED = ("offered", "accepted", "declined")  # triage.referral_rules: offered, then answered
DELIVERED = (MessageStatus.DELIVERED, MessageStatus.DELIVERED_LOCALLY)
_NEWER = aliased(Assessment, name="newer")  # one alias for the process: adapted once
FAILED = (MessageStatus.FAILED, MessageStatus.UNDELIVERED)
ESCALATION_KINDS = "escalation.%"  # dispatch.escalation: level1, level2, welfare_*
MEASURES = ("processing", "acknowledged", "en_route", "on_scene")


class seconds_between(FunctionElement[float]):  # noqa: N801 (a SQL function, named like one)
    """`later - earlier` in seconds, computed by the database (NULL when either is NULL)."""

    type = Float()
    inherit_cache = True


@compiles(seconds_between, "postgresql")
def _pg_seconds(element: seconds_between, compiler: Any, **kw: Any) -> str:
    later, earlier = (compiler.process(c, **kw) for c in element.clauses)
    return f"date_part('epoch', ({later}) - ({earlier}))"


@compiles(seconds_between)
def _sqlite_seconds(element: seconds_between, compiler: Any, **kw: Any) -> str:
    # SQLite keeps times to the millisecond: rounding drops the float error of julianday.
    later, earlier = (compiler.process(c, **kw) for c in element.clauses)
    return f"ROUND((julianday({later}) - julianday({earlier})) * 86400.0, 3)"


class period_bucket(FunctionElement[int]):  # noqa: N801 (a SQL function, named like one)
    """How many of the sorted boundaries are at or before the moment (`width_bucket`): odd
    inside period (bucket - 1) / 2, even outside every period."""

    type = Integer()
    inherit_cache = True


@compiles(period_bucket, "postgresql")
def _pg_bucket(element: period_bucket, compiler: Any, **kw: Any) -> str:
    moment, *bounds = (compiler.process(c, **kw) for c in element.clauses)
    return f"width_bucket({moment}, CAST(ARRAY[{', '.join(bounds)}] AS TIMESTAMPTZ[]))"


@compiles(period_bucket)
def _sqlite_bucket(element: period_bucket, compiler: Any, **kw: Any) -> str:
    moment, *bounds = (compiler.process(c, **kw) for c in element.clauses)
    inside = (
        f"WHEN {moment} >= {bounds[n]} AND {moment} < {bounds[n + 1]} THEN {n + 1}"
        for n in range(0, len(bounds), 2)
    )
    return f"(CASE {' '.join(inside)} ELSE 0 END)"


class Bounds(NamedTuple):
    """The periods of a range: each (start, end), sorted and not overlapping; and the lowest and
    highest id of the real calls from the first start to the last end (None: there is none)."""

    spans: Sequence[tuple[dt.datetime, dt.datetime]]
    ids: tuple[int, int] | None

    @property
    def start(self) -> dt.datetime:
        """The first period's start."""
        return self.spans[0][0]

    @property
    def end(self) -> dt.datetime:
        """The last period's end."""
        return self.spans[-1][1]


def bounds_of(spans: Sequence[tuple[dt.datetime, dt.datetime]]) -> Bounds:
    """The periods with the first and last id of their range's real calls."""
    start, end = spans[0][0], spans[-1][1]
    # count() too: with only min and max, PostgreSQL may walk the primary key from one end
    # until it meets the range's first call, a whole year of rows.
    low, high, calls = db.session.execute(
        select(func.min(Incident.id), func.max(Incident.id), func.count()).where(*_real(start, end))
    ).one()
    return Bounds(spans, (low, high) if calls else None)


def _real(start: dt.datetime, end: dt.datetime) -> tuple[Any, ...]:
    """The real (non-exercise) calls created in [start, end)."""
    return (
        Incident.created_at >= start,
        Incident.created_at < end,
        Incident.exercise.is_not(True),
    )


def _bucket(bounds: Bounds) -> Any:
    moments = [literal(m, UTCDateTime()) for span in bounds.spans for m in span]
    return period_bucket(Incident.created_at, *moments)


def _group(bucket: int) -> int:
    return (bucket - 1) // 2


def _calls(bounds: Bounds, *columns: Any) -> Select:
    """`bucket` and the columns over the real calls in the periods (joins added by callers)."""
    bucket = _bucket(bounds).label("bucket")
    return select(bucket, *columns).where(*_real(bounds.start, bounds.end))


def _linked(statement: Select, bounds: Bounds, model: Any) -> Select:
    """The statement joined to the rows of `model` linked to its calls. The id range follows
    from the join (a call of the range has an id within it), so no row is lost; it lets the
    database read only the range's rows by the `incident_id` index, where it would otherwise
    hash the whole table (it cannot carry a range over a join by itself)."""
    within = model.incident_id.between(*bounds.ids) if bounds.ids else false()
    return statement.join(model, model.incident_id == Incident.id).where(within)


def _inside(statement: Select) -> Any:
    """The rows of the statement in a period (odd bucket) as a subquery."""
    inner = statement.subquery()
    # `!= 0`, not `== 1`: the planner then expects most rows to stay, as they do.
    return select(inner).where(inner.c.bucket % 2 != 0).subquery()


def _grouped(statement: Select, *keys: Any) -> list[tuple]:
    """Run `statement` (its first column the bucket) grouped by bucket and the keys; rows of
    (group, *rest) inside a period."""
    found = db.session.execute(statement.group_by(*statement.selected_columns[: 1 + len(keys)]))
    return [(_group(bucket), *rest) for bucket, *rest in found if bucket % 2 == 1]


def _count(condition: Any) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _flagged(flag: str) -> Any:
    # The flags are a JSON list of names: its text holds the name in quotes.
    return cast(Incident.flags, Text).like(f'%"{flag}"%')


def hours(bounds: Bounds) -> list[tuple[int, dt.datetime, int, int, int]]:
    """Per group and UTC hour: (group, hour start, calls, repeat calls, order-in-force calls)."""
    if db.session.get_bind().dialect.name == "postgresql":
        hour = func.date_trunc("hour", func.timezone("UTC", Incident.created_at))
    else:
        hour = func.strftime("%Y-%m-%d %H:00:00", Incident.created_at)
    statement = _calls(
        bounds, hour.label("hour"), func.count(), _count(_flagged(REPEAT_FLAG)),
        _count(_flagged(ORDER_FLAG)),
    )  # fmt: skip
    return [
        (group, _utc_hour(at), int(n), int(rep), int(order))
        for group, at, n, rep, order in _grouped(statement, hour)
    ]


def _utc_hour(value: Any) -> dt.datetime:
    at = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(value)
    return at.replace(tzinfo=dt.UTC)


def kinds(bounds: Bounds) -> list[tuple[int, str, str | None, int]]:
    """Per group, priority and district: (group, priority, district, calls)."""
    statement = _calls(bounds, Incident.priority, Incident.district, func.count())
    return [
        (group, str(priority), district, int(n))
        for group, priority, district, n in _grouped(
            statement, Incident.priority, Incident.district
        )
    ]


def sms(bounds: Bounds) -> list[tuple[int, int, int, int]]:
    """Per group, outgoing SMS on its calls: (group, sent, delivered, failed)."""
    counts = _calls(
        bounds, func.count(Message.sent_at), _count(Message.status.in_(DELIVERED)),
        _count(Message.status.in_(FAILED)),
    )  # fmt: skip
    outbound = Message.direction == MessageDirection.OUTBOUND
    statement = _linked(counts, bounds, Message).where(outbound)
    return [(g, int(a), int(b), int(c)) for g, a, b, c in _grouped(statement)]


def escalations(bounds: Bounds) -> list[tuple[int, int]]:
    """Per group, escalation lines on its calls' timelines: (group, lines)."""
    statement = _linked(_calls(bounds, func.count()), bounds, TimelineEvent).where(
        TimelineEvent.kind.like(ESCALATION_KINDS)
    )
    return [(g, int(n)) for g, n in _grouped(statement)]


def referrals(bounds: Bounds) -> list[tuple[int, int, int]]:
    """Per group, referrals on its calls: (group, offered, accepted)."""
    statement = _linked(
        _calls(bounds, _count(Referral.status.in_(OFFERED)), _count(Referral.status == "accepted")),
        bounds,
        Referral,
    )
    return [(g, int(offered), int(accepted)) for g, offered, accepted in _grouped(statement)]


def risks(bounds: Bounds) -> list[tuple[int, str, str, int]]:
    """Per group, instrument and level: calls whose latest assessment of that instrument has
    that level (the override applied)."""
    latest = ~exists().where(
        _NEWER.incident_id == Assessment.incident_id,
        _NEWER.instrument_id == Assessment.instrument_id,
        _NEWER.version > Assessment.version,
    )
    statement = _linked(
        _calls(bounds, Assessment.instrument_id, Assessment.level, func.count()), bounds, Assessment
    ).where(latest)
    return [
        (group, instrument, level, int(n))
        for group, instrument, level, n in _grouped(
            statement, Assessment.instrument_id, Assessment.level
        )
    ]


def tune() -> None:
    """Give this transaction's sorts room in memory and skip JIT on PostgreSQL: the figures
    sort a year of durations, and compiling the plan costs more than it saves."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL work_mem = '64MB'"))
        db.session.execute(text("SET LOCAL jit = off"))


def durations(bounds: Bounds) -> dict[str, dict[int, list[float]]]:
    """Per measure and group, the durations in seconds, sorted: call processing (created →
    first unit assigned, per call with a unit) and, per assignment that got there, assigned →
    acknowledged, → en route, → on scene."""
    found: dict[str, dict[int, list[float]]] = {name: {} for name in MEASURES}
    first = seconds_between(func.min(Assignment.assigned_at), Incident.created_at)
    processing = _linked(_calls(bounds, first.label("processing")), bounds, Assignment).group_by(
        Incident.id, Incident.created_at
    )
    steps = {
        "acknowledged": Assignment.acknowledged_at,
        "en_route": Assignment.en_route_at,
        "on_scene": Assignment.on_scene_at,
    }
    since = [seconds_between(at, Assignment.assigned_at).label(s) for s, at in steps.items()]
    responses = _linked(_calls(bounds, *since), bounds, Assignment)
    for statement in (processing, responses):
        inner = _inside(statement)
        names = [c.name for c in inner.c if c.name != "bucket"]
        for bucket, *row in db.session.execute(select(inner)):
            for name, value in zip(names, row, strict=True):
                if value is not None:
                    found[name].setdefault(_group(bucket), []).append(float(value))
    for per_group in found.values():
        for values in per_group.values():
            values.sort()
    return found


class Packet(NamedTuple):
    """A handover packet: its date and when (if ever) it was acknowledged."""

    handover_date: dt.date
    acknowledged_at: dt.datetime | None


def packets(first: dt.date, last: dt.date) -> list[Packet]:
    """Every handover packet of the dates first..last (both included)."""
    statement = select(HandoverPacket.handover_date, HandoverPacket.acknowledged_at).where(
        HandoverPacket.handover_date >= first, HandoverPacket.handover_date <= last
    )
    return [Packet(*row) for row in db.session.execute(statement)]
