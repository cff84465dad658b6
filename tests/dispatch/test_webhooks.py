"""Signed Twilio webhooks: replies move units, duplicates apply once, unsigned is refused."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy import text as sql

from core.db import db
from dispatch.models import Message, MessageStatus
from tests.dispatch.helpers import (
    AUTH_TOKEN,
    PUBLIC,
    board,
    incident_with_unit,
    signed_post,
    unit_status,
)


@pytest.fixture
def twilio_app(app, monkeypatch):
    monkeypatch.setitem(app.config, "TWILIO_AUTH_TOKEN", AUTH_TOKEN)
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", PUBLIC)
    return app


def sms(client, body: str, sid: str = "SM0001", sender: str = "+32470000011"):
    return signed_post(
        client,
        "/webhooks/twilio/sms",
        {"MessageSid": sid, "From": sender, "To": "+3230000000", "Body": body},
    )


def test_signed_ack_moves_the_unit_and_confirms(twilio_app, client):
    headers = board(twilio_app)
    incident, unit_id, _ = incident_with_unit(twilio_app, client, headers)
    response = sms(client, "ok")
    assert response.status_code == 200 and response.mimetype == "application/xml"
    assert "<Message>" in response.get_data(as_text=True)
    assert unit_status(twilio_app, unit_id) == "acknowledged"
    detail = client.get(f"/api/v1/incidents/{incident['id']}", headers=headers).get_json()
    received = [e for e in detail["timeline"] if e["kind"] == "sms.received"]
    assert (
        received[0]["detail"] == "ok"
        and received[0]["actor"] == "unit NT-11"
        and received[0]["source"] == "sms"
    )
    thread = client.get(f"/api/v1/incidents/{incident['id']}/messages", headers=headers).get_json()[
        "items"
    ]
    assert [m["direction"] for m in thread] == ["out", "in"] and thread[1]["from"] == "+32470000011"


def test_replies_walk_the_unit_through_the_night(twilio_app, client):
    headers = board(twilio_app)
    incident, unit_id, _ = incident_with_unit(twilio_app, client, headers)
    for n, (text, status) in enumerate(
        [
            ("ONDERWEG", "en_route"),
            (f"terplaatse {incident['reference']}", "on_scene"),
            ("Vrij", "available"),
        ]
    ):
        sms(client, text, sid=f"SM{n}")
        assert unit_status(twilio_app, unit_id) == status
    assert (
        client.get(f"/api/v1/incidents/{incident['id']}", headers=headers).get_json()["status"]
        == "cleared"
    )


def test_unsigned_or_wrongly_signed_requests_change_nothing(twilio_app, client):
    headers = board(twilio_app)
    _, unit_id, _ = incident_with_unit(twilio_app, client, headers)
    params = {"MessageSid": "SM9", "From": "+32470000011", "Body": "OK"}
    assert client.post("/webhooks/twilio/sms", data=params).status_code == 403
    forged = signed_post(client, "/webhooks/twilio/sms", params, token="someone-elses-token")
    assert forged.status_code == 403
    tampered = signed_post(client, "/webhooks/twilio/sms", {**params, "Body": "HELP"})
    assert tampered.status_code == 200  # correctly signed is fine (HELP changes nothing) …
    sig = tampered.request.headers["X-Twilio-Signature"]
    replay = client.post(
        "/webhooks/twilio/sms",
        data={**params, "MessageSid": "SM10", "Body": "OK"},
        headers={"X-Twilio-Signature": sig},
    )
    assert replay.status_code == 403  # … but a signature does not carry over to other content
    assert unit_status(twilio_app, unit_id) == "assigned"


def test_webhooks_refuse_everything_without_an_auth_token(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "TWILIO_AUTH_TOKEN", None)
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", PUBLIC)
    assert sms(client, "OK").status_code == 403
    status = signed_post(
        client, "/webhooks/twilio/status", {"MessageSid": "SM1", "MessageStatus": "delivered"}
    )
    assert status.status_code == 403


def test_the_same_message_sid_is_applied_once(twilio_app, client):
    headers = board(twilio_app)
    incident, unit_id, _ = incident_with_unit(twilio_app, client, headers)
    first, second = sms(client, "OK", sid="SMdup"), sms(client, "OK", sid="SMdup")
    assert first.status_code == second.status_code == 200
    assert "<Message>" not in second.get_data(as_text=True)
    with twilio_app.app_context():
        assert (
            db.session.execute(
                select(func.count(Message.id)).where(Message.direction == "in")
            ).scalar_one()
            == 1
        )
    timeline = client.get(f"/api/v1/incidents/{incident['id']}", headers=headers).get_json()[
        "timeline"
    ]
    assert [e["kind"] for e in timeline].count("sms.received") == 1


def test_unknown_sender_gets_a_polite_reply_and_nothing_moves(twilio_app, client):
    headers = board(twilio_app)
    _, unit_id, _ = incident_with_unit(twilio_app, client, headers)
    response = sms(client, "OK", sender="+32499000000")
    assert response.status_code == 200 and "<Message>" in response.get_data(as_text=True)
    assert unit_status(twilio_app, unit_id) == "assigned"


def test_an_unknown_senders_number_and_text_are_encrypted_and_expire(
    twilio_app, client, runner, clock
):
    # Whoever texts the night team's number may be a victim: their number is case data.
    sms(client, "Help mij, hij is terug", sid="SM-STRAY", sender="+32499123456")
    with twilio_app.app_context():
        raw = db.session.execute(
            sql("SELECT from_number, body FROM message WHERE provider_sid = 'SM-STRAY'")
        ).one()
        assert "32499123456" not in raw.from_number and "terug" not in raw.body
        stored = db.session.execute(
            select(Message).where(Message.provider_sid == "SM-STRAY")
        ).scalar_one()
        assert stored.from_number == "+32499123456"
    days = twilio_app.config["RETENTION_DAYS"]
    later = (clock.now() + dt.timedelta(days=days + 1)).date().isoformat()
    result = runner.invoke(args=["retention", "run", "--as-of", later])
    assert "anonymised stray_sms: 1" in result.output
    with twilio_app.app_context():
        stored = db.session.execute(
            select(Message).where(Message.provider_sid == "SM-STRAY")
        ).scalar_one()
        assert (stored.from_number, stored.body) == (None, "")
    again = runner.invoke(args=["retention", "run", "--as-of", later])
    assert "anonymised stray_sms: 0" in again.output


def test_unparseable_text_is_kept_for_the_dispatcher_and_help_lists_codes(twilio_app, client):
    headers = board(twilio_app)
    incident, unit_id, _ = incident_with_unit(twilio_app, client, headers)
    sms(client, "Buurman zegt dat hij weg is", sid="SMx")
    assert unit_status(twilio_app, unit_id) == "assigned"
    timeline = client.get(f"/api/v1/incidents/{incident['id']}", headers=headers).get_json()[
        "timeline"
    ]
    assert any(
        e["kind"] == "sms.unparsed" and e["detail"] == "Buurman zegt dat hij weg is"
        for e in timeline
    )
    help_text = sms(client, "help", sid="SMh").get_data(as_text=True)
    assert "ONDERWEG" in help_text and "TERPLAATSE" in help_text


def test_status_callback_updates_and_never_goes_backwards(twilio_app, client):
    headers = board(twilio_app)
    incident, _, _ = incident_with_unit(twilio_app, client, headers)
    with twilio_app.app_context():
        message = db.session.execute(select(Message)).scalar_one()
        message.provider_sid, message.status = "SMout1", MessageStatus.QUEUED
        db.session.commit()
    for status in ("sent", "delivered", "sent"):
        response = signed_post(
            client, "/webhooks/twilio/status", {"MessageSid": "SMout1", "MessageStatus": status}
        )
        assert response.status_code == 204
    thread = client.get(f"/api/v1/incidents/{incident['id']}/messages", headers=headers).get_json()[
        "items"
    ]
    assert thread[0]["status"] == "delivered"
    unsigned = client.post(
        "/webhooks/twilio/status", data={"MessageSid": "SMout1", "MessageStatus": "failed"}
    )
    assert unsigned.status_code == 403
