"""The periods statistics are grouped by, in local (Europe/Brussels) wall-clock time.

Pure: plain dates and a zone in, aware UTC datetimes out. A night runs from `start_hour` on the
date it belongs to until `end_hour` the next morning, so a 23- or 25-hour day still holds one
night (of 8 or 10 hours). A week or a month is the night team's: its nights, by the date each
night starts on (Monday's to Sunday's; the 1st's to the last's), so a week is the sum of its
nights and a call by day counts in none.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

GROUPS = ("night", "week", "month")


@dataclass(frozen=True)
class Period:
    """A half-open stretch [start, end) of UTC time with a label for people."""

    start: dt.datetime
    end: dt.datetime
    label: str

    def holds(self, moment: dt.datetime) -> bool:
        """Whether the moment falls in the period."""
        return self.start <= moment < self.end


def local(day: dt.date, hour: int, zone: ZoneInfo) -> dt.datetime:
    """The UTC moment of `hour`:00 on a local date (whole hours outside 02:00-03:00 exist once)."""
    return dt.datetime.combine(day, dt.time(hour), tzinfo=zone).astimezone(dt.UTC)


def days(first: dt.date, last: dt.date) -> list[dt.date]:
    """Every date from first to last, both included."""
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


def nights(
    first: dt.date, last: dt.date, zone: ZoneInfo, start_hour: int = 22, end_hour: int = 7
) -> list[Period]:
    """One night per date from first to last, each labelled with the date it starts on."""
    ends_next_day = end_hour <= start_hour
    return [
        Period(
            local(day, start_hour, zone),
            local(day + dt.timedelta(days=int(ends_next_day)), end_hour, zone),
            day.isoformat(),
        )
        for day in days(first, last)
    ]


def label_of(group: str, day: dt.date) -> str:
    """The label of the night, ISO week (2031-W07) or month (2031-02) a night's date is in."""
    if group == "night":
        return day.isoformat()
    if group == "week":
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    if group == "month":
        return day.strftime("%Y-%m")
    raise ValueError(f"unknown group {group!r}")


def group_nights(group: str, nights: list[Period]) -> list[tuple[Period, list[int]]]:
    """The nights (in order) gathered by night, week or month: each group's span, from its first
    night's start to its last night's end, and the indexes of its nights."""
    gathered: dict[str, list[int]] = {}
    for n, night in enumerate(nights):
        gathered.setdefault(label_of(group, dt.date.fromisoformat(night.label)), []).append(n)
    return [
        (Period(nights[ids[0]].start, nights[ids[-1]].end, label), ids)
        for label, ids in gathered.items()
    ]
