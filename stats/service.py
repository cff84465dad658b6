"""Assemble the statistics for a range: load the calls once, then figure each group."""

from __future__ import annotations

import bisect
import datetime as dt
from collections import Counter
from collections.abc import Sequence

from flask import current_app

from core import clock
from stats import figures, periods, queries
from stats.periods import Period
from stats.queries import Call
from stats.schemas import CallProcessing, Figures, Group, StatisticsQuery, StatisticsRead

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


def statistics(query: StatisticsQuery) -> StatisticsRead:
    """The figures for the query's range in total and per night, week or month."""
    first, last = default_range(query)
    hours = night_hours()
    groups = periods.periods(query.group, first, last, clock.zone(), hours)
    loaded = queries.calls(groups[0].start, groups[-1].end)
    per_group = list(zip(groups, _split(loaded, groups), strict=True))
    everything = [call for _, calls in per_group for call in calls]
    return StatisticsRead(
        **_figures(everything).model_dump(),
        from_=first,
        to=last,
        group=query.group,
        timezone=clock.zone().key,
        night_hours=list(hours),
        target_s=figures.NFPA_1225_TARGET_S,
        groups=[_group(period, calls) for period, calls in per_group],
    )


def _split(calls: Sequence[Call], groups: Sequence[Period]) -> list[Sequence[Call]]:
    # `calls` is sorted by created_at: two bisections per group instead of a scan per group.
    times = [call.created_at for call in calls]
    return [
        calls[bisect.bisect_left(times, p.start) : bisect.bisect_left(times, p.end)] for p in groups
    ]


def _group(period: Period, calls: Sequence[Call]) -> Group:
    return Group(
        **_figures(calls).model_dump(), start=period.start, end=period.end, label=period.label
    )


def _figures(calls: Sequence[Call]) -> Figures:
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
    )


def call_processing(calls: Sequence[Call]) -> CallProcessing:
    """Created → first unit assigned, in seconds, over the calls that had a unit assigned."""
    durations = [
        (call.first_assigned_at - call.created_at).total_seconds()
        for call in calls
        if call.first_assigned_at is not None
    ]
    return CallProcessing(
        p50=_seconds(figures.percentile(durations, 50)),
        p90=_seconds(figures.percentile(durations, 90)),
        met_60s=_share(figures.share_within(durations)),
        assigned=len(durations),
    )


def _seconds(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def _share(value: float | None) -> float | None:
    return None if value is None else round(value, 4)
