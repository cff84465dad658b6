"""Settled nights are counted once and kept (the hourly `statistics` job), so a year is read,
not recounted; the last STATISTICS_SETTLE_DAYS are counted live; `stats recompute` counts a
settled night again after a correction."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from core.db import db
from stats import jobs
from stats.models import NightFigures
from tests.dispatch.helpers import board
from tests.stats.helpers import assessment, brussels, call, fetch, local_today, sms
from triage.models import Incident


@pytest.fixture
def supervisor(app, clock) -> dict[str, str]:
    return board(app, "sofie", "supervisor")


def kept(app) -> list[str]:
    with app.app_context():
        rows = db.session.execute(select(NightFigures.night_date).order_by(NightFigures.night_date))
        return [day.isoformat() for day in rows.scalars()]


def test_a_kept_night_reads_the_same_as_counted_live(app, client, clock, supervisor):
    night = local_today(clock) - dt.timedelta(days=10)  # settled (7 days after its end)
    recent = local_today(clock) - dt.timedelta(days=2)  # not yet
    for minute, after in ((5, 20), (10, 45), (15, 75)):
        ref = call(app, brussels(night, 22, minute), after, priority="P1")
        sms(app, ref, "delivered", sent=True)
    assessment(app, ref, "dash", 1, "high")
    call(app, brussels(night + dt.timedelta(days=1), 2, 0), 30, district=None)
    call(app, brussels(recent, 23, 0), 50)
    live = fetch(client, supervisor, night, recent)
    live_weeks = fetch(client, supervisor, night, recent, "week")
    assert live["calls"] == 5 and live["risk"] == {"dash": {"high": 1}}

    with app.app_context():
        written = jobs.keep_settled(app)  # every settled night of the last 400 days
        db.session.commit()
        assert jobs.keep_settled(app) == 0  # run twice: nothing more
    assert len(kept(app)) == written and written >= 390
    assert night.isoformat() in kept(app) and recent.isoformat() not in kept(app)
    assert fetch(client, supervisor, night, recent) == live
    assert fetch(client, supervisor, night, recent, "week") == live_weeks


def test_a_settled_nights_correction_shows_after_a_recompute(
    app, client, clock, supervisor, runner
):
    night = local_today(clock) - dt.timedelta(days=10)
    call(app, brussels(night, 23, 0), 30)
    with app.app_context():
        written = jobs.keep_settled(app)
        db.session.commit()
    call(app, brussels(night, 23, 30), 40)  # a call entered late for that night
    assert fetch(client, supervisor, night, night)["calls"] == 1  # the kept figures

    result = runner.invoke(args=["stats", "recompute", "--from", night.isoformat()])

    assert result.exit_code == 0, result.output
    assert "kept the figures of 1 settled night(s)" in result.output
    assert "stats recompute: nights: 1/1" in result.output  # progress, as lines in a log
    answer = fetch(client, supervisor, night, night)
    assert answer["calls"] == 2 and answer["call_processing_s"]["p50"] == 30.0
    with app.app_context():
        assert db.session.execute(select(func.count(NightFigures.id))).scalar_one() == written


def test_recent_nights_are_never_kept_and_always_live(app, client, clock, supervisor):
    night = local_today(clock) - dt.timedelta(days=3)
    call(app, brussels(night, 23, 0), 30)
    with app.app_context():
        jobs.keep_settled(app)
        db.session.commit()
    call(app, brussels(night, 23, 30), 40)
    assert night.isoformat() not in kept(app)
    assert fetch(client, supervisor, night, night)["calls"] == 2


def test_a_call_corrected_after_its_night_was_kept_is_counted_again_by_the_job(
    app, client, clock, supervisor
):
    night = local_today(clock) - dt.timedelta(days=10)
    ref = call(app, brussels(night, 23, 0), 30, priority="P3")
    with app.app_context():
        jobs.keep_settled(app)
        db.session.commit()
    clock.advance(seconds=60)
    with app.app_context():  # a supervisor raises the closed call's priority a week later
        incident = db.session.execute(
            select(Incident).where(Incident.reference == ref)
        ).scalar_one()
        incident.priority = "P1"
        db.session.commit()
    assert fetch(client, supervisor, night, night)["by_priority"] == {"P3": 1}  # until the job

    with app.app_context():
        assert jobs.keep_settled(app) == 1  # that night only
        db.session.commit()

    assert fetch(client, supervisor, night, night)["by_priority"] == {"P1": 1}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "9999-12-31"], "must lie between"),
        (["--from", "2031-02-10", "--to", "2031-02-01"], "must not be before --from"),
        (["--from", "2001-01-01", "--to", "2031-02-01"], "at most 400 nights"),
    ],
)
def test_recompute_refuses_dates_it_cannot_use(runner, args, message):
    result = runner.invoke(args=["stats", "recompute", *args])
    assert result.exit_code == 2 and message in result.output


def test_recompute_says_which_nights_are_not_settled_yet(runner, clock):
    night = local_today(clock) - dt.timedelta(days=2)
    result = runner.invoke(args=["stats", "recompute", "--from", night.isoformat()])
    assert result.exit_code == 0
    assert "kept the figures of 0 settled night(s)" in result.output
    assert "1 night(s) not settled yet" in result.output
