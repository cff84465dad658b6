"""Window arithmetic: consecutive windows tile time, DST nights give 23- and 25-hour windows."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.clock import parse_clock
from handover.window import (
    handover_instant,
    handover_window,
    latest_handover_date,
    packet_date_for,
)

BXL = ZoneInfo("Europe/Brussels")
SEVEN = dt.time(7, 0)
ZONES = st.sampled_from(
    ["Europe/Brussels", "UTC", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata"]
)
DATES = st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2090, 12, 31))
TIMES = st.times().map(lambda t: t.replace(microsecond=0))
INSTANTS = st.datetimes(min_value=dt.datetime(1990, 1, 2), max_value=dt.datetime(2090, 12, 30)).map(
    lambda d: d.replace(tzinfo=dt.UTC)
)


def test_parse_clock_accepts_minutes_and_seconds_only():
    assert parse_clock("07:00") == dt.time(7, 0)
    assert parse_clock(" 06:59:30 ") == dt.time(6, 59, 30)
    for bad in ("7:00", "07", "25:00", "07:60", "07:00:00:00", "seven", ""):
        with pytest.raises(ValueError):
            parse_clock(bad)


def test_an_ordinary_window_is_24_hours_from_07_00_to_07_00():
    start, end = handover_window(dt.date(2026, 11, 25), SEVEN, BXL)
    assert start == dt.datetime(2026, 11, 24, 6, 0, tzinfo=dt.UTC)
    assert end == dt.datetime(2026, 11, 25, 6, 0, tzinfo=dt.UTC)


def test_spring_forward_night_is_23_hours():
    start, end = handover_window(dt.date(2027, 3, 28), SEVEN, BXL)  # last Sunday of March
    assert start == dt.datetime(2027, 3, 27, 6, 0, tzinfo=dt.UTC)  # 07:00 CET
    assert end == dt.datetime(2027, 3, 28, 5, 0, tzinfo=dt.UTC)  # 07:00 CEST
    assert end - start == dt.timedelta(hours=23)


def test_fall_back_night_is_25_hours():
    start, end = handover_window(dt.date(2026, 10, 25), SEVEN, BXL)  # last Sunday of October
    assert start == dt.datetime(2026, 10, 24, 5, 0, tzinfo=dt.UTC)  # 07:00 CEST
    assert end == dt.datetime(2026, 10, 25, 6, 0, tzinfo=dt.UTC)  # 07:00 CET
    assert end - start == dt.timedelta(hours=25)


def test_a_handover_time_inside_the_gap_or_fold_still_tiles():
    gap = dt.time(2, 30)  # does not exist on 2027-03-28, exists twice on 2026-10-25
    for day in (dt.date(2027, 3, 28), dt.date(2026, 10, 25)):
        assert (
            handover_window(day, gap, BXL)[1] == handover_window(day + dt.timedelta(1), gap, BXL)[0]
        )


def test_latest_handover_date_switches_exactly_at_the_handover_time():
    at = dt.datetime(2027, 3, 28, 5, 0, tzinfo=dt.UTC)  # 07:00 CEST
    assert latest_handover_date(at - dt.timedelta(microseconds=1), SEVEN, BXL) == dt.date(
        2027, 3, 27
    )
    assert latest_handover_date(at, SEVEN, BXL) == dt.date(2027, 3, 28)
    assert packet_date_for(at, SEVEN, BXL) == dt.date(2027, 3, 29)
    with pytest.raises(ValueError):
        latest_handover_date(dt.datetime(2027, 3, 28, 5, 0), SEVEN, BXL)


@settings(max_examples=300, deadline=None)
@given(day=DATES, clock=TIMES, zone=ZONES)
def test_consecutive_windows_tile_time(day, clock, zone):
    tz = ZoneInfo(zone)
    start, end = handover_window(day, clock, tz)
    next_start, next_end = handover_window(day + dt.timedelta(days=1), clock, tz)
    assert end == next_start  # no gap, no overlap
    assert start < end < next_end
    assert dt.timedelta(hours=22) <= end - start <= dt.timedelta(hours=26)


@settings(max_examples=300, deadline=None)
@given(day=DATES, clock=TIMES)
def test_brussels_windows_are_23_24_or_25_hours(day, clock):
    start, end = handover_window(day, clock, BXL)
    assert end - start in {dt.timedelta(hours=h) for h in (23, 24, 25)}


@settings(max_examples=300, deadline=None)
@given(now=INSTANTS, clock=TIMES, zone=ZONES)
def test_every_instant_falls_in_exactly_one_window(now, clock, zone):
    tz = ZoneInfo(zone)
    latest = latest_handover_date(now, clock, tz)
    assert handover_instant(latest, clock, tz) <= now
    start, end = handover_window(packet_date_for(now, clock, tz), clock, tz)
    assert start <= now < end
