"""Assemble the statistics for a range: a few grouped statements, then figure each group.

Call-linked rows (assignments, SMS, timeline lines, referrals, assessments) count in the group of
their call's `created_at`, aggregated per group in the database (`stats.queries`); handover
packets go to the group holding their handover time (a night: the 07:00 that ends it).
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
from stats.queries import TOTAL, Bounds, Nearest
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


class Pickup(NamedTuple):
    """A handover packet: when its handover was and whether it was picked up on time."""

    handover_at: dt.datetime
    on_time: bool


@dataclass
class Tally:
    """What one group (or the whole range) is figured from: counts and picked percentiles."""

    counts: Counter[str] = field(default_factory=Counter)
    by_priority: Counter[str] = field(default_factory=Counter)
    by_district: Counter[str] = field(default_factory=Counter)
    by_hour: Counter[int] = field(default_factory=Counter)
    risk: Counter[tuple[str, str]] = field(default_factory=Counter)
    call_processing: Nearest = Nearest()
    response: dict[str, Nearest] = field(default_factory=dict)
    pickups: Sequence[Pickup] = ()

    def add(self, other: Tally) -> None:
        """Add another group's counts (not its percentiles: those come from the database)."""
        self.counts.update(other.counts)
        self.by_priority.update(other.by_priority)
        self.by_district.update(other.by_district)
        self.by_hour.update(other.by_hour)
        self.risk.update(other.risk)
        self.pickups = [*self.pickups, *other.pickups]


def statistics(query: StatisticsQuery) -> StatisticsRead:
    """The figures for the query's range in total and per night, week or month."""
    first, last = default_range(query)
    hours = night_hours()
    groups = periods.periods(query.group, first, last, clock.zone(), hours)
    tallies, everything = _load(groups)
    return StatisticsRead(
        **_figures(everything).model_dump(),
        from_=first,
        to=last,
        group=query.group,
        timezone=clock.zone().key,
        night_hours=list(hours),
        target_s=figures.NFPA_1225_TARGET_S,
        groups=[_group(period, one) for period, one in zip(groups, tallies, strict=True)],
    )


def _load(groups: Sequence[Period]) -> tuple[list[Tally], Tally]:
    """Each group's tally and the whole range's: a few grouped statements for the range."""
    bounds = Bounds([(p.start, p.end) for p in groups])
    tallies = [Tally() for _ in groups]
    queries.tune()
    _count_calls(bounds, tallies)
    for group, sent, delivered, failed in queries.sms(bounds):
        tallies[group].counts.update(sent=sent, delivered=delivered, failed=failed)
    for group, lines in queries.escalations(bounds):
        tallies[group].counts["escalations"] += lines
    for group, offered, accepted in queries.referrals(bounds):
        tallies[group].counts.update(offered=offered, accepted=accepted)
    for group, instrument, level, n in queries.risks(bounds):
        tallies[group].risk[instrument, level] += n
    found = pickups(bounds.start, bounds.end)
    for one, picked in zip(tallies, _split_pickups(found, groups), strict=True):
        one.pickups = picked
    everything = Tally()
    for one in tallies:
        everything.add(one)
    _percentiles(bounds, [*tallies, everything])
    return tallies, everything


def _count_calls(bounds: Bounds, tallies: list[Tally]) -> None:
    zone = clock.zone()
    for group, hour, n, repeat, order in queries.hours(bounds):
        tally = tallies[group]
        tally.by_hour[hour.astimezone(zone).hour] += n
        tally.counts.update(calls=n, repeat=repeat, order_in_force=order)
    for group, priority, district, n in queries.kinds(bounds):
        tallies[group].by_priority[priority] += n
        tallies[group].by_district[district or UNKNOWN_DISTRICT] += n


def _percentiles(bounds: Bounds, tallies: list[Tally]) -> None:
    # The last tally is the whole range: its percentiles are the database's TOTAL.
    def key(n: int) -> int:
        return TOTAL if n == len(tallies) - 1 else n

    processing = queries.call_processing(bounds)
    steps = queries.responses(bounds)
    for n, tally in enumerate(tallies):
        tally.call_processing = processing.get(key(n), Nearest())
        tally.response = {step: steps[step].get(key(n), Nearest()) for step in STEPS}


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


def _split_pickups(found: Sequence[Pickup], groups: Sequence[Period]) -> list[Sequence[Pickup]]:
    # A handover at a period's end belongs to it (the 07:00 that ends a night): (start, end].
    times = [p.handover_at for p in found]
    return [
        found[bisect.bisect_right(times, p.start) : bisect.bisect_right(times, p.end)]
        for p in groups
    ]


def _group(period: Period, tally: Tally) -> Group:
    return Group(
        **_figures(tally).model_dump(), start=period.start, end=period.end, label=period.label
    )


def _figures(tally: Tally) -> Figures:
    counts, calls = tally.counts, tally.counts["calls"]
    return Figures(
        calls=calls,
        call_processing_s=call_processing(tally.call_processing),
        by_priority=dict(sorted(tally.by_priority.items())),
        by_district=dict(sorted(tally.by_district.items())),
        by_hour=[tally.by_hour.get(hour, 0) for hour in range(24)],
        response_s=response(tally.response),
        escalations=counts["escalations"],
        sms=Sms(sent=counts["sent"], delivered=counts["delivered"], failed=counts["failed"]),
        risk=figures.mix(tally.risk.elements()),
        repeat=_rate(counts["repeat"], calls),
        order_in_force=_rate(counts["order_in_force"], calls),
        referrals=Referrals(offered=counts["offered"], accepted=counts["accepted"]),
        handover_pickups=_pickups(tally.pickups),
    )


def call_processing(found: Nearest) -> CallProcessing:
    """Created → first unit assigned, in seconds, over the calls that had a unit assigned."""
    return CallProcessing(
        p50=figures.seconds(found.p50),
        p90=figures.seconds(found.p90),
        met_60s=figures.share(found.within / found.n if found.n else None),
        assigned=found.n,
    )


def response(steps: dict[str, Nearest]) -> ResponseFigures:
    """Assigned → acknowledged, en route and on scene, per assignment that reached each step."""

    def step(found: Nearest) -> Durations:
        return Durations(
            p50=figures.seconds(found.p50), p90=figures.seconds(found.p90), count=found.n
        )

    return ResponseFigures(**{name: step(steps.get(name, Nearest())) for name in STEPS})


def _rate(count: int, calls: int) -> Rate:
    return Rate(count=count, share=figures.rate(count, calls))


def _pickups(found: Sequence[Pickup]) -> Pickups:
    on_time = sum(p.on_time for p in found)
    return Pickups(packets=len(found), on_time=on_time, share=figures.rate(on_time, len(found)))
