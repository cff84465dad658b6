"""GET /api/v1/statistics: unit response, escalations, SMS, risk mix, repeat and order rates,
referrals and handover pickups, exact from rows with known times (exercises never count)."""

from __future__ import annotations

import datetime as dt

import pytest

from core.db import db
from dispatch import escalation
from dispatch import sms as sms_sender
from tests.conftest import make_org
from tests.dispatch.helpers import board, make_unit
from tests.stats.helpers import (
    assessment,
    assignment,
    brussels,
    call,
    event,
    fetch,
    last_sunday,
    local_today,
    packet,
    referral,
    sms,
    status_line,
)
from tests.triage.helpers import new_incident

NO_FIGURES = {"p50": None, "p90": None, "count": 0}


@pytest.fixture
def app(app, monkeypatch):
    """The shared app with the default handover times, whatever the environment says."""
    monkeypatch.setitem(app.config, "HANDOVER_TIME", "07:00")
    monkeypatch.setitem(app.config, "HANDOVER_REMINDER_TIME", "10:00")
    return app


@pytest.fixture
def supervisor(app, clock) -> dict[str, str]:
    """A supervisor's token headers."""
    return board(app, "sofie", "supervisor")


def everything_on(app, reference: str, at: dt.datetime) -> None:
    """Every kind of row the figures count, on one call (for calls that must not count)."""
    unit_id = assignment(app, reference, at, ack=5, en_route=6, on_scene=7)
    sms(app, reference, "delivered", sent=True)
    sms(app, reference, "failed", sent=False)
    event(app, reference, "escalation.level1", at)
    status_line(app, reference, unit_id, "on_scene", at)
    referral(app, reference, "victim_support", "accepted")
    assessment(app, reference, "dash", 1, "high")


def first_call(app, at: dt.datetime) -> str:
    """Two units (one straight on scene), six SMS out and one in, two escalations, three
    referrals and two instruments (one re-assessed with an override)."""
    ref = call(app, at, priority="P1", flags=("escalation_pattern", "order_in_force"))
    first = assignment(app, ref, at + dt.timedelta(seconds=30), ack=20, en_route=50, on_scene=600)
    assignment(app, ref, at + dt.timedelta(seconds=100), ack=40, on_scene=300, ended=900)
    status_line(app, ref, first, "en_route", at + dt.timedelta(seconds=200))  # again: the first
    for status, sent in [
        ("delivered", True),
        ("delivered_locally", True),
        ("failed", True),  # the provider took it, then failed
        ("failed", False),  # refused, or out of attempts
        ("undelivered", True),
        ("pending", False),
    ]:
        sms(app, ref, status, sent=sent)
    sms(app, ref, "received", sent=False, inbound=True)
    event(app, ref, "escalation.level1", at + dt.timedelta(minutes=3))
    event(app, ref, "escalation.level2", at + dt.timedelta(minutes=5))
    event(app, ref, "alarm.acknowledged", at + dt.timedelta(minutes=6))  # not an escalation
    referral(app, ref, "victim_support", "accepted")
    referral(app, ref, "psychosocial_support", "declined")
    referral(app, ref, "child_abuse_centre", "suggested")
    assessment(app, ref, "dash", 1, "high")
    assessment(app, ref, "dash", 2, "medium", computed="high")  # the latest, overridden
    assessment(app, ref, "lap", 1, "low")
    return ref


def second_call(app, at: dt.datetime) -> str:
    """One unit released before it was on scene (its later report is another assignment's)."""
    ref = call(app, at, flags=("order_in_force",))
    unit = assignment(app, ref, at + dt.timedelta(seconds=45), ack=10, en_route=100, ended=200)
    status_line(app, ref, unit, "on_scene", at + dt.timedelta(seconds=45 + 300))
    other = assignment(app, call(app, at - dt.timedelta(days=1)), at)  # another call's unit
    status_line(app, ref, other, "on_scene", at + dt.timedelta(seconds=60))
    sms(app, ref, "delivered", sent=True)
    event(app, ref, "escalation.welfare_check", at + dt.timedelta(minutes=20))
    referral(app, ref, "victim_support", "offered")
    assessment(app, ref, "dash", 1, "high")
    return ref


