"""Assemble the statistics for a range: each night's tally (stored once settled, else counted
live: stats.nightly), added up per night, week or month and for the whole range.

Call-linked rows (assignments, SMS, timeline lines, referrals, assessments) count in the night
of their call's `created_at`; a night's handover packets are those of the next morning.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from flask import current_app

from core import clock
from stats import figures, nightly, periods
from stats.nightly import UNKNOWN_DISTRICT, Tally
from stats.periods import Period
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

__all__ = ["UNKNOWN_DISTRICT", "statistics"]
STEPS = ("acknowledged", "en_route", "on_scene")


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
    nights = periods.nights(first, last, clock.zone(), *hours)
    tallies = nightly.load(nights, hours)
    groups = [
        (span, nightly.merge(tallies[n] for n in ids))
        for span, ids in periods.group_nights(query.group, nights)
    ]
    return StatisticsRead(  # every night is in one group: the groups add up to the range
        **_figures(nightly.merge(tally for _, tally in groups)).model_dump(),
        from_=first,
        to=last,
        group=query.group,
        timezone=clock.zone().key,
        night_hours=list(hours),
        target_s=figures.NFPA_1225_TARGET_S,
        groups=[_group(span, tally) for span, tally in groups],
    )


def _group(period: Period, tally: Tally) -> Group:
    return Group(
        **_figures(tally).model_dump(), start=period.start, end=period.end, label=period.label
    )


def _figures(tally: Tally) -> Figures:
    counts, calls = tally.counts, tally.counts["calls"]
    return Figures(
        calls=calls,
        call_processing_s=call_processing(tally.durations["processing"]),
        by_priority=dict(sorted(tally.by_priority.items())),
        by_district=dict(sorted(tally.by_district.items())),
        by_hour=[tally.by_hour.get(hour, 0) for hour in range(24)],
        response_s=response(tally.durations),
        escalations=counts["escalations"],
        sms=Sms(sent=counts["sent"], delivered=counts["delivered"], failed=counts["failed"]),
        risk=figures.mix(tally.risk),
        repeat=_rate(counts["repeat"], calls),
        order_in_force=_rate(counts["order_in_force"], calls),
        referrals=Referrals(offered=counts["offered"], accepted=counts["accepted"]),
        handover_pickups=Pickups(
            packets=counts["packets"],
            on_time=counts["on_time"],
            share=figures.rate(counts["on_time"], counts["packets"]),
        ),
    )


def call_processing(sorted_runs: Sequence[Sequence[float]]) -> CallProcessing:
    """Created → first unit assigned, in seconds, over the calls that had a unit assigned
    (`sorted_runs`: their durations, each run sorted)."""
    runs = figures.Runs(sorted_runs)
    within = runs.at_most(figures.NFPA_1225_TARGET_S)
    p50, p90 = runs.percentiles(50, 90)
    return CallProcessing(
        p50=figures.seconds(p50),
        p90=figures.seconds(p90),
        met_60s=figures.share(within / len(runs) if runs else None),
        assigned=len(runs),
    )


def response(durations: dict[str, list[Sequence[float]]]) -> ResponseFigures:
    """Assigned → acknowledged, en route and on scene, per assignment that reached each step
    (`durations`: per step, sorted runs)."""

    def step(runs: figures.Runs) -> Durations:
        p50, p90 = runs.percentiles(50, 90)
        return Durations(p50=figures.seconds(p50), p90=figures.seconds(p90), count=len(runs))

    return ResponseFigures(**{name: step(figures.Runs(durations[name])) for name in STEPS})


def _rate(count: int, calls: int) -> Rate:
    return Rate(count=count, share=figures.rate(count, calls))
