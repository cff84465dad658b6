"""Assemble the statistics for a range: load each kind of row once, then figure each group.

Call-linked rows (assignments, assessments) go to the group of their call's `created_at`;
handover packets to the group holding their handover time (a night: the 07:00 that ends it).
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from flask import current_app

from core import clock
from handover import packets, settings
from handover.window import handover_instant
from stats import figures, periods, queries
from stats.periods import Period
from stats.queries import Call, Response, Risk
from stats.schemas import (
    CallProcessing,
    Durations,
    Figures,
    Group,
    Pickups,
    Rate,
    Referrals,
    Sms,
    StatisticsQuery,
    StatisticsRead,
)
from stats.schemas import Response as ResponseFigures

UNKNOWN_DISTRICT = "unknown"


def night_hours() -> tuple[int, int]:
    """The night's local start and end hours (NIGHT_START_HOUR, NIGHT_END_HOUR: 22 and 7)."""
    config = current_app.config
    return int(config.get("NIGHT_START_HOUR", 22)), int(config.get("NIGHT_END_HOUR", 7))


def default_range(query: StatisticsQuery) -> tuple[dt.date, dt.date]:
    """The query's dates; without them, the night that started yesterday (local)."""
    yesterday = clock.now().astimezone(clock.zone()).date() - dt.timedelta(days=1)
    first = query.from_ or query.to or yesterday
    return first, query.to or first


class Pickup(NamedTuple):
    """A handover packet: when its handover was and whether it was picked up on time."""

    handover_at: dt.datetime
    on_time: bool


@dataclass
class Rows:
    """What one group (or the whole range) is figured from."""

    calls: Sequence[Call]
    responses: list[Response] = field(default_factory=list)
    risks: list[Risk] = field(default_factory=list)
    pickups: Sequence[Pickup] = ()


def statistics(query: StatisticsQuery) -> StatisticsRead:
    """The figures for the query's range in total and per night, week or month."""
    first, last = default_range(query)
    hours = night_hours()
    groups = periods.periods(query.group, first, last, clock.zone(), hours)
    rows = _load(groups)
    everything = Rows(
        calls=[call for one in rows for call in one.calls],
        responses=[r for one in rows for r in one.responses],
        risks=[r for one in rows for r in one.risks],
        pickups=[p for one in rows for p in one.pickups],
    )
    return StatisticsRead(
        **_figures(everything).model_dump(),
        from_=first,
        to=last,
        group=query.group,
        timezone=clock.zone().key,
        night_hours=list(hours),
        target_s=figures.NFPA_1225_TARGET_S,
        groups=[_group(period, one) for period, one in zip(groups, rows, strict=True)],
    )


def _load(groups: Sequence[Period]) -> list[Rows]:
    """Each group's rows: four statements for the whole range, split in Python."""
    start, end = groups[0].start, groups[-1].end
    per_group = [Rows(calls) for calls in _split(queries.calls(start, end), groups)]
    where = {call.id: n for n, one in enumerate(per_group) for call in one.calls}
    for response in queries.responses(start, end):
        if (n := where.get(response.incident_id)) is not None:
            per_group[n].responses.append(response)
    for risk in queries.risks(start, end):
        if (n := where.get(risk.incident_id)) is not None:
            per_group[n].risks.append(risk)
    for one, picked in zip(per_group, _split_pickups(pickups(start, end), groups), strict=True):
        one.pickups = picked
    return per_group


def pickups(start: dt.datetime, end: dt.datetime) -> list[Pickup]:
    """The packets whose handover time lies in (start, end], by handover time; on time when
    acknowledged at or before the reminder time (`handover.packets.reminder_due`)."""
    zone, at = settings.zone(), settings.handover_time()
    first = start.astimezone(zone).date() - dt.timedelta(days=1)
    last = end.astimezone(zone).date() + dt.timedelta(days=1)
    deadlines: dict[dt.date, dt.datetime] = {}
    found = []
    for packet in queries.packets(first, last):
        day = packet.handover_date
        handover_at = handover_instant(day, at, zone)
        if not start < handover_at <= end:
            continue
        deadline = deadlines.setdefault(day, packets.reminder_due(day))
        acknowledged = packet.acknowledged_at
        found.append(Pickup(handover_at, acknowledged is not None and acknowledged <= deadline))
    return sorted(found)


