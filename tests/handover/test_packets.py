"""Morning packets: which notes, exactly once (also under concurrent builders), catch-up, DST."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from accounts.models import Organisation
from core.db import db
from handover import jobs, packets
from handover.models import HandoverPacket
from tests.conftest import make_org
from tests.handover.helpers import (
    CAW,
    SH,
    VH,
    incident,
    local,
    org_id,
    packet_contents,
    packet_count,
    packet_id,
    people,
    write,
)

D = dt.date(2026, 11, 20)


@pytest.fixture
def inc(app):
    people(app)
    return incident(app)


def build(app, day, now=None):
    with app.app_context():
        return packets.build_date(day, now or local(day.year, day.month, day.day, 7))


def test_a_packet_holds_the_notes_of_its_window_for_its_organisation(app, inc):
    before = write(app, inc, local(2026, 11, 19, 6, 59))
    first = write(app, inc, local(2026, 11, 19, 7, 0))  # the window is [07:00, 07:00)
    night = write(app, inc, local(2026, 11, 20, 2, 30), organisations=[CAW, VH])
    last = write(app, inc, local(2026, 11, 20, 6, 59))
    after = write(app, inc, local(2026, 11, 20, 7, 0))
    build(app, D - dt.timedelta(days=1))
    result = build(app, D)
    assert len(result.built) == 3 and result.existing == 0  # one per partner, even when empty
    contents = packet_contents(app)
    assert contents[(CAW, D)] == [first, night, last]
    assert contents[(VH, D)] == [night]
    assert contents[(SH, D)] == []
    assert contents[(CAW, D - dt.timedelta(days=1))] == [before]
    assert after not in sum(contents.values(), [])


def test_an_exercise_never_reaches_a_packet(app, inc):
    training = incident(app, exercise=True)
    real = write(app, inc, local(2026, 11, 20, 1, 0))
    drill = write(app, training, local(2026, 11, 20, 1, 5))
    build(app, D)
    contents = packet_contents(app)
    assert contents[(CAW, D)] == [real] and drill not in sum(contents.values(), [])


def test_building_twice_changes_nothing(app, inc):
    write(app, inc, local(2026, 11, 20, 1, 0))
    assert len(build(app, D).built) == 3
    again = build(app, D, local(2026, 11, 20, 9, 0))
    assert (again.built, again.existing) == ([], 3)
    assert packet_count(app) == 3


def test_the_unique_constraint_refuses_a_second_packet(app, inc):
    with app.app_context():
        caw = org_id(app, CAW)
        start, end = local(2026, 11, 19, 7), local(2026, 11, 20, 7)
        for _ in range(2):
            db.session.add(
                HandoverPacket(
                    organisation_id=caw, handover_date=D, window_start=start, window_end=end
                )
            )
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()


def test_a_handover_time_still_to_come_is_refused(app, inc):
    with app.app_context(), pytest.raises(packets.NotYetDueError):
        packets.build_date(D, local(2026, 11, 20, 6, 59))
    assert packet_count(app) == 0


@pytest.mark.parametrize("with_lock", [True, False], ids=["org-lock", "constraint-only"])
def test_concurrent_builders_make_one_packet_per_organisation(app, inc, monkeypatch, with_lock):
    notes = [write(app, inc, local(2026, 11, 19, 22, n), organisations=[CAW, VH]) for n in range(5)]
    if not with_lock:  # the unique constraint alone must still hold
        monkeypatch.setattr(packets, "lock_organisation", lambda org_id: None)
    start, results, errors = threading.Barrier(4), [], []

    def builder():
        with app.app_context():
            try:
                start.wait()
                results.append(packets.build_date(D, local(2026, 11, 20, 7, 0)))
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=builder) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert sum(len(r.built) for r in results) == 3
    assert sum(r.existing for r in results) == 9
    contents = packet_contents(app)
    assert len(contents) == 3
    assert contents[(CAW, D)] == contents[(VH, D)] == notes


def test_restart_catch_up_builds_every_missed_packet_once(app, inc):
    nights = [write(app, inc, local(2026, 11, day, 23, 0)) for day in (16, 17, 18, 19)]
    with app.app_context():  # the server was down since the 16th; it comes back on the 20th
        built, _ = jobs.tick(app, local(2026, 11, 20, 9, 15))
    assert len(built) == 7 * 3  # HANDOVER_CATCHUP_DAYS dates x partners
    contents = packet_contents(app)
    for night, day in zip(nights, (17, 18, 19, 20), strict=True):
        assert contents[(CAW, dt.date(2026, 11, day))] == [night]
    with app.app_context():
        assert jobs.tick(app, local(2026, 11, 20, 9, 16))[0] == []
    assert packet_count(app) == 21


def test_catch_up_is_bounded_and_skips_dates_before_an_organisation_existed(app, inc):
    old = write(app, inc, local(2026, 11, 1, 23, 0))
    newcomer = make_org(app, "nieuwe-partner", "other")
    with app.app_context():
        db.session.execute(
            update(Organisation)
            .where(Organisation.id == newcomer)
            .values(created_at=local(2026, 11, 18, 12, 0))
        )
        db.session.commit()
        packets.build_due(local(2026, 11, 20, 8, 0))
    contents = packet_contents(app)
    assert old not in sum(contents.values(), [])  # older than HANDOVER_CATCHUP_DAYS
    assert min(day for _, day in contents) == dt.date(2026, 11, 14)
    assert sorted(day for slug, day in contents if slug == "nieuwe-partner") == [
        dt.date(2026, 11, 19),
        dt.date(2026, 11, 20),
    ]


def test_the_job_builds_only_once_the_handover_time_has_passed(app, inc):
    with app.app_context():
        assert jobs.tick(app, local(2026, 11, 20, 6, 59))[0] != []  # catch-up of earlier dates
        before = {day for _, day in packet_contents(app)}
        assert D not in before
        jobs.tick(app, local(2026, 11, 20, 7, 0))
    assert D in {day for _, day in packet_contents(app)}


def test_spring_forward_night_has_a_23_hour_window(app, inc):
    day = dt.date(2027, 3, 28)  # clocks go 02:00 -> 03:00
    edge_before = write(app, inc, local(2027, 3, 27, 6, 59))
    start = write(app, inc, local(2027, 3, 27, 7, 0))  # 06:00 UTC (CET)
    after_change = write(app, inc, local(2027, 3, 28, 3, 30))  # 01:30 UTC (CEST)
    end = write(app, inc, local(2027, 3, 28, 6, 59))  # 04:59 UTC
    next_packet = write(app, inc, local(2027, 3, 28, 7, 0))  # 05:00 UTC
    with app.app_context():
        jobs.tick(app, local(2027, 3, 29, 7, 0))
        packet = db.session.execute(
            db.select(HandoverPacket).where(
                HandoverPacket.handover_date == day,
                HandoverPacket.organisation_id == org_id(app, CAW),
            )
        ).scalar_one()
        assert packet.window_end - packet.window_start == dt.timedelta(hours=23)
    contents = packet_contents(app)
    assert contents[(CAW, day)] == [start, after_change, end]
    assert contents[(CAW, day - dt.timedelta(days=1))] == [edge_before]
    assert contents[(CAW, day + dt.timedelta(days=1))] == [next_packet]


def test_fall_back_night_has_a_25_hour_window(app, inc):
    day = dt.date(2026, 10, 25)  # clocks go 03:00 -> 02:00
    start = write(app, inc, local(2026, 10, 24, 7, 0))  # 05:00 UTC (CEST)
    first_0230 = write(app, inc, local(2026, 10, 25, 2, 30, fold=0))  # 00:30 UTC
    second_0230 = write(app, inc, local(2026, 10, 25, 2, 30, fold=1))  # 01:30 UTC
    end = write(app, inc, local(2026, 10, 25, 6, 59))  # 05:59 UTC
    next_packet = write(app, inc, local(2026, 10, 25, 7, 0))  # 06:00 UTC
    with app.app_context():
        jobs.tick(app, local(2026, 10, 26, 7, 0))
        packet = db.session.get(HandoverPacket, packet_id(app, CAW, day))
        assert packet.window_end - packet.window_start == dt.timedelta(hours=25)
    contents = packet_contents(app)
    assert contents[(CAW, day)] == [start, first_0230, second_0230, end]
    assert contents[(CAW, day + dt.timedelta(days=1))] == [next_packet]


def test_a_correction_in_the_same_night_replaces_the_first_version(app, inc):
    v1 = write(app, inc, local(2026, 11, 20, 1, 0))
    v2 = write(app, inc, local(2026, 11, 20, 3, 0), previous=v1, summary="Gecorrigeerd.")
    build(app, D)
    assert packet_contents(app)[(CAW, D)] == [v2]


def test_a_later_correction_joins_the_next_packet_whatever_the_build_time(app, inc):
    v1 = write(app, inc, local(2026, 11, 20, 1, 0))
    v2 = write(app, inc, local(2026, 11, 20, 9, 0), previous=v1, summary="Gecorrigeerd.")
    build(app, D, local(2026, 11, 21, 12, 0))  # built late, after the correction was written
    build(app, D + dt.timedelta(days=1), local(2026, 11, 21, 12, 0))
    contents = packet_contents(app)
    assert contents[(CAW, D)] == [v1]
    assert contents[(CAW, D + dt.timedelta(days=1))] == [v2]


def test_a_correction_that_drops_an_organisation_before_the_packet_withdraws_it(app, inc):
    v1 = write(app, inc, local(2026, 11, 20, 1, 0), organisations=[CAW, VH])
    v2 = write(app, inc, local(2026, 11, 20, 2, 0), previous=v1, organisations=[CAW])
    build(app, D)
    contents = packet_contents(app)
    assert (contents[(CAW, D)], contents[(VH, D)]) == ([v2], [])


def test_urgent_notes_are_still_in_the_next_packet(app, inc):
    urgent = write(app, inc, local(2026, 11, 20, 2, 0), urgent=True)
    build(app, D)
    assert packet_contents(app)[(CAW, D)] == [urgent]
