"""Officers in the field by SMS (issue 18): danger before the door, check-ins on scene, welfare
checks that reach the supervisor, and every text in the unit's language."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.db import db
from dispatch import escalation
from dispatch.models import Message, Unit
from tests.dispatch.helpers import PUBLIC, board, incident_with_unit, make_unit
from tests.dispatch.test_webhooks import sms
from tests.triage.helpers import IMMEDIATE_ITEMS, assess, new_incident


@pytest.fixture
def twilio_app(app, monkeypatch):
    monkeypatch.setitem(app.config, "TWILIO_AUTH_TOKEN", "test-twilio-auth-token")
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", PUBLIC)
    return app


def sent(app, kind: str) -> list[str]:
    with app.app_context():
        query = select(Message.body).where(Message.kind == kind).order_by(Message.id)
        return list(db.session.execute(query).scalars())


def assign(client, headers, incident_id: int, unit_id: int) -> dict:
    response = client.post(
        f"/api/v1/incidents/{incident_id}/assignments", json={"unit_id": unit_id}, headers=headers
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def answer(response) -> str:
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    return text.split("<Message>")[1].split("</Message>")[0] if "<Message>" in text else ""


def standing(client, headers) -> list[tuple[str, str]]:
    alarms = client.get("/api/v1/alarms", headers=headers).get_json()["alarms"]
    return [(a["kind"], a["severity"]) for a in alarms]


def test_the_assignment_sms_names_the_danger_in_short_dutch_codes_and_never_a_name(app, client):
    headers = board(app)
    incident = new_incident(
        client,
        headers,
        flags=["weapon", "suspect_present"],
        children_present=True,
        access_notes="Bellen bij Jan Peeters, code 4711, achterdeur",
    )
    assign(client, headers, incident["id"], make_unit(app))
    [body] = sent(app, "assignment")
    assert body.startswith(
        f"NW NT-11: P1 {incident['reference']}. GEVAAR: WAPEN, DADER TER PLAATSE, KINDEREN. "
    )
    for secret in ("Peeters", "Jan", "4711", "achterdeur", "Marie", "glasbreuk"):
        assert secret not in body


def test_a_danger_learnt_from_the_screen_travels_too_but_only_the_configured_flags(
    app, client, monkeypatch
):
    headers = board(app)
    incident = new_incident(client, headers)
    screen = {i: "no" for i in IMMEDIATE_ITEMS} | {
        "intoxicated_aggressive": "yes",
        "weapon": "yes",
        "strangulation": "yes",
    }
    assert assess(client, headers, incident["id"], "immediate-danger", screen).status_code == 201
    monkeypatch.setitem(app.config, "SMS_SAFETY_FLAGS", ("intoxicated_aggressive",))
    assign(client, headers, incident["id"], make_unit(app))
    [body] = sent(app, "assignment")
    assert "GEVAAR: ONDER INVLOED EN AGRESSIEF. " in body
    assert "WAPEN" not in body and "WURG" not in body.upper()  # answers never travel as such


def test_a_call_without_danger_flags_says_no_danger_line(app, client):
    headers = board(app)
    incident_with_unit(app, client, headers)
    [body] = sent(app, "assignment")
    assert "GEVAAR" not in body


def test_an_unknown_safety_flag_in_the_configuration_is_refused_at_start():
    from triage.safety import check_sms_flags

    check_sms_flags(("weapon", "children"))
    with pytest.raises(ValueError, match="wapen"):
        check_sms_flags(("weapon", "wapen"))


def test_terplaatse_or_ok_while_on_scene_is_a_check_in_not_an_error(twilio_app, client):
    headers = board(twilio_app)
    incident, unit_id, _ = incident_with_unit(twilio_app, client, headers)
    sms(client, "TERPLAATSE", sid="SM1")
    text = answer(sms(client, f"TERPLAATSE {incident['reference']}", sid="SM2"))
    assert text == "NT-11: in orde genoteerd."
    assert answer(sms(client, "ok", sid="SM3")) == "NT-11: in orde genoteerd."
    with twilio_app.app_context():
        assert db.session.get(Unit, unit_id).status == "on_scene"
    timeline = client.get(f"/api/v1/incidents/{incident['id']}", headers=headers).get_json()[
        "timeline"
    ]
    assert [e["kind"] for e in timeline].count("unit.check_in") == 2
    assert standing(client, headers) == []  # no refusal, nothing for a dispatcher to read


def test_a_check_in_answers_the_welfare_check_and_the_supervisor_is_not_alarmed(
    twilio_app, client, clock
):
    headers = board(twilio_app)
    incident_with_unit(twilio_app, client, headers)
    sms(client, "TERPLAATSE", sid="SM1")
    with twilio_app.app_context():
        escalation.scan(twilio_app, now=clock.advance(seconds=1801))
    [check] = sent(twilio_app, "welfare")
    assert "binnen 5 min" in check and "Geen antwoord = alarm bij de supervisor" in check
    assert standing(client, headers) == [("welfare_check", "high")]
    clock.advance(seconds=120)
    sms(client, "OK", sid="SM2")  # the check-in, within the grace
    assert standing(client, headers) == []
    with twilio_app.app_context():
        escalation.scan(twilio_app, now=clock.advance(seconds=200))
        escalation.scan(twilio_app, now=clock.advance(seconds=1500))  # the timer started again
    assert standing(client, headers) == []
    assert len(sent(twilio_app, "welfare")) == 1


def test_a_refused_code_is_still_a_sign_of_life_that_answers_the_welfare_check(
    twilio_app, client, clock
):
    """ONDERWEG from a unit on scene cannot move it back, but it is the unit speaking: the
    welfare check ends and its timer starts again, and the unit is told why nothing moved."""
    headers = board(twilio_app)
    incident_with_unit(twilio_app, client, headers)
    sms(client, "TERPLAATSE", sid="SM1")
    with twilio_app.app_context():
        escalation.scan(twilio_app, now=clock.advance(seconds=1801))
    assert standing(client, headers) == [("welfare_check", "high")]
    clock.advance(seconds=120)
    refusal = answer(sms(client, "ONDERWEG", sid="SM2"))
    assert refusal and "ter plaatse" in refusal.lower()
    kinds = [kind for kind, _ in standing(client, headers)]
    assert "welfare_check" not in kinds  # the unit spoke: not silent any more
    with twilio_app.app_context():
        escalation.scan(twilio_app, now=clock.advance(seconds=1700))  # < 1800 s since it spoke
    assert len(sent(twilio_app, "welfare")) == 1


def test_a_unit_gets_its_texts_in_its_own_language(twilio_app, client):
    headers = board(twilio_app)
    unit_id = make_unit(twilio_app, call_sign="NT-31", phone="+32470000031")
    with twilio_app.app_context():
        db.session.get(Unit, unit_id).sms_language = "fr"
        db.session.commit()
    incident = new_incident(client, headers, flags=["weapon"])
    assign(client, headers, incident["id"], unit_id)
    [body] = sent(twilio_app, "assignment")
    assert "DANGER: ARME. " in body and "Repondez OK=recu" in body
    reply = answer(sms(client, "ok", sid="SMfr1", sender="+32470000031"))
    assert reply == "NT-31: reception confirmee."
    assert "Codes Nachtwacht" in answer(sms(client, "HELP", sid="SMfr2", sender="+32470000031"))


def test_every_answer_to_a_dutch_unit_is_dutch(twilio_app, client):
    headers = board(twilio_app)
    incident_with_unit(twilio_app, client, headers)
    answers = [
        answer(sms(client, text, sid=f"SMnl{n}"))
        for n, text in enumerate(["ok", "onderweg", "VRIJ", "TERPLAATSE", "we zijn er", "HELP"])
    ]
    assert answers[:3] == [
        "NT-11: ontvangst bevestigd.",
        "NT-11: onderweg genoteerd.",
        "NT-11: vrij genoteerd.",
    ]
    assert answers[3].startswith("NT-11: van vrij kan niet naar ter plaatse.")
    assert answers[4] == "NT-11: bericht doorgegeven aan de dispatcher."
    assert answers[5].startswith("Nachtwacht-codes: OK=ontvangen")
    for text in answers:
        for english in ("acknowledged", "received", "noted", "Reply", "cannot"):
            assert english not in text


def test_a_danger_learnt_after_the_unit_was_sent_is_texted_once(app, client):
    headers = board(app)
    incident, _, _ = incident_with_unit(app, client, headers)
    path = f"/api/v1/incidents/{incident['id']}"
    assert client.patch(path, json={"flags": ["weapon"]}, headers=headers).status_code == 200
    assert client.patch(path, json={"flags": ["weapon"]}, headers=headers).status_code == 200
    assert client.patch(path, json={"children_present": True}, headers=headers).status_code == 200
    assert sent(app, "danger") == [
        f"NW NT-11: {incident['reference']} NIEUW GEVAAR: WAPEN.",
        f"NW NT-11: {incident['reference']} NIEUW GEVAAR: KINDEREN.",
    ]
    timeline = client.get(path, headers=headers).get_json()["timeline"]
    assert [e["kind"] for e in timeline].count("sms.danger") == 2
