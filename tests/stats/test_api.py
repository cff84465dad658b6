"""GET /api/v1/statistics: exact figures from calls with known times, Brussels periods, access."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.dispatch.helpers import board, make_unit
from tests.stats.helpers import brussels, call, fetch, last_sunday, local_today
from tests.triage.helpers import new_incident

URL = "/api/v1/statistics"


@pytest.fixture
def supervisor(app, clock) -> dict[str, str]:
    """A supervisor's token headers."""
    return board(app, "sofie", "supervisor")


def test_a_night_has_exact_call_processing_figures(app, client, clock, supervisor):
    night = local_today(clock) - dt.timedelta(days=3)
    start = brussels(night, 22, 10)
    offsets = [30, 45, 50, 70, 120]
    refs = [call(app, start + dt.timedelta(minutes=n), s) for n, s in enumerate(offsets)]
    refs.append(call(app, start + dt.timedelta(hours=1), 20, 300))  # the first unit counts: 20 s
    refs.append(call(app, start + dt.timedelta(hours=2)))  # never assigned: a call, no duration
    refs.append(call(app, start, 5, exercise=True))  # training: absent
    refs.append(call(app, brussels(night, 21, 59), 1))  # before the night
    refs.append(call(app, brussels(night + dt.timedelta(days=1), 7, 0), 1))  # the night is over

    answer = fetch(client, supervisor, night, night)

    # durations 20, 30, 45, 50, 70, 120; nearest rank: p50 = 3rd, p90 = 6th (ceil 5.4)
    expected = {"p50": 45.0, "p90": 120.0, "met_60s": 0.6667, "assigned": 6}
    assert answer["calls"] == 7 and answer["call_processing_s"] == expected
    (group,) = answer["groups"]
    assert group["label"] == night.isoformat() and group["calls"] == 7
    assert group["call_processing_s"] == expected
    assert group["start"].startswith(brussels(night, 22).isoformat()[:19])
    assert answer["by_hour"][22] == 5 and answer["by_hour"][23] == 1 and answer["by_hour"][0] == 1
    assert answer["by_priority"] == {"P2": 7} and answer["by_district"] == {"Borgerhout": 7}
    text = str(answer)
    assert not any(ref in text for ref in refs)  # aggregates only: no reference


def test_a_call_created_and_assigned_through_the_api_counts(app, client, clock, supervisor):
    night = local_today(clock) - dt.timedelta(days=1)
    clock.set(brussels(night, 23, 15))
    incident = new_incident(client, supervisor)
    unit_id = make_unit(app)
    clock.advance(seconds=42)
    assigned = client.post(
        f"/api/v1/incidents/{incident['id']}/assignments",
        json={"unit_id": unit_id},
        headers=supervisor,
    )
    assert assigned.status_code == 201, assigned.get_json()
    clock.set(brussels(night + dt.timedelta(days=1), 9, 0))

    answer = fetch(client, supervisor, night, night)

    assert answer["calls"] == 1
    assert answer["call_processing_s"] == {"p50": 42.0, "p90": 42.0, "met_60s": 1.0, "assigned": 1}
    assert incident["reference"] not in str(answer)


def test_the_25_hour_night_counts_once_with_all_its_calls(app, client, clock, supervisor):
    saturday = last_sunday(clock.now().year, 10) - dt.timedelta(days=1)
    sunday = saturday + dt.timedelta(days=1)
    call(app, brussels(saturday, 22, 30), 30)
    call(app, brussels(sunday, 2, 30, fold=0), 50)  # 02:30 summer time
    call(app, brussels(sunday, 2, 30, fold=1), 90)  # 02:30 again, an hour later: winter time
    call(app, brussels(sunday, 6, 59), 10)

    answer = fetch(client, supervisor, saturday - dt.timedelta(days=1), sunday)

    assert [g["label"] for g in answer["groups"]] == [
        (saturday - dt.timedelta(days=1)).isoformat(),
        saturday.isoformat(),
        sunday.isoformat(),
    ]
    before, dst, after = answer["groups"]
    assert (before["calls"], dst["calls"], after["calls"]) == (0, 4, 0)
    hours = dt.datetime.fromisoformat(dst["end"]) - dt.datetime.fromisoformat(dst["start"])
    assert hours == dt.timedelta(hours=10)
    assert dst["call_processing_s"] == {"p50": 30.0, "p90": 90.0, "met_60s": 0.75, "assigned": 4}
    assert answer["calls"] == 4 and answer["by_hour"][2] == 2


