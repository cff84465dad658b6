"""The periods statistics are grouped by, in local (Europe/Brussels) wall-clock time.

Pure: plain dates and a zone in, aware UTC datetimes out. A night runs from `start_hour` on the
date it belongs to until `end_hour` the next morning, so a 23- or 25-hour day still holds one
night (of 8 or 10 hours); weeks start on Monday 00:00 and months on the 1st at 00:00, local time.
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


def weeks(first: dt.date, last: dt.date, zone: ZoneInfo) -> list[Period]:
    """The ISO weeks (Monday to Sunday) that touch first..last, clipped to those dates."""
    periods = []
    monday = first - dt.timedelta(days=first.weekday())
    while monday <= last:
        year, week, _ = monday.isocalendar()
        start, end = max(monday, first), min(monday + dt.timedelta(days=6), last)
        periods.append(_span(start, end, zone, f"{year}-W{week:02d}"))
        monday += dt.timedelta(days=7)
    return periods


def months(first: dt.date, last: dt.date, zone: ZoneInfo) -> list[Period]:
    """The calendar months that touch first..last, clipped to those dates."""
    periods = []
    month = first.replace(day=1)
    while month <= last:
        following = (month + dt.timedelta(days=32)).replace(day=1)
        start, end = max(month, first), min(following - dt.timedelta(days=1), last)
        periods.append(_span(start, end, zone, month.strftime("%Y-%m")))
        month = following
    return periods


def _span(first: dt.date, last: dt.date, zone: ZoneInfo, label: str) -> Period:
    return Period(local(first, 0, zone), local(last + dt.timedelta(days=1), 0, zone), label)


def periods(
    group: str, first: dt.date, last: dt.date, zone: ZoneInfo, night_hours: tuple[int, int]
) -> list[Period]:
    """The groups of a range: nights, weeks or months."""
    if group == "night":
        return nights(first, last, zone, *night_hours)
    if group == "week":
        return weeks(first, last, zone)
    if group == "month":
        return months(first, last, zone)
    raise ValueError(f"unknown group {group!r}")
