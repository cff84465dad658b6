"""Silence escalates: re-page, supervisor alarm, welfare checks — with a controllable clock."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from core.db import db
from core.extensions import socketio
from core.realtime import NAMESPACE
from dispatch import escalation
from dispatch.models import Assignment, Message, Unit
from tests.conftest import login, make_app, make_user
from tests.dispatch.helpers import board, incident_with_unit


@pytest.fixture
def live_app(app):
    """A fresh app bound to the Socket.IO server, so alarms can be received."""
    return make_app(app.config["SQLALCHEMY_DATABASE_URI"])


def console(app, username, role):
    make_user(app, username, role)
    flask_client = app.test_client()
    login(flask_client, username)
    return socketio.test_client(app, namespace=NAMESPACE, flask_test_client=flask_client)


def alarms(sock) -> list[str]:
    received = sock.get_received(NAMESPACE)
    return [e["args"][0]["kind"] for e in received if e["name"] == "alarm.raised"]


def scan_at(app, when: dt.datetime) -> int:
    with app.app_context():
        return escalation.scan(app, now=when)


def assigned_at(app) -> dt.datetime:
    with app.app_context():
        return db.session.execute(select(Assignment.assigned_at)).scalar_one()


def messages(app) -> list[str]:
    with app.app_context():
        return [m.kind for m in db.session.execute(select(Message).order_by(Message.id)).scalars()]


def test_no_ack_repages_then_alarms_the_supervisor_once_each(live_app):
    headers = board(live_app)
    incident_with_unit(live_app, live_app.test_client(), headers)
    dispatcher, supervisor = (
        console(live_app, "d2", "dispatcher"),
        console(live_app, "chef", "supervisor"),
    )
    start = assigned_at(live_app)
    assert scan_at(live_app, start + dt.timedelta(seconds=119)) == 0
    assert scan_at(live_app, start + dt.timedelta(seconds=121)) == 1
    assert scan_at(live_app, start + dt.timedelta(seconds=130)) == 0  # idempotent
    assert messages(live_app) == ["assignment", "repage"]
    assert alarms(dispatcher) == ["no_ack"]
    assert scan_at(live_app, start + dt.timedelta(seconds=241)) == 1
    assert scan_at(live_app, start + dt.timedelta(seconds=600)) == 0
    assert alarms(supervisor) == ["no_ack", "no_ack_supervisor"]
    assert alarms(dispatcher) == ["no_ack_supervisor"]  # the board sees it too
    with live_app.app_context():
        repage = db.session.execute(select(Message).where(Message.kind == "repage")).scalar_one()
        assert repage.body.startswith("HERHALING 2")


def test_acknowledged_units_are_not_escalated(live_app):
    headers = board(live_app)
    client = live_app.test_client()
    _, unit_id, _ = incident_with_unit(live_app, client, headers)
    client.post(f"/api/v1/units/{unit_id}/status", json={"status": "acknowledged"}, headers=headers)
    assert scan_at(live_app, assigned_at(live_app) + dt.timedelta(hours=1)) == 0
    assert messages(live_app) == ["assignment"]


def test_escalation_survives_a_restart_because_timers_live_in_the_database(live_app, app):
    headers = board(live_app)
    incident_with_unit(live_app, live_app.test_client(), headers)
    restarted = make_app(app.config["SQLALCHEMY_DATABASE_URI"])
    assert scan_at(restarted, assigned_at(live_app) + dt.timedelta(seconds=125)) == 1


def test_welfare_check_after_long_silence_on_scene_alarms_the_supervisor_once(live_app):
    headers = board(live_app)
    client = live_app.test_client()
    incident, unit_id, _ = incident_with_unit(live_app, client, headers)
    client.post(f"/api/v1/units/{unit_id}/status", json={"status": "on_scene"}, headers=headers)
    dispatcher = console(live_app, "d2", "dispatcher")
    supervisor = console(live_app, "chef", "supervisor")
    with live_app.app_context():
        since = db.session.get(Unit, unit_id).status_changed_at
    assert scan_at(live_app, since + dt.timedelta(seconds=1799)) == 0
    assert scan_at(live_app, since + dt.timedelta(seconds=1801)) == 1
    scan_at(live_app, since + dt.timedelta(seconds=1801 + 299))  # within WELFARE_GRACE_S
    assert alarms(supervisor) == ["welfare_check"]
    scan_at(live_app, since + dt.timedelta(seconds=1801 + 301))  # no answer: the supervisor
    scan_at(live_app, since + dt.timedelta(seconds=2500))
    assert scan_at(live_app, since + dt.timedelta(seconds=3602)) == 1  # still silent: ask again
    scan_at(live_app, since + dt.timedelta(seconds=3602 + 301))
    scan_at(live_app, since + dt.timedelta(seconds=5403))
    scan_at(live_app, since + dt.timedelta(seconds=5403 + 301))
    assert messages(live_app) == ["assignment", "welfare", "welfare", "welfare"]
    assert alarms(dispatcher) == ["welfare_check", "welfare_supervisor"]  # exactly one
    assert alarms(supervisor) == ["welfare_supervisor"]
    kinds = [
        e["kind"]
        for e in client.get(f"/api/v1/incidents/{incident['id']}", headers=headers).get_json()[
            "timeline"
        ]
    ]
    assert kinds.count("escalation.welfare_check") == 3
    assert kinds.count("escalation.welfare_supervisor") == 1
    standing = client.get("/api/v1/alarms", headers=headers).get_json()["alarms"]
    assert [(a["kind"], a["severity"]) for a in standing] == [("welfare_supervisor", "critical")]


def test_a_console_that_opens_later_still_sees_the_alarms_that_stand(live_app):
    headers = board(live_app)
    client = live_app.test_client()
    incident, unit_id, _ = incident_with_unit(live_app, client, headers)
    incident_id = incident["id"]
    start = assigned_at(live_app)

    def standing() -> list[tuple[str, int]]:
        snapshot = client.get("/api/v1/board", headers=headers).get_json()
        return [(a["kind"], a["incident_id"]) for a in snapshot["alarms"]]

    assert standing() == []
    scan_at(live_app, start + dt.timedelta(seconds=121))  # nobody was connected to hear it
    assert standing() == [("no_ack", incident_id)]
    scan_at(live_app, start + dt.timedelta(seconds=241))
    assert standing() == [("no_ack_supervisor", incident_id)]
    client.post(f"/api/v1/units/{unit_id}/status", json={"status": "acknowledged"}, headers=headers)
    assert standing() == []  # the unit answered: the alarm no longer stands
    client.post(f"/api/v1/units/{unit_id}/status", json={"status": "on_scene"}, headers=headers)
    with live_app.app_context():
        since = db.session.get(Unit, unit_id).status_changed_at
    scan_at(live_app, since + dt.timedelta(seconds=1801))
    assert standing() == [("welfare_check", incident_id)]
    cleared = client.post(
        f"/api/v1/units/{unit_id}/status", json={"status": "available"}, headers=headers
    )
    assert cleared.status_code == 200
    assert standing() == []
