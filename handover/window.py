"""Handover wall-clock arithmetic: pure functions over dates, times and zones (no Flask, no DB).

The packet of handover date D holds the notes written in the half-open interval
[handover time on D-1, handover time on D), both read as wall-clock time in the zone and
converted to UTC. Because the end of D's window and the start of D+1's are the same instant,
consecutive windows tile time: no gap, no overlap. On the nights the clocks change the window
is 23 hours (last Sunday of March) or 25 hours (last Sunday of October) long.

A handover time that does not exist on a date (inside a spring-forward gap) or exists twice
(inside a fall-back fold) is read with `fold=0`, as zoneinfo does: deterministic per date, so
the tiling still holds.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

ONE_DAY = dt.timedelta(days=1)


def handover_instant(date: dt.date, handover_time: dt.time, zone: ZoneInfo) -> dt.datetime:
    """The UTC instant of the handover time on a local date."""
    local = dt.datetime.combine(date, handover_time, tzinfo=zone)
    return local.astimezone(dt.UTC)


def handover_window(
    date: dt.date, handover_time: dt.time, zone: ZoneInfo
) -> tuple[dt.datetime, dt.datetime]:
    """The half-open UTC interval [start, end) whose notes go into date's packet."""
    return (
        handover_instant(date - ONE_DAY, handover_time, zone),
        handover_instant(date, handover_time, zone),
    )


def latest_handover_date(now_utc: dt.datetime, handover_time: dt.time, zone: ZoneInfo) -> dt.date:
    """The last local date whose handover instant is at or before `now_utc`."""
    if now_utc.tzinfo is None:
        raise ValueError("now_utc must be timezone-aware")
    today = now_utc.astimezone(zone).date()
    for candidate in (today + ONE_DAY, today, today - ONE_DAY):
        if handover_instant(candidate, handover_time, zone) <= now_utc:
            return candidate
    return today - 2 * ONE_DAY  # unreachable for real zones (offsets stay below a day)


def packet_date_for(instant: dt.datetime, handover_time: dt.time, zone: ZoneInfo) -> dt.date:
    """The handover date whose window contains `instant` (the packet a note written then joins)."""
    return latest_handover_date(instant, handover_time, zone) + ONE_DAY
