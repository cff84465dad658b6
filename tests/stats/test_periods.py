"""Pure tests of the periods: nights, weeks and months in Brussels time, across DST."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from stats.periods import group_nights, label_of, nights

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


def test_weeks_and_months_gather_the_nights_by_the_date_each_starts_on():
    every = nights(dt.date(2030, 3, 30), dt.date(2030, 4, 7), ZONE)  # Saturday .. next Sunday
    weeks = group_nights("week", every)
    assert [(g.label, ids) for g, ids in weeks] == [
        ("2030-W13", [0, 1]),  # Saturday's and Sunday's nights (Sunday's ends on Monday)
        ("2030-W14", [2, 3, 4, 5, 6, 7, 8]),
    ]
    assert weeks[0][0].start == every[0].start and weeks[0][0].end == every[1].end
    assert weeks[1][0].start == dt.datetime(2030, 4, 1, 20, tzinfo=UTC)  # Monday 22:00, summer
    months = group_nights("month", every)
    assert [(g.label, ids) for g, ids in months] == [
        ("2030-03", [0, 1]),
        ("2030-04", list(range(2, 9))),
    ]
    assert [g.label for g, _ in group_nights("night", every)] == [n.label for n in every]


def test_an_unknown_group_is_refused():
    with pytest.raises(ValueError):
        label_of("year", dt.date(2030, 1, 1))
