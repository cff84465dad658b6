"""Intake over the API: location, idempotency under retries, corrections, repeat victimisation."""

from __future__ import annotations

import re
import threading

import pytest
from sqlalchemy import func, select

from core.db import db
from tests.conftest import bearer, make_token, make_user
from tests.triage.helpers import CALL, new_incident
from triage.models import Incident


@pytest.fixture
def headers(app):
    make_user(app, "an", "dispatcher")
    return bearer(make_token(app, "an"))


def count_incidents(app) -> int:
    with app.app_context():
        return db.session.execute(select(func.count(Incident.id))).scalar_one()


def test_intake_with_an_address_is_geocoded_and_referenced(client, headers):
    incident = new_incident(client, headers)
    assert re.fullmatch(r"NW-\d{4}-\d{6}", incident["reference"])
    assert incident["status"] == "new" and incident["priority"] == "P3"
    assert incident["location_quality"] == "street" and incident["postcode"] == "2060"
    assert 51.1 < incident["lat"] < 51.4 and 4.2 < incident["lon"] < 4.6
    assert incident["persons"][0]["name"] == "Marie Peeters"


def test_intake_with_phone_coordinates_is_exact(client, headers):
    incident = new_incident(client, headers, address=None, lat=51.2085, lon=4.4313)
    assert incident["location_quality"] == "exact"
    assert (incident["lat"], incident["lon"]) == (51.2085, 4.4313)
    assert incident["district"] is not None


def test_immediate_danger_flag_makes_p1_and_unknown_flags_are_refused(client, headers):
    assert new_incident(client, headers, flags=["weapon"])["priority"] == "P1"
    bad = client.post(
        "/api/v1/incidents", json={**CALL, "flags": ["escalation_pattern", "x_y"]}, headers=headers
    )
    assert bad.status_code == 422 and "flags" in bad.get_json()["fields"]


def test_geocoding_failure_never_blocks_intake(app, client, headers, monkeypatch):
    coder = app.extensions["nachtwacht.geocoder"]

    def broken(address):
        raise TimeoutError("geocoder down")

    monkeypatch.setattr(coder, "geocode", broken)
    incident = new_incident(client, headers, address="Ergens 5, Nergenshuizen")
    assert incident["location_quality"] == "unverified" and incident["lat"] is None
    fixed = client.patch(
        f"/api/v1/incidents/{incident['id']}", json={"lat": 51.2, "lon": 4.41}, headers=headers
    )
    assert fixed.status_code == 200
    assert fixed.get_json()["location_quality"] == "exact" and fixed.get_json()["lat"] == 51.2
    timeline = client.get(f"/api/v1/incidents/{incident['id']}", headers=headers).get_json()[
        "timeline"
    ]
    assert timeline[-1]["kind"] == "incident.corrected" and timeline[-1]["data"]["fields"] == [
        "location"
    ]
    assert timeline[-1]["actor"].startswith("an")


def test_same_key_same_body_returns_the_same_incident(app, client, headers):
    first = client.post(
        "/api/v1/incidents", json=CALL, headers={**headers, "Idempotency-Key": "tel-1"}
    )
    again = client.post(
        "/api/v1/incidents", json=CALL, headers={**headers, "Idempotency-Key": "tel-1"}
    )
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.get_json()["id"] == again.get_json()["id"]
    other = client.post(
        "/api/v1/incidents",
        json={**CALL, "narrative": "iets anders"},
        headers={**headers, "Idempotency-Key": "tel-1"},
    )
    assert other.status_code == 409 and other.get_json()["error"] == "idempotency_conflict"
    assert count_incidents(app) == 1


