"""Children, motives and the victim's own fear: structured, validated, encrypted, on the timeline
without their content, and what a crew is told."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from core.db import db
from tests.conftest import bearer, make_token, make_user
from tests.triage.helpers import CALL, DASH_ITEMS, IMMEDIATE_ITEMS, answers, assess, new_incident
from triage import safety
from triage.models import Assessment, Incident

NL = {"Accept-Language": "nl"}
CHILDREN = {"count": 2, "ages": [4, 7], "present": True, "at_risk": True}


@pytest.fixture
def headers(app):
    make_user(app, "an", "dispatcher")
    return {**bearer(make_token(app, "an")), **NL}


def count(app, model) -> int:
    with app.app_context():
        return db.session.execute(select(func.count(model.id))).scalar_one()


def timeline(client, headers, incident_id: int) -> list[dict]:
    return client.get(f"/api/v1/incidents/{incident_id}", headers=headers).get_json()["timeline"]


def test_children_and_motives_are_stored_encrypted_and_read_back(app, client, headers):
    created = new_incident(
        client, headers, children=CHILDREN, motives=["sexual_violence", "racism_discrimination"]
    )
    assert created["children"] == CHILDREN
    # in the list's order (triage.scoring.MOTIVES), whatever order they were sent in
    assert created["motives"] == ["racism_discrimination", "sexual_violence"]
    read = client.get(f"/api/v1/incidents/{created['id']}", headers=headers).get_json()
    assert (read["children"], read["motives"]) == (CHILDREN, created["motives"])
    with app.app_context():
        raw = db.session.execute(
            text("SELECT children, motives FROM incident WHERE id = :id"), {"id": created["id"]}
        ).one()
    for value in raw:
        assert value.startswith("gAAAAA")  # a Fernet token, nothing readable
    assert "racism" not in "".join(raw) and "sexual" not in "".join(raw)
    assert "at_risk" not in raw[0] and "[4, 7]" not in raw[0]


def test_an_unknown_motive_is_refused_in_dutch_and_nothing_is_stored(app, client, headers):
    before = count(app, Incident)
    response = client.post(
        "/api/v1/incidents", json={**CALL, "motives": ["racism_discrimination", "rascism"]},
        headers=headers,
    )  # fmt: skip
    assert response.status_code == 422
    body = response.get_json()
    assert body["message"] == "Sommige velden zijn niet geldig."
    assert body["fields"]["motives"].startswith("Onbekend motief: rascism;")
    assert "racism_discrimination" in body["fields"]["motives"]  # the known codes are listed
    assert count(app, Incident) == before


@pytest.mark.parametrize(
    "children,field",
    [
        ({"count": 1, "ages": [4, 7]}, "children"),
        ({"count": 2, "ages": [4, 18]}, "children.ages.1"),
        ({"count": 21}, "children.count"),
    ],
)
def test_children_that_do_not_add_up_are_refused(app, client, headers, children, field):
    before = count(app, Incident)
    response = client.post(
        "/api/v1/incidents", json={**CALL, "children": children}, headers=headers
    )
    assert response.status_code == 422 and field in response.get_json()["fields"]
    assert count(app, Incident) == before


def test_more_ages_than_children_is_said_in_dutch(client, headers):
    bad = {**CALL, "children": {"count": 1, "ages": [4, 7]}}
    response = client.post("/api/v1/incidents", json=bad, headers=headers)
    assert response.get_json()["fields"]["children"] == "meer leeftijden dan kinderen"


def test_children_present_is_a_safety_flag_for_the_crew(app, client, headers):
    present = new_incident(client, headers, children={"count": 1, "present": True})
    absent = new_incident(client, headers, children={"count": 1, "present": False})
    assert (present["children_present"], absent["children_present"]) == (True, False)
    with app.app_context():
        assert safety.CHILDREN in safety.safety_of(db.session.get(Incident, present["id"])).flags
        assert safety.CHILDREN not in safety.safety_of(db.session.get(Incident, absent["id"])).flags


def test_a_correction_names_the_fields_never_the_motives_or_children(client, headers):
    incident = new_incident(client, headers, motives=["anti_lgbt"])
    url = f"/api/v1/incidents/{incident['id']}"
    body = {"motives": ["anti_lgbt", "religion"], "children": {"count": 3, "present": True}}
    response = client.patch(url, json=body, headers=headers)
    assert response.status_code == 200
    assert response.get_json()["motives"] == ["anti_lgbt", "religion"]
    assert response.get_json()["children"]["count"] == 3
    assert response.get_json()["children_present"] is True
    last = timeline(client, headers, incident["id"])[-1]
    assert last["kind"] == "incident.corrected"
    assert set(last["data"]["fields"]) == {"motives", "children", "children_present"}
    assert "religion" not in str(last) and "lgbt" not in str(last)


def test_a_correction_with_a_typo_motive_changes_nothing(client, headers):
    incident = new_incident(client, headers, motives=["anti_lgbt"])
    url = f"/api/v1/incidents/{incident['id']}"
    response = client.patch(url, json={"motives": ["religon"]}, headers=headers)
    assert response.status_code == 422 and "motives" in response.get_json()["fields"]
    assert client.get(url, headers=headers).get_json()["motives"] == ["anti_lgbt"]


def test_a_screen_with_a_typo_motive_is_refused_and_not_stored(app, client, headers):
    incident = new_incident(client, headers)
    before = count(app, Assessment)
    response = assess(
        client, headers, incident["id"], "dash", answers(DASH_ITEMS, 2), motives=["anti_lbgt"]
    )
    assert response.status_code == 422
    assert response.get_json()["fields"]["motives"].startswith("Onbekend motief: anti_lbgt;")
    assert count(app, Assessment) == before


def test_a_screens_motives_join_the_incidents(client, headers):
    incident = new_incident(client, headers, motives=["religion"])
    response = assess(
        client, headers, incident["id"], "dash", answers(DASH_ITEMS, 2), motives=["anti_lgbt"]
    )
    assert response.status_code == 201
    codes = [r["code"] for r in response.get_json()["recommendations"]]
    assert "offer_psychosocial_support" in codes  # from the incident's and the screen's motives
    read = client.get(f"/api/v1/incidents/{incident['id']}", headers=headers).get_json()
    assert read["motives"] == ["anti_lgbt", "religion"]
    last = [e for e in read["timeline"] if e["kind"] == "incident.corrected"][-1]
    assert last["data"]["fields"] == ["motives"] and "lgbt" not in str(last)


def test_the_victims_own_fear_is_kept_with_its_screen(app, client, headers):
    incident = new_incident(client, headers)
    first = assess(client, headers, incident["id"], "immediate-danger", answers(IMMEDIATE_ITEMS, 0))
    feared = assess(client, headers, incident["id"], "dash", answers(DASH_ITEMS, 3), victim_fear=8)
    assert first.get_json()["victim_fear"] is None and feared.get_json()["victim_fear"] == 8
    read = client.get(f"/api/v1/incidents/{incident['id']}", headers=headers).get_json()
    assert {a["instrument"]: a["victim_fear"] for a in read["assessments"]} == {
        "immediate-danger": None,
        "dash": 8,
    }
    with app.app_context():
        raw = db.session.execute(
            text("SELECT victim_fear FROM assessment WHERE id = :id"),
            {"id": feared.get_json()["id"]},
        ).scalar_one()
    assert raw.startswith("gAAAAA")  # case data, encrypted


@pytest.mark.parametrize("fear", [-1, 11, "veel"])
def test_a_fear_outside_0_to_10_is_refused(app, client, headers, fear):
    incident = new_incident(client, headers)
    before = count(app, Assessment)
    response = assess(
        client, headers, incident["id"], "dash", answers(DASH_ITEMS, 1), victim_fear=fear
    )
    assert response.status_code == 422 and "victim_fear" in response.get_json()["fields"]
    assert count(app, Assessment) == before
