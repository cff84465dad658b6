"""Acknowledging pickup, and the reminder to the supervisor console when nobody picks up."""

from __future__ import annotations

import datetime as dt

import pytest

from core.db import db
from handover import jobs, packets
from handover.models import HandoverPacket
from tests.handover.helpers import CAW, SH, VH, audits, incident, local, packet_id, people, write

D = dt.date(2026, 11, 20)


@pytest.fixture
def who(app):
    who = people(app)
    write(app, incident(app), local(2026, 11, 20, 2, 0), organisations=[CAW, VH, SH])
    with app.app_context():
        packets.build_date(D, local(2026, 11, 20, 7, 0))
    return who


def reminders(emitted):
    return [
        (payload["detail"]["organisation"], payload["detail"]["packet_id"], rooms)
        for name, payload, rooms in emitted
        if name == "alarm.raised" and payload["kind"] == "handover_overdue"
    ]


def test_acknowledging_records_who_and_when_once(app, client, who, emitted):
    pid = packet_id(app, CAW, D)
    url = f"/api/v1/handover-packets/{pid}/acknowledge"
    first = client.post(url, headers=who["sw-caw"])
    assert first.status_code == 200
    body = first.get_json()
    assert body["acknowledged_by"] == "sw-caw" and body["acknowledged_at"]
    second = client.post(url, headers=who["sw-caw"]).get_json()
    assert second["acknowledged_at"] == body["acknowledged_at"]  # the first pickup counts
    assert len(audits(app, "acknowledge", "handover_packet")) == 1
    acks = [p for name, p, rooms in emitted if name == "handover.acknowledged"]
    assert acks == [{"packet_id": pid, "organisation": CAW, "handover_date": "2026-11-20"}]
    listed = client.get("/api/v1/handover-packets?date=2026-11-20", headers=who["sw-caw"])
    assert listed.get_json()["items"][0]["acknowledged_by"] == "sw-caw"


def test_acknowledging_with_a_session_needs_the_csrf_token(app, client, who):
    from tests.conftest import csrf_token, login

    pid = packet_id(app, CAW, D)
    login(client, "sw-caw")
    url = f"/api/v1/handover-packets/{pid}/acknowledge"
    assert client.post(url).status_code == 400
    token = csrf_token(client, "/")
    assert client.post(url, headers={"X-CSRFToken": token}).status_code == 200


def test_an_unacknowledged_packet_is_reminded_once_at_the_reminder_time(app, who, emitted):
    with app.app_context():
        assert packets.send_reminders(local(2026, 11, 20, 9, 59)) == 0
        assert packets.send_reminders(local(2026, 11, 20, 10, 0)) == 3
        assert packets.send_reminders(local(2026, 11, 20, 10, 1)) == 0
        jobs.tick(app, local(2026, 11, 20, 10, 2))
    sent = reminders(emitted)
    assert sorted(org for org, _, _ in sent) == sorted([CAW, VH, SH])
    assert all(rooms == ["supervisors"] for _, _, rooms in sent)
    with app.app_context():
        reminded = db.session.get(HandoverPacket, packet_id(app, CAW, D)).reminded_at
    assert reminded == local(2026, 11, 20, 10, 0)


def test_an_acknowledged_packet_is_not_reminded(app, client, who, emitted):
    client.post(
        f"/api/v1/handover-packets/{packet_id(app, CAW, D)}/acknowledge", headers=who["sw-caw"]
    )
    with app.app_context():
        jobs.tick(app, local(2026, 11, 20, 10, 30))
    assert sorted(org for org, _, _ in reminders(emitted)) == sorted([VH, SH])


def test_a_reminder_time_before_the_handover_time_means_the_next_morning(app, who, monkeypatch):
    monkeypatch.setitem(app.config, "HANDOVER_REMINDER_TIME", "06:00")
    with app.app_context():
        assert packets.send_reminders(local(2026, 11, 20, 23, 0)) == 0
        assert packets.send_reminders(local(2026, 11, 21, 6, 0)) == 3


def test_empty_packets_are_not_escalated(app, emitted):
    people(app)
    with app.app_context():
        packets.build_date(D, local(2026, 11, 20, 7, 0))
        assert packets.send_reminders(local(2026, 11, 20, 10, 0)) == 0
    assert reminders(emitted) == []


def test_a_late_built_packet_with_notes_is_reminded_at_once(app, emitted):
    people(app)
    write(app, incident(app), local(2026, 11, 17, 2, 0))
    with app.app_context():  # the server was down from the 16th to the 20th, 12:00
        jobs.tick(app, local(2026, 11, 20, 12, 0))
    assert [(org, rooms) for org, _, rooms in reminders(emitted)] == [(CAW, ["supervisors"])]


def test_two_reminder_runs_at_once_remind_once(app, who, emitted):
    import threading

    barrier, counts = threading.Barrier(2), []

    def run():
        with app.app_context():
            barrier.wait()
            counts.append(packets.send_reminders(local(2026, 11, 20, 10, 0)))
            db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sum(counts) == 3
    assert len(reminders(emitted)) == 3
