"""Recommendations, assignment (one winner under concurrency), release, re-assign, SMS content."""

from __future__ import annotations

import datetime as dt
import re
import threading
from zoneinfo import ZoneInfo

from sqlalchemy import select

from core.db import db
from dispatch.models import Assignment, Message, UnitStatus
from tests.dispatch.helpers import board, incident_with_unit, make_unit, unit_status
from tests.triage.helpers import new_incident


def test_recommendations_rank_by_travel_time_skills_and_language(app, client):
    headers = board(app)
    incident = new_incident(
        client,
        headers,
        requested_skills=["female_officer"],
        persons=[{"role": "victim", "name": "Amina", "language": "ar"}],
    )
    near_no_skill = make_unit(app, "NT-01", "+32470000001", 51.2195, 4.4282)
    far_with_skill = make_unit(
        app, "NT-02", "+32470000002", 51.2700, 4.4300, skills=["female_officer"]
    )
    mid_with_skill_arabic = make_unit(
        app,
        "NT-03",
        "+32470000003",
        51.2400,
        4.4300,
        skills=["female_officer"],
        languages=["nl", "ar"],
    )
    make_unit(app, "NT-04", "+32470000004", 51.2196, 4.4281, status=UnitStatus.ON_SCENE)
    make_unit(app, "NT-05", "+32470000005", 51.2196, 4.4281, shift=("01:00", "01:01"))
    body = client.get(
        f"/api/v1/incidents/{incident['id']}/recommendations", headers=headers
    ).get_json()
    assert [r["unit_id"] for r in body["items"]] == [
        mid_with_skill_arabic,
        far_with_skill,
        near_no_skill,
    ]
    first, last = body["items"][0], body["items"][-1]
    assert first["matched"] == ["female_officer"] and first["language_match"] is True
    assert last["missing"] == ["female_officer"]
    assert last["distance_m"] < first["distance_m"] and first["eta_s"] > 0
    assert body["language"] == "ar" and all(r["reasons"] for r in body["items"])


def test_assignment_moves_unit_and_incident_and_writes_a_minimal_sms(app, client):
    headers = board(app)
    incident, unit_id, assignment = incident_with_unit(app, client, headers)
    assert assignment["status"] == "active" and unit_status(app, unit_id) == "assigned"
    detail = client.get(f"/api/v1/incidents/{incident['id']}", headers=headers).get_json()
    assert detail["status"] == "dispatched"
    thread = client.get(f"/api/v1/incidents/{incident['id']}/messages", headers=headers).get_json()[
        "items"
    ]
    assert (
        len(thread) == 1 and thread[0]["status"] == "pending" and thread[0]["to"] == "+32470000011"
    )
    sms = thread[0]["body"]
    assert (
        incident["reference"] in sms and "P3" in sms and "Carnotstraat 12" in sms and "NT-11" in sms
    )
    assert "Marie" not in sms and "geroep" not in sms and "470 12 34" not in sms


def test_unavailable_unit_is_409(app, client):
    headers = board(app)
    incident = new_incident(client, headers)
    busy = make_unit(app, status=UnitStatus.EN_ROUTE)
    response = client.post(
        f"/api/v1/incidents/{incident['id']}/assignments", json={"unit_id": busy}, headers=headers
    )
    assert response.status_code == 409 and "onderweg" in response.get_json()["message"]
    with app.app_context():
        assert db.session.execute(select(Message)).first() is None


def test_unit_outside_its_shift_is_refused(app, client, clock):
    bxl = ZoneInfo("Europe/Brussels")
    clock.set(dt.datetime(2027, 3, 28, 3, 1, tzinfo=bxl))  # the shift ended a moment ago
    headers = board(app)
    incident = new_incident(client, headers)
    sleeping = make_unit(app, shift=("03:00", "03:01"))
    path = f"/api/v1/incidents/{incident['id']}/assignments"
    response = client.post(path, json={"unit_id": sleeping}, headers=headers)
    assert response.status_code == 409 and "buiten zijn dienst" in response.get_json()["message"]
    clock.set(dt.datetime(2027, 3, 28, 3, 0, 30, tzinfo=bxl))  # within it
    assert client.post(path, json={"unit_id": sleeping}, headers=headers).status_code == 201


def test_eight_simultaneous_assignments_give_one_201_and_seven_409(app):
    headers = board(app)
    client = app.test_client()
    incidents = [
        new_incident(client, headers, address=f"Meir {n}, 2000 Antwerpen") for n in range(8)
    ]
    unit_id = make_unit(app)
    barrier, statuses = threading.Barrier(8), []

    def assign(incident_id: int) -> None:
        barrier.wait()
        response = app.test_client().post(
            f"/api/v1/incidents/{incident_id}/assignments",
            json={"unit_id": unit_id},
            headers=headers,
        )
        statuses.append(response.status_code)

    threads = [threading.Thread(target=assign, args=(i["id"],)) for i in incidents]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [201] + [409] * 7
    with app.app_context():
        assert len(db.session.execute(select(Assignment)).scalars().all()) == 1
        assert len(db.session.execute(select(Message)).scalars().all()) == 1