def test_concurrent_retries_with_one_key_make_one_incident(app, headers):
    results: list[tuple[int, int]] = []

    def send():
        response = app.test_client().post(
            "/api/v1/incidents", json=CALL, headers={**headers, "Idempotency-Key": "tel-concurrent"}
        )
        results.append((response.status_code, response.get_json().get("id")))

    threads = [threading.Thread(target=send) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(s for s, _ in results) == [200] * 7 + [201]
    assert len({i for _, i in results}) == 1
    assert count_incidents(app) == 1


def test_third_incident_at_an_address_sets_the_escalation_pattern(client, headers):
    first = new_incident(client, headers)
    second = new_incident(
        client, headers, address="carnotstraat 12 2060 antwerpen", caller_phone=None
    )
    assert "escalation_pattern" not in second["flags"]
    third = new_incident(
        client, headers, address="Carnotstr. 12, 2060 Antwerpen", caller_phone="+32470123456"
    )
    assert "escalation_pattern" in third["flags"] and third["priority"] == "P2"
    detail = client.get(f"/api/v1/incidents/{third['id']}", headers=headers).get_json()
    prior = {p["id"]: p["matched_on"] for p in detail["prior_incidents"]}
    assert prior == {first["id"]: ["address", "caller_phone"], second["id"]: ["address"]}
    elsewhere = new_incident(
        client, headers, address="Meir 1, 2000 Antwerpen", caller_phone="0499 99 99 99"
    )
    assert "escalation_pattern" not in elsewhere["flags"]


def test_list_filters_and_orders_by_priority_then_age(client, headers):
    low = new_incident(client, headers)
    high = new_incident(
        client, headers, flags=["weapon"], address="Meir 1, 2000 Antwerpen", caller_phone=None
    )
    listing = client.get("/api/v1/incidents", headers=headers).get_json()
    assert [i["id"] for i in listing["items"]] == [high["id"], low["id"]]
    assert "narrative" not in listing["items"][0] and "caller_phone" not in listing["items"][0]
    only_p1 = client.get("/api/v1/incidents?priority=P1", headers=headers).get_json()
    assert [i["id"] for i in only_p1["items"]] == [high["id"]]
    future = client.get("/api/v1/incidents?since=2999-01-01T00:00:00Z", headers=headers).get_json()
    assert future["items"] == [] and future["page"]["total"] == 0
    assert client.get("/api/v1/incidents?status=nonsense", headers=headers).status_code == 422


def test_corrections_are_on_the_timeline_with_who(client, headers):
    incident = new_incident(client, headers)
    changed = client.patch(
        f"/api/v1/incidents/{incident['id']}",
        json={"narrative": "Verdachte is vertrokken.", "children_present": True},
        headers=headers,
    )
    assert changed.status_code == 200 and changed.get_json()["children_present"] is True
    timeline = client.get(f"/api/v1/incidents/{incident['id']}", headers=headers).get_json()[
        "timeline"
    ]
    assert [e["kind"] for e in timeline] == ["incident.created", "incident.corrected"]
    assert set(timeline[1]["data"]["fields"]) == {"narrative", "children_present"}
    assert "Verdachte" not in str(timeline)


def test_bad_intake_bodies_name_the_field(client, headers):
    cases = [
        ({**CALL, "lat": 51.2}, "body"),
        ({**CALL, "persons": [{"role": "victim", "age": 300}]}, "persons.0.age"),
        ({**CALL, "persons": [{"role": "boss"}]}, "persons.0.role"),
        ({**CALL, "caller_phone": "call me"}, "caller_phone"),
        ({**CALL, "narrative": "x" * 20_000}, "narrative"),
    ]
    for body, field in cases:
        response = client.post("/api/v1/incidents", json=body, headers=headers)
        assert response.status_code == 422, body
        assert field in response.get_json()["fields"], response.get_json()


def test_integration_token_with_intake_scope_may_create(app, client):
    make_user(app, "telefonie", "dispatcher")
    scoped = bearer(make_token(app, "telefonie", scopes=["intake"]))
    assert client.post("/api/v1/incidents", json=CALL, headers=scoped).status_code == 201
    assert client.get("/api/v1/units", headers=scoped).status_code == 403


def test_reading_an_incident_is_audited(app, client, headers):
    from core.audit import AuditEvent

    incident = new_incident(client, headers)
    client.get(f"/api/v1/incidents/{incident['id']}", headers=headers)
    with app.app_context():
        views = (
            db.session.execute(
                select(AuditEvent).where(
                    AuditEvent.action == "view", AuditEvent.object_id == incident["id"]
                )
            )
            .scalars()
            .all()
        )
        assert [(v.username, v.object_type, v.token_name) for v in views] == [
            ("an", "incident", "an-test")
        ]


def test_an_exercise_is_marked_as_such_in_the_queue(client, headers):
    drill = client.post(
        "/api/v1/incidents",
        json={"address": "Meir 1, 2000 Antwerpen", "exercise": True},
        headers=headers,
    ).get_json()
    real = client.post(
        "/api/v1/incidents", json={"address": "Meir 2, 2000 Antwerpen"}, headers=headers
    ).get_json()
    assert drill["exercise"] is True and real["exercise"] is False
    queue = {
        i["id"]: i["exercise"]
        for i in client.get("/api/v1/incidents", headers=headers).get_json()["items"]
    }
    assert queue == {drill["id"]: True, real["id"]: False}