def test_every_figure_of_a_night_is_exact(app, client, clock, supervisor):
    night = local_today(clock) - dt.timedelta(days=3)
    morning = night + dt.timedelta(days=1)
    refs = [first_call(app, brussels(night, 22, 10)), second_call(app, brussels(night, 23, 0))]
    refs.append(call(app, brussels(morning, 1, 0)))
    referral(app, refs[-1], "victim_support", "not_offered")
    for ref, at in [
        (call(app, brussels(night, 22, 30), exercise=True), brussels(night, 22, 30)),
        (call(app, brussels(night, 21, 59)), brussels(night, 21, 59)),  # before the night
    ]:
        everything_on(app, ref, at)
    orgs = [make_org(app, f"partner-{n}", "caw") for n in range(3)]
    packet(app, orgs[0], morning, brussels(morning, 10, 0))  # at the reminder: on time
    packet(app, orgs[1], morning, brussels(morning, 10, 0) + dt.timedelta(seconds=1))
    packet(app, orgs[2], morning, None)
    packet(app, orgs[0], night, brussels(night, 8))  # the 07:00 before the night
    packet(app, orgs[0], morning + dt.timedelta(days=1), brussels(morning, 8))

    answer = fetch(client, supervisor, night, night)

    expected = {
        "calls": 3,
        "call_processing_s": {"p50": 30.0, "p90": 45.0, "met_60s": 1.0, "assigned": 2},
        # acknowledged 20, 40, 10; en route 50, 100; on scene 600, 300 (nearest rank)
        "response_s": {
            "acknowledged": {"p50": 20.0, "p90": 40.0, "count": 3},
            "en_route": {"p50": 50.0, "p90": 100.0, "count": 2},
            "on_scene": {"p50": 300.0, "p90": 600.0, "count": 2},
        },
        "escalations": 3,
        "sms": {"sent": 5, "delivered": 3, "failed": 3},
        "risk": {"dash": {"high": 1, "medium": 1}, "lap": {"low": 1}},
        "repeat": {"count": 1, "share": 0.3333},
        "order_in_force": {"count": 2, "share": 0.6667},
        "referrals": {"offered": 3, "accepted": 1},
        "handover_pickups": {"packets": 3, "on_time": 1, "share": 0.3333},
    }
    (group,) = answer["groups"]
    for figures in (answer, group):
        assert {key: figures[key] for key in expected} == expected
    assert answer["by_priority"] == {"P1": 1, "P2": 2}
    assert not any(ref in str(answer) for ref in refs)  # aggregates only


def test_an_empty_range_has_empty_figures(app, client, clock, supervisor):
    night = local_today(clock) - dt.timedelta(days=2)
    everything_on(app, call(app, brussels(night, 23), exercise=True), brussels(night, 23))

    answer = fetch(client, supervisor, night, night)

    assert answer["response_s"] == {
        "acknowledged": NO_FIGURES,
        "en_route": NO_FIGURES,
        "on_scene": NO_FIGURES,
    }
    assert (answer["escalations"], answer["risk"]) == (0, {})
    assert answer["sms"] == {"sent": 0, "delivered": 0, "failed": 0}
    assert answer["repeat"] == answer["order_in_force"] == {"count": 0, "share": None}
    assert answer["referrals"] == {"offered": 0, "accepted": 0}
    assert answer["handover_pickups"] == {"packets": 0, "on_time": 0, "share": None}


def test_the_25_hour_night_measures_elapsed_time_and_holds_its_packet(
    app, client, clock, supervisor
):
    saturday = last_sunday(clock.now().year, 10) - dt.timedelta(days=1)
    sunday = saturday + dt.timedelta(days=1)
    created = brussels(sunday, 2, 45, fold=0)  # summer time
    ref = call(app, created)
    assigned = brussels(sunday, 2, 50, fold=0)
    # 02:05 on the wall clock comes after 02:50: an hour went back in between
    acknowledged = brussels(sunday, 2, 5, fold=1)
    en_route, on_scene = brussels(sunday, 2, 20, fold=1), brussels(sunday, 3, 0)
    assignment(
        app,
        ref,
        assigned,
        ack=(acknowledged - assigned).total_seconds(),
        en_route=(en_route - assigned).total_seconds(),
        on_scene=(on_scene - assigned).total_seconds(),
    )
    org, late = make_org(app, "partner-dst", "caw"), make_org(app, "partner-late", "caw")
    packet(app, org, sunday, brussels(sunday, 9, 59))
    packet(app, late, sunday, brussels(sunday, 10, 30))

    answer = fetch(client, supervisor, saturday, sunday)

    dst, after = answer["groups"]
    assert dst["call_processing_s"]["p50"] == 300.0
    assert dst["response_s"] == {
        "acknowledged": {"p50": 900.0, "p90": 900.0, "count": 1},
        "en_route": {"p50": 1800.0, "p90": 1800.0, "count": 1},
        "on_scene": {"p50": 4200.0, "p90": 4200.0, "count": 1},
    }
    assert dst["handover_pickups"] == {"packets": 2, "on_time": 1, "share": 0.5}
    assert after["handover_pickups"]["packets"] == 0 and after["calls"] == 0
    assert answer["handover_pickups"] == dst["handover_pickups"]