def _split(calls: Sequence[Call], groups: Sequence[Period]) -> list[Sequence[Call]]:
    # `calls` is sorted by created_at: two bisections per group instead of a scan per group.
    times = [call.created_at for call in calls]
    return [
        calls[bisect.bisect_left(times, p.start) : bisect.bisect_left(times, p.end)] for p in groups
    ]


def _split_pickups(found: Sequence[Pickup], groups: Sequence[Period]) -> list[Sequence[Pickup]]:
    # A handover at a period's end belongs to it (the 07:00 that ends a night): (start, end].
    times = [p.handover_at for p in found]
    return [
        found[bisect.bisect_right(times, p.start) : bisect.bisect_right(times, p.end)]
        for p in groups
    ]


def _group(period: Period, rows: Rows) -> Group:
    return Group(
        **_figures(rows).model_dump(), start=period.start, end=period.end, label=period.label
    )


def _figures(rows: Rows) -> Figures:
    calls = rows.calls
    zone = clock.zone()
    hours = Counter(call.created_at.astimezone(zone).hour for call in calls)
    return Figures(
        calls=len(calls),
        call_processing_s=call_processing(calls),
        by_priority=dict(sorted(Counter(call.priority for call in calls).items())),
        by_district=dict(
            sorted(Counter(call.district or UNKNOWN_DISTRICT for call in calls).items())
        ),
        by_hour=[hours.get(hour, 0) for hour in range(24)],
        response_s=response(rows.responses),
        escalations=sum(call.escalations for call in calls),
        sms=Sms(
            sent=sum(call.sms_sent for call in calls),
            delivered=sum(call.sms_delivered for call in calls),
            failed=sum(call.sms_failed for call in calls),
        ),
        risk=figures.mix((risk.instrument_id, risk.level) for risk in rows.risks),
        repeat=_rate(sum(call.repeat for call in calls), len(calls)),
        order_in_force=_rate(sum(call.order_in_force for call in calls), len(calls)),
        referrals=Referrals(
            offered=sum(call.referrals_offered for call in calls),
            accepted=sum(call.referrals_accepted for call in calls),
        ),
        handover_pickups=_pickups(rows.pickups),
    )


def call_processing(calls: Sequence[Call]) -> CallProcessing:
    """Created → first unit assigned, in seconds, over the calls that had a unit assigned."""
    durations = [
        (call.first_assigned_at - call.created_at).total_seconds()
        for call in calls
        if call.first_assigned_at is not None
    ]
    return CallProcessing(
        p50=figures.seconds(figures.percentile(durations, 50)),
        p90=figures.seconds(figures.percentile(durations, 90)),
        met_60s=figures.share(figures.share_within(durations)),
        assigned=len(durations),
    )


def response(rows: Sequence[Response]) -> ResponseFigures:
    """Assigned → acknowledged, en route and on scene, per assignment that reached each step."""

    def step(values: list[float | None]) -> Durations:
        p50, p90, count = figures.durations([v for v in values if v is not None])
        return Durations(p50=p50, p90=p90, count=count)

    return ResponseFigures(
        acknowledged=step([r.acknowledged_s for r in rows]),
        en_route=step([r.en_route_s for r in rows]),
        on_scene=step([r.on_scene_s for r in rows]),
    )


def _rate(count: int, calls: int) -> Rate:
    return Rate(count=count, share=figures.rate(count, calls))


def _pickups(found: Sequence[Pickup]) -> Pickups:
    on_time = sum(p.on_time for p in found)
    return Pickups(packets=len(found), on_time=on_time, share=figures.rate(on_time, len(found)))