def test_the_23_hour_night_counts_once_with_all_its_calls(app, client, clock, supervisor):
    saturday = last_sunday(clock.now().year, 3) - dt.timedelta(days=1)
    sunday = saturday + dt.timedelta(days=1)
    call(app, brussels(saturday, 23, 0), 40)
    call(app, brussels(sunday, 1, 59), 60)  # winter time; a minute later it is 03:00 summer time
    call(app, brussels(sunday, 3, 0), 61)
    call(app, brussels(sunday, 7, 0), 5)  # the next morning: outside the night

    answer = fetch(client, supervisor, saturday, saturday)

    (night,) = answer["groups"]
    hours = dt.datetime.fromisoformat(night["end"]) - dt.datetime.fromisoformat(night["start"])
    assert hours == dt.timedelta(hours=8) and night["calls"] == 3
    assert night["call_processing_s"] == {
        "p50": 60.0,
        "p90": 61.0,
        "met_60s": 0.6667,
        "assigned": 3,
    }


def test_a_week_is_its_nights_from_mondays_to_sundays(app, client, clock, supervisor):
    """The night of Sunday to Monday belongs to the week it starts in; a call by day to none."""
    today = local_today(clock)
    monday = today - dt.timedelta(days=today.weekday() + 7)
    sunday = monday - dt.timedelta(days=1)
    call(app, brussels(sunday, 23, 30), 10)  # Sunday's night: the week before
    call(app, brussels(monday, 0, 30), 20)  # still Sunday's night (Monday 00:30 in Brussels)
    call(app, brussels(monday, 14, 0), 25)  # by day: no night, no week
    call(app, brussels(monday, 22, 0), 30)  # Monday's night: this week

    answer = fetch(
        client, supervisor, monday - dt.timedelta(days=7), monday + dt.timedelta(6), "week"
    )

    year, week, _ = monday.isocalendar()
    assert [g["calls"] for g in answer["groups"]] == [2, 1] and answer["calls"] == 3
    assert answer["groups"][1]["label"] == f"{year}-W{week:02d}"
    assert dt.datetime.fromisoformat(answer["groups"][1]["start"]) == brussels(monday, 22)
    nights = fetch(client, supervisor, monday - dt.timedelta(days=7), monday + dt.timedelta(6))
    assert sum(g["calls"] for g in nights["groups"]) == answer["calls"]  # the sum of its nights


def test_a_month_is_its_nights_from_the_first_to_the_last(app, client, clock, supervisor):
    first = (local_today(clock).replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    eve = first - dt.timedelta(days=1)  # the last day of the month before
    end = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    call(app, brussels(eve, 23, 59), 10)
    call(app, brussels(first, 0, 1), 20)  # the night that started on the eve: its month
    call(app, brussels(first, 22, 1), 30)

    answer = fetch(client, supervisor, eve, end, "month")

    assert [(g["label"], g["calls"]) for g in answer["groups"]] == [
        (eve.strftime("%Y-%m"), 2),
        (first.strftime("%Y-%m"), 1),
    ]
    start = dt.datetime.fromisoformat(answer["groups"][0]["start"])
    assert start == brussels(eve, 22)  # clipped to `from`: the eve's night


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2031-13-01", "to": "2031-01-02"}, "from"),
        ({"from": "2031-01-02", "to": "2031-01-01"}, "to"),
        ({"from": "2030-01-01", "to": "2031-02-05"}, "to"),
        ({"from": "2031-01-01", "to": "2031-01-02", "group": "year"}, "group"),
        ({"from": "2031-01-01", "to": "2031-01-02", "who": "x"}, "who"),
    ],
)
def test_bad_queries_answer_422_with_the_field(client, supervisor, params, field):
    response = client.get(URL, query_string=params, headers=supervisor)
    assert response.status_code == 422
    assert response.get_json()["error"] == "validation_error"
    assert field in response.get_json()["fields"]


def test_only_supervisors_see_statistics(app, client, clock):
    day = local_today(clock).isoformat()
    query = {"from": day, "to": day}
    assert client.get(URL, query_string=query).status_code == 401
    dispatcher = board(app, "an", "dispatcher")
    assert client.get(URL, query_string=query, headers=dispatcher).status_code == 403