def test_second_unit_release_and_reassign_are_on_the_timeline(app, client):
    headers = board(app)
    incident, first_unit, first = incident_with_unit(app, client, headers)
    second_unit = make_unit(app, "NT-12", "+32470000012")
    path = f"/api/v1/incidents/{incident['id']}/assignments"
    second = client.post(path, json={"unit_id": second_unit}, headers=headers).get_json()
    third_unit = make_unit(app, "NT-13", "+32470000013")
    swapped = client.post(
        path, json={"unit_id": third_unit, "replaces": second["id"]}, headers=headers
    )
    assert swapped.status_code == 201
    assert (
        unit_status(app, second_unit) == "available" and unit_status(app, third_unit) == "assigned"
    )
    released = client.post(
        f"/api/v1/assignments/{first['id']}/release",
        json={"reason": "niet meer nodig"},
        headers=headers,
    )
    assert released.status_code == 200 and released.get_json()["status"] == "released"
    again = client.post(
        f"/api/v1/assignments/{first['id']}/release", json={"reason": "nog eens"}, headers=headers
    )
    assert again.status_code == 409
    listing = client.get(path, headers=headers).get_json()["items"]
    assert [(a["call_sign"], a["status"]) for a in listing] == [
        ("NT-11", "released"),
        ("NT-12", "released"),
        ("NT-13", "active"),
    ]
    kinds = [
        e["kind"]
        for e in client.get(f"/api/v1/incidents/{incident['id']}", headers=headers).get_json()[
            "timeline"
        ]
    ]
    assert kinds.count("assignment.created") == 3 and kinds.count("assignment.released") == 2
    thread = client.get(f"/api/v1/incidents/{incident['id']}/messages", headers=headers).get_json()[
        "items"
    ]
    assert [m["kind"] for m in thread].count("release") == 2


def test_demo_seed_sms_never_carry_names_answers_or_narrative(app, client, runner):
    runner.invoke(args=["demo", "seed"])
    headers = board(app, "tester")
    secrets = {
        "name": "Fatima Benali",
        "narrative": "Hij dreigde haar te wurgen",
        "phone": "0499 12 34 99",
    }
    with app.app_context():
        from dispatch.models import Unit

        units = db.session.execute(select(Unit.id)).scalars().all()
    for n, unit_id in enumerate(units):
        incident = new_incident(
            client,
            headers,
            address=f"Turnhoutsebaan {n + 1}, 2140 Antwerpen",
            narrative=secrets["narrative"],
            caller_phone=secrets["phone"],
            persons=[{"role": "victim", "name": secrets["name"], "phone": secrets["phone"]}],
        )
        response = client.post(
            f"/api/v1/incidents/{incident['id']}/assignments",
            json={"unit_id": unit_id},
            headers=headers,
        )
        assert response.status_code == 201
    with app.app_context():
        bodies = [m.body for m in db.session.execute(select(Message)).scalars()]
    assert len(bodies) == len(units) >= 8
    for body in bodies:
        assert re.search(r"NW-\d{4}-\d{6}", body) and len(body) <= 320
        assert "Fatima" not in body and "Benali" not in body and "wurgen" not in body
        assert "0499" not in body and "12 34 99" not in body


def test_a_dispatcher_texts_the_unit_on_an_incident_and_it_is_on_the_timeline(app, client):
    headers = board(app)
    incident, unit_id, _ = incident_with_unit(app, client, headers)
    sent = client.post(
        f"/api/v1/units/{unit_id}/messages",
        json={"text": "Bel de meldkamer", "incident_id": incident["id"]},
        headers=headers,
    )
    assert sent.status_code == 201, sent.get_json()
    assert sent.get_json()["body"] == "NW NT-11: Bel de meldkamer"
    thread = client.get(f"/api/v1/incidents/{incident['id']}/messages", headers=headers).get_json()
    assert [m["kind"] for m in thread["items"]] == ["assignment", "free_text"]
    detail = client.get(f"/api/v1/incidents/{incident['id']}", headers=headers).get_json()
    [line] = [e for e in detail["timeline"] if e["kind"] == "sms.sent"]
    assert line["detail"] == "Bel de meldkamer"
    other = new_incident(client, headers, address="Kiel 5, 2020 Antwerpen")
    elsewhere = client.post(
        f"/api/v1/units/{unit_id}/messages",
        json={"text": "Ga naar Kiel", "incident_id": other["id"]},
        headers=headers,
    )
    assert elsewhere.status_code == 409 and "unit_id" in elsewhere.get_json()["fields"]
    too_long = client.post(
        f"/api/v1/units/{unit_id}/messages", json={"text": "x" * 301}, headers=headers
    )
    assert too_long.status_code == 422 and "text" in too_long.get_json()["fields"]
    blank = client.post(f"/api/v1/units/{unit_id}/messages", json={"text": "   "}, headers=headers)
    assert blank.status_code == 422 and "text" in blank.get_json()["fields"]


def test_a_status_set_by_hand_keeps_its_reason_on_the_timeline(app, client):
    headers = board(app)
    incident, unit_id, _ = incident_with_unit(app, client, headers)
    moved = client.post(
        f"/api/v1/units/{unit_id}/status",
        json={"status": "en_route", "reason": "Per radio gemeld"},
        headers=headers,
    )
    assert moved.status_code == 200
    detail = client.get(f"/api/v1/incidents/{incident['id']}", headers=headers).get_json()
    [line] = [e for e in detail["timeline"] if e["kind"] == "unit.status_reason"]
    assert line["detail"] == "Per radio gemeld"
