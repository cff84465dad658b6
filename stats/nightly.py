"""Each night's tally, counted live or read from the settled night's stored figures.

A tally holds a night's counts and its durations (sorted seconds); tallies add up to weeks,
months and the whole range, so a year is 365 stored rows, not 200,000 calls (added up, the
durations stay one sorted run per night: stats.figures.Runs reads them as if merged). The nights
whose end lies less than `STATISTICS_SETTLE_DAYS` ago, and any settled night not stored yet, are
counted live in one pass over the database (stats.queries).
"""

from __future__ import annotations

import datetime as dt
from array import array
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

from flask import current_app
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from core import clock
from core.db import db
from handover import packets as handover_packets
from stats import queries
from stats.models import NightFigures
from stats.periods import Period
from stats.queries import MEASURES

VERSION = 1  # raise when what a tally holds changes: older stored nights are counted again
UNKNOWN_DISTRICT = "unknown"


@dataclass
class Tally:
    """What figures are computed from: counts, and per measure the durations as sorted runs
    (a night's tally: one run)."""

    counts: Counter[str] = field(default_factory=Counter)
    by_priority: Counter[str] = field(default_factory=Counter)
    by_district: Counter[str] = field(default_factory=Counter)
    by_hour: Counter[int] = field(default_factory=Counter)
    risk: Counter[tuple[str, str]] = field(default_factory=Counter)
    durations: dict[str, list[Sequence[float]]] = field(
        default_factory=lambda: {m: [] for m in MEASURES}
    )


def merge(tallies: Iterable[Tally]) -> Tally:
    """The tallies added up; their durations' runs gathered, not merged (figures.Runs)."""
    out = Tally()
    for one in tallies:
        out.counts.update(one.counts)
        out.by_priority.update(one.by_priority)
        out.by_district.update(one.by_district)
        out.by_hour.update(one.by_hour)
        out.risk.update(one.risk)
        for measure in MEASURES:
            out.durations[measure] += one.durations[measure]
    return out


def settle_days() -> int:
    """Days after a night's end before its figures are kept (STATISTICS_SETTLE_DAYS)."""
    return int(current_app.config.get("STATISTICS_SETTLE_DAYS", 7))


def settled(night: Period, now: dt.datetime) -> bool:
    """Whether the night ended long enough ago for its figures to be kept."""
    return night.end + dt.timedelta(days=settle_days()) <= now


def load(nights: Sequence[Period], hours: tuple[int, int]) -> list[Tally]:
    """Each night's tally: stored for the settled nights, counted live for the rest."""
    now = clock.now()
    stored = _stored([n for n in nights if settled(n, now)], hours)
    missing = [n for n in nights if n.label not in stored]
    live = dict(zip((n.label for n in missing), count(missing), strict=True))
    return [stored.get(n.label) or live[n.label] for n in nights]


def _stored(nights: Sequence[Period], hours: tuple[int, int]) -> dict[str, Tally]:
    if not nights:
        return {}
    # Only the columns read, not an ORM object per row; durations stay packed (from_row).
    rows = db.session.execute(
        select(NightFigures.night_date, NightFigures.counts, NightFigures.durations).where(
            NightFigures.night_date >= dt.date.fromisoformat(nights[0].label),
            NightFigures.night_date <= dt.date.fromisoformat(nights[-1].label),
            NightFigures.start_hour == hours[0],
            NightFigures.end_hour == hours[1],
            NightFigures.version == VERSION,
        )
    )
    return {day.isoformat(): from_row(counts, blob) for day, counts, blob in rows}


