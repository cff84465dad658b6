"""Percentiles over several nights are those of all their calls, whether the nights are counted
live or read from their kept figures, per week and for the whole range."""

from __future__ import annotations

import datetime as dt

import pytest

from core.db import db
from stats import jobs
from tests.dispatch.helpers import board
from tests.stats.helpers import brussels, call, fetch, local_today


@pytest.fixture
def supervisor(app, clock) -> dict[str, str]:
    return board(app, "sofie", "supervisor")


def test_percentiles_over_nights_are_those_of_all_their_calls_live_and_kept(
    app, client, clock, supervisor
):
    first = local_today(clock) - dt.timedelta(days=17)  # settled nights, 1 to 2 weeks apart
    last = local_today(clock) - dt.timedelta(days=10)
    nights = {
        first: [3, 1, 1000, 2],
        last - dt.timedelta(days=1): [15 + 10 * n for n in range(12)],  # 15, 25, ... 125
        last: [10 + 10 * n for n in range(12)],  # 10, 20, ... 120
    }
    for night, offsets in nights.items():
        for minute, after in enumerate(offsets):
            call(app, brussels(night, 23, minute), after)
    # all 28 sorted: 1 2 3 10 15 20 ... 120 125 1000; p50 = 14th, p90 = 26th (ceil 25.2)
    expected = {"p50": 60.0, "p90": 120.0, "met_60s": 0.5, "assigned": 28}

    live = fetch(client, supervisor, first, last, "week")
    with app.app_context():
        assert jobs.keep_settled(app) >= 8
        db.session.commit()
    kept = fetch(client, supervisor, first, last, "week")

    assert live["call_processing_s"] == kept["call_processing_s"] == expected
    assert kept == live and sum(week["calls"] for week in kept["groups"]) == 28
    per_night = fetch(client, supervisor, last, last)["call_processing_s"]
    assert per_night == {"p50": 60.0, "p90": 110.0, "met_60s": 0.5, "assigned": 12}
