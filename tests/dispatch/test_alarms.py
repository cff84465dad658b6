"""Alarms on the server (issue 17): raised once per cause, one acknowledgement quiets every
console and survives a reload, standing alarms reach a console that opens later, most severe
first, and a text is read only by those who may."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from core.audit import AuditEvent
from core.db import db
from core.realtime import NAMESPACE
from dispatch import escalation
from tests.conftest import bearer, login, make_token, make_user
from tests.dispatch.helpers import PUBLIC, board, incident_with_unit, make_unit
from tests.dispatch.test_webhooks import sms
from tests.triage.helpers import new_incident


@pytest.fixture
def twilio_app(app, monkeypatch):
    monkeypatch.setitem(app.config, "TWILIO_AUTH_TOKEN", "test-twilio-auth-token")
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", PUBLIC)
    return app


def scan(app, at: dt.datetime) -> int:
    with app.app_context():
        return escalation.scan(app, now=at)


def standing(client, headers) -> list[dict]:
    response = client.get("/api/v1/alarms", headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["alarms"]


def received(sock, name: str) -> list[dict]:
    return [e["args"][0] for e in sock.get_received(NAMESPACE) if e["name"] == name]


def test_a_p1_waiting_without_a_unit_raises_a_critical_alarm_until_a_unit_is_sent(
    app, client, clock
):
    headers = board(app)
    p1 = new_incident(client, headers, flags=["weapon"])
    new_incident(client, headers, address="Turnhoutsebaan 10, 2140 Borgerhout")
    assert scan(app, clock.advance(seconds=59)) == 0
    assert standing(client, headers) == []
    scan(app, clock.advance(seconds=2))
    scan(app, clock.advance(seconds=30))  # the next run raises nothing new
    [alarm] = standing(client, headers)
    assert (alarm["kind"], alarm["severity"], alarm["reference"]) == (
        "p1_waiting",
        "critical",
        p1["reference"],
    )
    unit_id = make_unit(app)
    sent = client.post(
        f"/api/v1/incidents/{p1['id']}/assignments", json={"unit_id": unit_id}, headers=headers
    )
    assert sent.status_code == 201
    assert standing(client, headers) == []


def test_a_p1_lowered_by_a_supervisor_no_longer_alarms(app, client, clock):
    headers, chief = board(app), board(app, "chef", "supervisor")
    p1 = new_incident(client, headers, flags=["weapon"])
    scan(app, clock.advance(seconds=61))
    assert [a["kind"] for a in standing(client, headers)] == ["p1_waiting"]
    lowered = client.post(
        f"/api/v1/incidents/{p1['id']}/priority",
        json={"priority": "P2", "reason": "Tweede oproep: situatie rustig"},
        headers=chief,
    )
    assert lowered.status_code == 200, lowered.get_json()
    scan(app, clock.advance(seconds=15))
    assert standing(client, headers) == []


def test_acknowledging_on_one_console_quiets_every_console_and_survives_a_reload(
    app, client, clock, socket_client
):
    headers = board(app)
    incident, _, _ = incident_with_unit(app, client, headers)
    make_user(app, "d2", "dispatcher")
    first, second = socket_client(app, "an"), socket_client(app, "d2")
    scan(app, clock.advance(seconds=121))  # the unit did not acknowledge
    [raised] = received(first, "alarm.raised")
    assert [a["id"] for a in received(second, "alarm.raised")] == [raised["id"]]
    assert raised["kind"] == "no_ack" and raised["acknowledged_at"] is None

    ack = client.post(f"/api/v1/alarms/{raised['id']}/acknowledge", headers=headers)
    assert ack.status_code == 200 and ack.get_json()["acknowledged_by"] == "an"
    for sock in (first, second):
        [quiet] = received(sock, "alarm.acknowledged")
        assert (quiet["id"], quiet["acknowledged_by"]) == (raised["id"], "an")
    # A reload reads the alarm as it is on the server: still standing, but acknowledged.
    [after] = client.get("/api/v1/board", headers=headers).get_json()["alarms"]
    assert after["acknowledged_by"] == "an" and after["acknowledged_at"]
    again = client.post(f"/api/v1/alarms/{raised['id']}/acknowledge", headers=headers)
    assert again.get_json()["acknowledged_at"] == ack.get_json()["acknowledged_at"]
    timeline = client.get(f"/api/v1/incidents/{incident['id']}", headers=headers).get_json()
    acks = [t for t in timeline["timeline"] if t["kind"] == "alarm.acknowledged"]
    assert len(acks) == 1 and "an" in acks[0]["actor"]


def test_standing_alarms_come_most_severe_first(app, client, clock):
    headers = board(app)
    incident_with_unit(app, client, headers)  # a P3 whose unit will stay silent
    new_incident(client, headers, flags=["weapon"], address="Turnhoutsebaan 10, 2140 Borgerhout")
    scan(app, clock.advance(seconds=121))
    kinds = [(a["kind"], a["severity"]) for a in standing(client, headers)]
    assert kinds == [("p1_waiting", "critical"), ("no_ack", "high")]


def test_an_unknown_sender_is_readable_by_a_console_opened_later_and_the_read_is_audited(
    twilio_app, client
):
    headers = board(twilio_app)
    assert sms(client, "help mij aub hij slaat", sender="+32499887766").status_code == 200
    [alarm] = standing(client, headers)
    assert alarm["kind"] == "unknown_sender" and alarm["severity"] == "high"
    # The list says there is a text; number and text come when the dispatcher opens it.
    assert alarm["has_text"] and alarm["text"] is None and alarm["from_number"] is None

    def reads() -> list:
        with twilio_app.app_context():
            found = db.session.execute(
                select(AuditEvent).where(
                    AuditEvent.action == "read", AuditEvent.object_type == "message"
                )
            ).scalars()
            return [e.object_ids for e in found]

    assert reads() == []  # listing it (every console, every reload) reads nothing
    opened = client.get(f"/api/v1/alarms/{alarm['id']}", headers=headers).get_json()
    assert (opened["text"], opened["from_number"]) == ("help mij aub hij slaat", "+32499887766")
    assert reads() == [[alarm["message_id"]]]
    ack = client.post(f"/api/v1/alarms/{alarm['id']}/acknowledge", headers=headers)
    assert ack.status_code == 200
    assert standing(client, headers) == []  # read and acknowledged: nothing else ends it


def test_a_flood_of_texts_is_one_alarm_per_number_and_never_hides_a_units_silence(
    twilio_app, client, clock
):
    headers = board(twilio_app)
    incident_with_unit(twilio_app, client, headers)
    for n in range(3):
        sms(client, f"spam {n}", sid=f"SMspam{n}", sender="+32499000001")
    for n in range(60):
        sms(client, f"spam {n}", sid=f"SMmany{n}", sender=f"+3249910{n:04d}")
    scan(twilio_app, clock.advance(seconds=121))  # the unit did not acknowledge
    listed = standing(client, headers)
    assert "no_ack" in [a["kind"] for a in listed]
    one = [a for a in listed if a["kind"] == "unknown_sender" and a["detail"].get("messages") == 3]
    assert len(one) == 1  # three texts from one phone: one alarm, its latest text
    opened = client.get(f"/api/v1/alarms/{one[0]['id']}", headers=headers).get_json()
    assert opened["text"] == "spam 2"


def test_an_alarm_about_a_restricted_incident_stays_with_those_who_may_see_it(twilio_app, client):
    taker = board(twilio_app)
    chief = board(twilio_app, "chef", "supervisor")
    other = board(twilio_app, "d2", "dispatcher")
    incident, _, _ = incident_with_unit(twilio_app, client, taker)
    restricted = client.post(
        f"/api/v1/incidents/{incident['id']}/restriction",
        json={"reason": "Betrokkene is een politiemedewerker"},
        headers=chief,
    )
    assert restricted.status_code == 200, restricted.get_json()
    sms(client, "dader is gevlucht richting park")
    for headers in (taker, chief):
        [alarm] = standing(client, headers)
        assert (alarm["kind"], alarm["text"]) == ("unit_text", "dader is gevlucht richting park")
        one = client.get(f"/api/v1/alarms/{alarm['id']}", headers=headers).get_json()
        assert one["text"] == "dader is gevlucht richting park"
    # The rest of the board sees the incident's placeholder, not an alarm about it.
    assert standing(client, other) == []
    assert client.get(f"/api/v1/alarms/{alarm['id']}", headers=other).status_code == 404
    refused = client.post(f"/api/v1/alarms/{alarm['id']}/acknowledge", headers=other)
    assert refused.status_code == 404


def test_supervisor_alarms_are_not_a_dispatchers(app, client, clock):
    from dispatch import alarms

    headers, chief = board(app), board(app, "chef", "supervisor")
    with app.app_context():
        alarm = alarms.raise_alarm(
            "handover_overdue", "handover_overdue:1", detail={"organisation": "caw-antwerpen"}
        )
        db.session.commit()
        alarm_id = alarm.id
    assert [a["kind"] for a in standing(client, chief)] == ["handover_overdue"]
    assert standing(client, headers) == []
    assert client.get(f"/api/v1/alarms/{alarm_id}", headers=headers).status_code == 404
    refused = client.post(f"/api/v1/alarms/{alarm_id}/acknowledge", headers=headers)
    assert refused.status_code == 404


def test_alarms_are_for_the_board_only(app, client):
    make_user(app, "sw", "social_worker")
    login(client, "sw")
    assert client.get("/api/v1/alarms").status_code in (403, 404)
    make_user(app, "tel", "dispatcher")
    intake = bearer(make_token(app, "tel", scopes=["intake"]))
    assert client.get("/api/v1/alarms", headers=intake).status_code in (403, 404)


def test_a_p1_its_unit_cleared_is_not_waiting_but_a_released_one_is(app, client, clock):
    headers = board(app)
    incident, unit_id, sent = incident_with_unit(app, client, headers, call_sign="NT-21")
    p1 = new_incident(client, headers, flags=["weapon"], address="Kiel 5, 2020 Antwerpen")
    other = make_unit(app, call_sign="NT-22", phone="+32470000022")
    for unit in (other,):
        response = client.post(
            f"/api/v1/incidents/{p1['id']}/assignments", json={"unit_id": unit}, headers=headers
        )
        assert response.status_code == 201
    cleared = client.post(
        f"/api/v1/units/{other}/status", json={"status": "available"}, headers=headers
    )
    assert cleared.status_code == 200
    scan(app, clock.advance(seconds=120))
    assert [a["kind"] for a in standing(client, headers) if a["kind"] == "p1_waiting"] == []
    # Sent again and then released by a dispatcher: the P1 waits once more.
    again = client.post(
        f"/api/v1/incidents/{p1['id']}/assignments", json={"unit_id": other}, headers=headers
    ).get_json()
    client.post(
        f"/api/v1/assignments/{again['id']}/release",
        json={"reason": "elders nodig"},
        headers=headers,
    )
    scan(app, clock.advance(seconds=61))
    assert [a["reference"] for a in standing(client, headers) if a["kind"] == "p1_waiting"] == [
        p1["reference"]
    ]


def test_an_alarm_raised_in_work_that_rolls_back_is_gone(app):
    from dispatch import alarms

    with app.app_context():
        alarms.raise_alarm("handover_overdue", "handover_overdue:99", detail={})
        db.session.rollback()
        from dispatch.models import Alarm

        assert db.session.execute(select(Alarm)).scalars().all() == []


def test_nood_from_a_units_phone_is_critical_on_every_console_with_its_position(
    twilio_app, client, socket_client
):
    headers = board(twilio_app)
    incident, unit_id, _ = incident_with_unit(twilio_app, client, headers)
    make_user(twilio_app, "d2", "dispatcher")
    second = socket_client(twilio_app, "d2")
    answer = sms(client, "nood nw-9999", sid="SMnood")
    assert "NOOD ontvangen" in answer.get_data(as_text=True)
    [alarm] = [a for a in standing(client, headers) if a["kind"] == "distress"]
    assert (alarm["severity"], alarm["call_sign"], alarm["incident_id"]) == (
        "critical",
        "NT-11",
        incident["id"],
    )
    assert alarm["detail"]["lat"] is not None and alarm["detail"]["lon"] is not None
    assert [a["kind"] for a in received(second, "alarm.raised")] == ["distress"]
    # It stands until a dispatcher acknowledges it.
    client.post(f"/api/v1/units/{unit_id}/status", json={"status": "on_scene"}, headers=headers)
    assert [a["kind"] for a in standing(client, headers)] == ["distress"]
    client.post(f"/api/v1/alarms/{alarm['id']}/acknowledge", headers=headers)
    assert standing(client, headers) == []


def test_help_is_never_swallowed_and_danger_words_alarm_high(twilio_app, client):
    headers = board(twilio_app)
    incident_with_unit(twilio_app, client, headers)
    help_answer = sms(client, "HELP", sid="SMhelp").get_data(as_text=True)
    assert "OK" in help_answer  # the codes go back
    sms(client, "Er ligt een mes op tafel, stuur versterking", sid="SMmes")
    sms(client, "We zijn er bijna", sid="SMplain")
    kinds = sorted((a["kind"], a["severity"]) for a in standing(client, headers))
    assert kinds == [("unit_danger", "high"), ("unit_help", "high"), ("unit_text", "normal")]


def test_sos_is_read_whatever_follows(app):
    from dispatch.replies import parse_reply

    assert parse_reply("SOS mes in huis").code == "distress"
    assert parse_reply("nood!").code == "distress"
    assert parse_reply("Noodzakelijk: bel mij").code is None
