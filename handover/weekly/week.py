"""Week arithmetic for the weekly list: pure functions over dates, times and zones.

A list covers the local week Monday 00:00 – next Monday 00:00 (`week_start` is that Monday),
converted to UTC; consecutive weeks tile time (a DST week is 167 or 169 hours long). It is
drafted on the Monday after, at the build time, and sent at the send time (never before it is
drafted).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from handover.window import handover_instant

ONE_WEEK = dt.timedelta(days=7)
MIDNIGHT = dt.time(0, 0)


def week_window(week_start: dt.date, zone: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    """The half-open UTC interval [start, end) of the local week starting on `week_start`."""
    return (
        handover_instant(week_start, MIDNIGHT, zone),
        handover_instant(week_start + ONE_WEEK, MIDNIGHT, zone),
    )


def build_instant(week_start: dt.date, build: dt.time, zone: ZoneInfo) -> dt.datetime:
    """When the week's list is drafted: the Monday after, at the build time."""
    return handover_instant(week_start + ONE_WEEK, build, zone)


def send_instant(week_start: dt.date, build: dt.time, send: dt.time, zone: ZoneInfo) -> dt.datetime:
    """When a draft is sent without a supervisor: the Monday after, at the send time."""
    return max(
        build_instant(week_start, build, zone), handover_instant(week_start + ONE_WEEK, send, zone)
    )


def monday_of(day: dt.date) -> dt.date:
    """The Monday of the week a date lies in."""
    return day - dt.timedelta(days=day.weekday())


def latest_due_week(now_utc: dt.datetime, build: dt.time, zone: ZoneInfo) -> dt.date:
    """The `week_start` of the newest week whose list is due (its build time has passed)."""
    this_week = monday_of(now_utc.astimezone(zone).date())
    last_week = this_week - ONE_WEEK
    return last_week if build_instant(last_week, build, zone) <= now_utc else last_week - ONE_WEEK


def due_weeks(now_utc: dt.datetime, build: dt.time, zone: ZoneInfo, weeks: int) -> list[dt.date]:
    """The last `weeks` due weeks, oldest first."""
    latest = latest_due_week(now_utc, build, zone)
    return [latest - n * ONE_WEEK for n in reversed(range(weeks))]
