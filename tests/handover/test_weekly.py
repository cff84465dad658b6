"""The weekly triage-table list: which cases, built exactly once (also by two schedulers at
once), sent at its time or by a supervisor, picked up and acknowledged, audited, kept as long
as the packets."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter

import pytest

from core.db import db
from handover import retention
from handover.weekly import build, jobs
from tests.conftest import make_app
from tests.handover.helpers import CAW, SH, VH, audits, people
from tests.handover.weekly_helpers import at, build_at, case, counts, list_id, lists, week_of

ONE_WEEK = dt.timedelta(days=7)


@pytest.fixture
def app(app, monkeypatch):
    """The default weekly-list times, whatever the environment says."""
    monkeypatch.setitem(app.config, "TRIAGE_LIST_TIME", "08:00")
    monkeypatch.setitem(app.config, "TRIAGE_LIST_SEND_TIME", "10:00")
    return app


@pytest.fixture
def week(app, clock):
    """Last week (seen from the frozen clock), with the partners and their people."""
    people(app)
    return week_of(clock.now()) - ONE_WEEK


def monday_after(week_start: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return at(week_start, 7, hour, minute)


def test_the_list_holds_last_weeks_high_risk_repeat_and_order_cases(app, week):
    dash = case(app, at(week, 0, 0, 0), [("dash", "medium"), ("dash", "high")])  # the latest
    lap = case(app, at(week, 2, 23), [("lap", "screened_in")])
    now = case(app, at(week, 3, 1), [("immediate-danger", "immediate")])
    repeat = case(app, at(week, 4, 4), flags=["escalation_pattern"])
    order = case(app, at(week, 6, 23, 59), [("dash", "standard")], flags=["order_in_force"])
    case(app, at(week, 1, 2), [("dash", "standard"), ("lap", "not_screened_in")])  # low risk
    case(app, at(week, -1, 23, 59), [("dash", "high")])  # the Sunday before
    case(app, at(week, 7, 0, 0), [("dash", "high")])  # the next week
    result = build_at(app, week, monday_after(week, 8))
    assert len(result.built) == 1  # the one Veilig Huis; CAW and victim support get none
    assert lists(app) == {
        VH: {
            dash: ["dash_high"],
            lap: ["lap_screened_in"],
            now: ["immediate_danger"],
            repeat: ["repeat"],
            order: ["order_in_force"],
        }
    }
    assert CAW not in lists(app) and SH not in lists(app)


def test_an_exercise_incident_is_never_on_the_list(app, week):
    real = case(app, at(week, 2, 3), [("dash", "high")])
    drill = case(app, at(week, 2, 3, 5), [("dash", "high"), ("lap", "screened_in")], exercise=True)
    build_at(app, week, monday_after(week, 8))
    assert real in lists(app)[VH] and drill not in lists(app)[VH]


def test_a_restricted_incident_is_left_out_by_the_rules(app, week):
    hidden = case(app, at(week, 2, 3), [("dash", "high")], restricted=True)
    build_at(app, week, monday_after(week, 8))
    assert lists(app)[VH] == {} and hidden


def test_the_job_builds_once_its_monday_time_has_passed_and_twice_changes_nothing(app, week):
    case(app, at(week, 2, 3), [("dash", "high")])
    with app.app_context():
        before = jobs.tick(app, monday_after(week, 7, 59))  # the two weeks before (catch-up)
        assert len(before) == 2 and counts(app) == (2, 0)
        assert len(jobs.tick(app, monday_after(week, 8))) == 1
        assert jobs.tick(app, monday_after(week, 8, 1)) == []
    assert counts(app) == (3, 1)
    assert len(audits(app, "create", "triage_list")) == 3


def test_the_list_is_built_once_across_two_schedulers(app, week):
    cases = {case(app, at(week, d, 22), [("dash", "high")]) for d in range(5)}
    # Two schedulers: two apps (as two processes would have) on the same database, each
    # running the job twice at the same moment.
    schedulers = [app, make_app(app.config["SQLALCHEMY_DATABASE_URI"], **_times(app))]
    start, built, errors = threading.Barrier(4), [], []
    moment = monday_after(week, 8, 0)

    def scheduler(instance):
        with instance.app_context():
            try:
                start.wait()
                built.append(jobs.tick(instance, moment))
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=scheduler, args=(s,)) for s in schedulers * 2]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert sum(len(b) for b in built) == 2  # last week's list and the catch-up week's
    assert counts(app) == (2, len(cases))
    assert set(lists(app)[VH]) == cases
    assert len(audits(app, "create", "triage_list")) == 2


def _times(app) -> dict[str, object]:
    keys = ("TRIAGE_LIST_TIME", "TRIAGE_LIST_SEND_TIME", "TIMEZONE")
    return {k: app.config[k] for k in keys}


def test_a_missed_monday_is_caught_up_once(app, week):
    earlier = week - ONE_WEEK
    case(app, at(earlier, 1, 3), [("lap", "screened_in")])
    case(app, at(week, 1, 3), [("lap", "screened_in")])
    with app.app_context():
        assert len(jobs.tick(app, monday_after(week, 9))) == 2  # down last Monday too
    assert counts(app) == (2, 2)


def test_a_week_to_come_is_refused(app, week):
    with app.app_context(), pytest.raises(build.NotYetDueError):
        build.build_week(week, monday_after(week, 7, 59))


def test_the_draft_is_sent_at_the_send_time(app, week):
    case(app, at(week, 2, 3), [("dash", "high")])
    with app.app_context():
        jobs.tick(app, monday_after(week, 8))
        assert build.send_due(monday_after(week, 9, 59)) == 0
        assert build.send_due(monday_after(week, 10)) == 1  # the catch-up week went at once
        assert build.send_due(monday_after(week, 10, 1)) == 0
    assert [e.username for e in audits(app, "send", "triage_list")] == ["system", "system"]


def test_a_send_time_before_the_build_time_sends_at_the_build(app, week, monkeypatch):
    monkeypatch.setitem(app.config, "TRIAGE_LIST_SEND_TIME", "06:00")
    with app.app_context():
        assert len(jobs.tick(app, monday_after(week, 8))) == 2
    assert len(audits(app, "send", "triage_list")) == 2


def test_retention_empties_lists_as_old_as_the_packets_it_empties(app, week):
    case(app, at(week, 2, 3), [("dash", "high")])
    build_at(app, week, monday_after(week, 8))
    tally: Counter = Counter()
    with app.app_context():
        retention.purge_packets(monday_after(week, 8) + dt.timedelta(days=29), 30, tally)
        db.session.commit()
    assert counts(app) == (1, 1)
    with app.app_context():
        retention.purge_packets(monday_after(week, 8) + dt.timedelta(days=31), 30, tally)
        db.session.commit()
    assert counts(app) == (1, 0) and tally["triage_lists"] == 1
    assert list_id(app, week) and len(audits(app, "anonymise", "triage_list")) == 1
