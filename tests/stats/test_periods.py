"""Pure tests of the periods: nights, weeks and months in Brussels time, across DST."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from stats.periods import months, nights, periods, weeks

ZONE = ZoneInfo("Europe/Brussels")
UTC = dt.UTC


def test_a_winter_night_is_22_to_7_local():
    (night,) = nights(dt.date(2030, 1, 15), dt.date(2030, 1, 15), ZONE)
    assert night.start == dt.datetime(2030, 1, 15, 21, tzinfo=UTC)
    assert night.end == dt.datetime(2030, 1, 16, 6, tzinfo=UTC)
    assert night.label == "2030-01-15"


def test_dst_nights_last_10_and_8_hours_and_count_once():
    autumn = nights(dt.date(2030, 10, 26), dt.date(2030, 10, 27), ZONE)  # clocks back on the 27th
    assert [n.end - n.start for n in autumn] == [dt.timedelta(hours=10), dt.timedelta(hours=9)]
    spring = nights(dt.date(2030, 3, 30), dt.date(2030, 3, 30), ZONE)  # clocks forward on the 31st
    assert spring[0].end - spring[0].start == dt.timedelta(hours=8)
    second_0230 = dt.datetime(2030, 10, 27, 1, 30, tzinfo=UTC)  # the second 02:30 local
    assert [n.holds(second_0230) for n in autumn] == [True, False]


def test_night_hours_are_configurable_and_may_end_the_same_day():
    (night,) = nights(dt.date(2030, 1, 15), dt.date(2030, 1, 15), ZONE, 1, 6)
    assert night.start == dt.datetime(2030, 1, 15, 0, tzinfo=UTC)
    assert night.end == dt.datetime(2030, 1, 15, 5, tzinfo=UTC)


def test_weeks_are_iso_weeks_clipped_to_the_range():
    groups = weeks(dt.date(2030, 1, 2), dt.date(2030, 1, 13), ZONE)  # Wednesday .. Sunday
    assert [g.label for g in groups] == ["2030-W01", "2030-W02"]
    assert groups[0].start == dt.datetime(2030, 1, 1, 23, tzinfo=UTC)  # 2 Jan 00:00 local
    assert groups[1].start == dt.datetime(2030, 1, 6, 23, tzinfo=UTC)  # Monday 00:00 local
    assert groups[1].end == dt.datetime(2030, 1, 13, 23, tzinfo=UTC)


def test_months_follow_local_midnight_in_summer_and_winter():
    groups = months(dt.date(2030, 3, 1), dt.date(2030, 4, 30), ZONE)
    assert [g.label for g in groups] == ["2030-03", "2030-04"]
    assert groups[0].start == dt.datetime(2030, 2, 28, 23, tzinfo=UTC)
    assert groups[1].start == dt.datetime(2030, 3, 31, 22, tzinfo=UTC)  # summer time
    assert groups[0].end == groups[1].start


def test_an_unknown_group_is_refused():
    with pytest.raises(ValueError):
        periods("year", dt.date(2030, 1, 1), dt.date(2030, 1, 2), ZONE, (22, 7))
