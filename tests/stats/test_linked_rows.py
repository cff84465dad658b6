"""GET /api/v1/statistics: a call's assignments, SMS, timeline lines, referrals and assessments
count in its call's night, whatever their own times, and only there: the rows of calls outside
the range never count, even when those calls were recorded between the range's calls."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.dispatch.helpers import board
from tests.stats.helpers import (
    assessment,
    assignment,
    brussels,
    call,
    event,
    fetch,
    local_today,
    referral,
    sms,
)


@pytest.fixture
def supervisor(app, clock) -> dict[str, str]:
    """A supervisor's token headers."""
    return board(app, "sofie", "supervisor")


def everything_on(app, reference: str, at: dt.datetime) -> None:
    """A unit, two SMS, an escalation, a referral and an assessment, stamped at `at`."""
    assignment(app, reference, at + dt.timedelta(seconds=5), ack=5)
    sms(app, reference, "delivered", sent=True)
    sms(app, reference, "failed", sent=False)
    event(app, reference, "escalation.level1", at)
    referral(app, reference, "victim_support", "accepted")
    assessment(app, reference, "dash", 1, "high")


def test_rows_count_in_their_calls_night_and_outside_calls_between_never_count(
    app, client, clock, supervisor
):
    first = local_today(clock) - dt.timedelta(days=3)
    second = first + dt.timedelta(days=1)
    inside = brussels(first, 22, 10), brussels(second, 23, 0)
    # Recorded in this order: the outside calls fall between the nights' first and last call.
    early = call(app, inside[0])
    outside = [
        (call(app, brussels(first, 21, 0)), brussels(first, 22, 30)),  # before the first night
        (call(app, brussels(second, 12, 0)), brussels(second, 23, 30)),  # the day in between
        (call(app, brussels(second + dt.timedelta(days=1), 7, 0)), inside[1]),  # after the last
    ]
    late = call(app, inside[1])
    for reference, rows_at in outside:  # its rows stamped inside a night
        everything_on(app, reference, rows_at)
    # The early call's rows stamped before its night: they count in its call's night.
    assignment(app, early, inside[0] + dt.timedelta(seconds=30), ack=20)
    sms(app, early, "delivered", sent=True)
    event(app, early, "escalation.level1", inside[0] - dt.timedelta(days=2))
    referral(app, early, "victim_support", "accepted")
    assessment(app, early, "dash", 1, "high")
    assignment(app, late, inside[1] + dt.timedelta(seconds=60), ack=10)
    sms(app, late, "failed", sent=False)
    event(app, late, "escalation.level2", inside[1] + dt.timedelta(minutes=5))
    referral(app, late, "psychosocial_support", "offered")
    assessment(app, late, "lap", 1, "low")

    answer = fetch(client, supervisor, first, second)

    one, two = answer["groups"]
    assert (answer["calls"], one["calls"], two["calls"]) == (2, 1, 1)
    assert answer["call_processing_s"] == {"p50": 30.0, "p90": 60.0, "met_60s": 1.0, "assigned": 2}
    assert answer["response_s"]["acknowledged"] == {"p50": 10.0, "p90": 20.0, "count": 2}
    assert (answer["escalations"], one["escalations"], two["escalations"]) == (2, 1, 1)
    assert answer["sms"] == {"sent": 1, "delivered": 1, "failed": 1}
    assert answer["referrals"] == {"offered": 2, "accepted": 1}
    assert answer["risk"] == {"dash": {"high": 1}, "lap": {"low": 1}}
    assert one["risk"] == {"dash": {"high": 1}} and two["risk"] == {"lap": {"low": 1}}


def test_a_night_of_exercises_only_counts_none_of_their_rows(app, client, clock, supervisor):
    night = local_today(clock) - dt.timedelta(days=2)
    real = call(app, brussels(night, 21, 0))  # the evening before: outside the night
    drill = call(app, brussels(night, 23, 0), exercise=True)
    everything_on(app, real, brussels(night, 23, 0))
    everything_on(app, drill, brussels(night, 23, 0))

    answer = fetch(client, supervisor, night, night)

    assert answer["calls"] == 0
    assert answer["call_processing_s"]["assigned"] == 0
    assert answer["response_s"]["acknowledged"]["count"] == 0
    assert (answer["escalations"], answer["risk"]) == (0, {})
    assert answer["sms"] == {"sent": 0, "delivered": 0, "failed": 0}
    assert answer["referrals"] == {"offered": 0, "accepted": 0}