def test_after_the_23_hour_night_the_reminder_is_10_summer_time(app, client, clock, supervisor):
    saturday = last_sunday(clock.now().year, 3) - dt.timedelta(days=1)
    sunday = saturday + dt.timedelta(days=1)
    orgs = [make_org(app, f"partner-march-{n}", "caw") for n in range(2)]
    packet(app, orgs[0], sunday, brussels(sunday, 9, 59))  # 07:59 UTC: on time
    packet(app, orgs[1], sunday, brussels(sunday, 10, 1))  # 08:01 UTC: an hour later in winter

    (night,) = fetch(client, supervisor, saturday, saturday)["groups"]

    assert night["handover_pickups"] == {"packets": 2, "on_time": 1, "share": 0.5}


def test_a_weeks_figures_follow_its_nights_and_their_mornings_packets(
    app, client, clock, supervisor
):
    """Sunday's night, its Monday-morning assignment and its Monday 07:00 packet are all the
    week before: a week holds its nights, and a night the packets of the morning after."""
    today = local_today(clock)
    monday = today - dt.timedelta(days=today.weekday() + 7)
    sunday = monday - dt.timedelta(days=1)
    late = call(app, brussels(sunday, 23, 50), flags=("escalation_pattern",))
    assignment(app, late, brussels(monday, 0, 5), ack=60)  # assigned on Monday: still Sunday's
    sms(app, late, "delivered", sent=True)
    packet(app, make_org(app, "partner-week", "caw"), monday, brussels(monday, 8))

    answer = fetch(client, supervisor, sunday - dt.timedelta(days=6), monday, "week")

    before, this = answer["groups"]
    assert before["repeat"] == {"count": 1, "share": 1.0} and this["repeat"]["share"] is None
    assert before["sms"]["sent"] == 1 and this["sms"]["sent"] == 0
    assert before["response_s"]["acknowledged"]["count"] == 1
    assert before["handover_pickups"] == {"packets": 1, "on_time": 1, "share": 1.0}
    assert this["handover_pickups"]["packets"] == 0


def test_what_the_console_and_the_escalation_scan_record_counts(app, client, clock, supervisor):
    night = local_today(clock) - dt.timedelta(days=1)
    clock.set(brussels(night, 23, 0))
    incident = new_incident(client, supervisor)
    answering = make_unit(app, "ST-A", "+32470001001")
    silent = make_unit(app, "ST-B", "+32470001002")
    for unit_id in (answering, silent):
        clock.advance(seconds=30)
        assign = client.post(
            f"/api/v1/incidents/{incident['id']}/assignments",
            json={"unit_id": unit_id},
            headers=supervisor,
        )
        assert assign.status_code == 201, assign.get_json()
    for seconds, status in [(20, "acknowledged"), (60, "en_route"), (300, "on_scene")]:
        clock.advance(seconds=seconds)
        moved = client.post(
            f"/api/v1/units/{answering}/status", json={"status": status}, headers=supervisor
        )
        assert moved.status_code == 200, moved.get_json()
    with app.app_context():
        assert escalation.check_acknowledgements(clock.now(), 120) == 1  # the silent unit
        db.session.commit()
        sms_sender.deliver_due(app)
    clock.set(brussels(night + dt.timedelta(days=1), 9, 0))

    answer = fetch(client, supervisor, night, night)

    assert answer["response_s"] == {
        "acknowledged": {"p50": 50.0, "p90": 50.0, "count": 1},  # the silent one never did
        "en_route": {"p50": 110.0, "p90": 110.0, "count": 1},
        "on_scene": {"p50": 410.0, "p90": 410.0, "count": 1},
    }
    assert answer["escalations"] == 1  # past twice the timeout: the supervisor at once
    assert answer["sms"] == {"sent": 2, "delivered": 2, "failed": 0}
    assert answer["call_processing_s"]["p50"] == 30.0