def count(nights: Sequence[Period]) -> list[Tally]:
    """Count the nights' tallies in the database (a few grouped statements for all of them)."""
    if not nights:
        return []
    bounds = queries.bounds_of([(n.start, n.end) for n in nights])
    tallies = [Tally() for _ in nights]
    queries.tune()
    zone = clock.zone()
    for group, hour, n, repeat, order in queries.hours(bounds):
        tallies[group].by_hour[hour.astimezone(zone).hour] += n
        tallies[group].counts.update(calls=n, repeat=repeat, order_in_force=order)
    for group, priority, district, n in queries.kinds(bounds):
        tallies[group].by_priority[priority] += n
        tallies[group].by_district[district or UNKNOWN_DISTRICT] += n
    for group, sent, delivered, failed in queries.sms(bounds):
        tallies[group].counts.update(sent=sent, delivered=delivered, failed=failed)
    for group, lines in queries.escalations(bounds):
        tallies[group].counts["escalations"] += lines
    for group, offered, accepted in queries.referrals(bounds):
        tallies[group].counts.update(offered=offered, accepted=accepted)
    for group, instrument, level, n in queries.risks(bounds):
        tallies[group].risk[instrument, level] += n
    for measure, per_group in queries.durations(bounds).items():
        for group, values in per_group.items():
            tallies[group].durations[measure] = [values]
    _count_pickups(nights, tallies)
    return tallies


def _count_pickups(nights: Sequence[Period], tallies: list[Tally]) -> None:
    """A night's packets are the next morning's: handover date = the night's date + 1 day; on
    time when acknowledged by the reminder (`handover.packets.reminder_due`)."""
    index = {dt.date.fromisoformat(n.label) + dt.timedelta(days=1): i for i, n in enumerate(nights)}
    for packet in queries.packets(min(index), max(index)):
        if (i := index.get(packet.handover_date)) is None:
            continue
        due = handover_packets.reminder_due(packet.handover_date)
        on_time = packet.acknowledged_at is not None and packet.acknowledged_at <= due
        tallies[i].counts.update(packets=1, on_time=int(on_time))


def to_row(night: Period, hours: tuple[int, int], tally: Tally) -> NightFigures:
    """A night's tally as the row that keeps it."""
    blob, lengths = array("d"), []
    for measure in MEASURES:
        runs = tally.durations[measure]
        values = runs[0] if len(runs) == 1 else sorted(chain.from_iterable(runs))
        blob.extend(values)
        lengths.append(len(values))
    counts = {
        "counts": dict(tally.counts),
        "by_priority": dict(tally.by_priority),
        "by_district": dict(tally.by_district),
        "by_hour": {str(h): n for h, n in tally.by_hour.items()},
        "risk": [[i, level, n] for (i, level), n in sorted(tally.risk.items())],
        "lengths": lengths,
    }
    return NightFigures(
        night_date=dt.date.fromisoformat(night.label),
        start_hour=hours[0],
        end_hour=hours[1],
        version=VERSION,
        counts=counts,
        durations=blob.tobytes(),
        computed_at=clock.now(),
    )


def from_row(data: dict[str, Any], blob: bytes) -> Tally:
    """The tally a kept row's counts and durations hold."""
    values = array("d")
    values.frombytes(blob)
    durations: dict[str, list[Sequence[float]]] = {}
    at = 0
    for measure, length in zip(MEASURES, data["lengths"], strict=True):
        durations[measure] = [values[at : at + length]]  # an array: no float object per value
        at += length
    return Tally(
        counts=Counter(data["counts"]),
        by_priority=Counter(data["by_priority"]),
        by_district=Counter(data["by_district"]),
        by_hour=Counter({int(h): n for h, n in data["by_hour"].items()}),
        risk=Counter({(i, level): n for i, level, n in data["risk"]}),
        durations=durations,
    )


def keep(nights: Sequence[Period], hours: tuple[int, int], replace: bool = False) -> int:
    """Count the nights and store their figures (insert first: a night another process stored
    meanwhile is left as it is); with `replace`, store them again. How many were written."""
    written = 0
    for night, tally in zip(nights, count(nights), strict=True):
        if replace:
            db.session.execute(
                delete(NightFigures).where(
                    NightFigures.night_date == dt.date.fromisoformat(night.label),
                    NightFigures.start_hour == hours[0],
                    NightFigures.end_hour == hours[1],
                )
            )
        try:
            with db.session.begin_nested():
                db.session.add(to_row(night, hours, tally))
            written += 1
        except IntegrityError:
            continue
    return written
