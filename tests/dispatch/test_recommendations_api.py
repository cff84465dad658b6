"""Recommendations through the API: the incident's priority decides how much travel time a
better-matched unit may cost (SKILL_MARGIN_S), and every unit says why, in the user's language."""

from __future__ import annotations

from geopy.distance import geodesic

from tests.dispatch.helpers import board, make_unit
from tests.triage.helpers import new_incident

POINT = (51.2194, 4.4025)
SKILLS = ["female_officer", "child_interviewing"]


def unit_at(app, call_sign: str, phone: str, minutes: float, skills: list[str]) -> int:
    """Create an available unit due north of the incident, `minutes` of travel away."""
    speed_ms = app.config["RANKING_SPEED_KMH"] / 3.6
    metres = minutes * 60 * speed_ms / app.config["RANKING_DETOUR_FACTOR"]
    there = geodesic(meters=metres).destination(POINT, bearing=0)
    return make_unit(app, call_sign, phone, there.latitude, there.longitude, skills=skills)


def incident_with_priority(client, headers, priority: str) -> dict:
    """An incident at POINT that asks for both skills, raised by hand to `priority`."""
    incident = new_incident(client, headers, lat=POINT[0], lon=POINT[1], requested_skills=SKILLS)
    if priority != incident["priority"]:
        response = client.post(
            f"/api/v1/incidents/{incident['id']}/priority",
            json={"priority": priority, "reason": "wapen gezien door de melder"},
            headers=headers,
        )
        assert response.status_code == 200, response.get_json()
    return incident


def issue_example(app) -> None:
    """The issue's units: NT-51 has every skill, 13 min away; NT-21 lacks one, 1 min away."""
    unit_at(app, "NT-51", "+32470000051", 13, SKILLS)
    unit_at(app, "NT-21", "+32470000021", 1, ["female_officer"])


def recommendations(client, headers, incident: dict, query: str = "") -> dict:
    """GET the ranked units of an incident."""
    response = client.get(
        f"/api/v1/incidents/{incident['id']}/recommendations{query}", headers=headers
    )
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_p1_recommends_the_nearest_unit_and_says_why_in_dutch(app, client, clock):
    headers = board(app)
    issue_example(app)
    incident = incident_with_priority(client, headers, "P1")
    clock.advance(minutes=3, seconds=20)  # the units' positions are this old now
    body = recommendations(client, headers, incident)
    assert body["priority"] == "P1" and body["skill_margin_s"] == 120
    first, second = body["items"]
    assert [first["call_sign"], second["call_sign"]] == ["NT-21", "NT-51"]
    assert first["rule"] == "nearest"
    assert first["reasons"] == [
        "dichtstbij (P1: reistijd gaat voor)",
        "0,5 km, ~1 min",
        "positie 3 min oud",
        "heeft vrouwelijke inspecteur",
        "geen kinderverhoor",
        "spreekt nl",
    ]
    assert second["rule"] == "beyond_margin"
    assert second["reasons"][0] == (
        "beter passend, maar 12 min verder dan de dichtstbijzijnde: buiten de marge van 4 min"
    )


def test_p3_keeps_the_best_matched_unit_first(app, client):
    headers = board(app)
    issue_example(app)
    incident = incident_with_priority(client, headers, "P3")
    body = recommendations(client, headers, incident)
    assert [r["call_sign"] for r in body["items"]] == ["NT-51", "NT-21"]
    assert body["skill_margin_s"] is None
    assert [r["rule"] for r in body["items"]] == ["match_first", "match_first"]
    assert body["items"][0]["reasons"][:2] == [
        "P3: best passende ploeg eerst, dan reistijd",
        "6,7 km, ~13 min",
    ]


def test_p2_sends_the_better_match_when_it_is_within_the_margin(app, client):
    headers = board(app)
    unit_at(app, "NT-51", "+32470000051", 6, SKILLS)
    unit_at(app, "NT-21", "+32470000021", 1, ["female_officer"])
    incident = incident_with_priority(client, headers, "P2")
    body = recommendations(client, headers, incident)
    assert [r["call_sign"] for r in body["items"]] == ["NT-51", "NT-21"]
    assert [r["rule"] for r in body["items"]] == ["within_margin", "nearest"]
    assert body["items"][0]["reasons"][0] == (
        "beter passend: 5 min verder dan de dichtstbijzijnde, binnen de marge van 10 min"
    )


def test_reasons_are_in_english_for_an_english_user(app, client, clock):
    headers = board(app)
    issue_example(app)
    incident = incident_with_priority(client, headers, "P1")
    clock.advance(minutes=3, seconds=20)
    first, second = recommendations(client, headers, incident, "?lang=en")["items"]
    assert first["reasons"] == [
        "nearest (P1: travel time comes first)",
        "0.5 km, ~1 min",
        "position 3 min old",
        "has female officer",
        "lacks child interviewing",
        "speaks nl",
    ]
    assert second["reasons"][0] == (
        "better matched, but 12 min farther than the nearest: beyond the 4 min margin"
    )


def test_a_priority_left_out_of_the_margins_ranks_the_match_first(app, client):
    app.config["SKILL_MARGIN_S"] = {"P2": 300}
    headers = board(app)
    issue_example(app)
    incident = incident_with_priority(client, headers, "P1")
    body = recommendations(client, headers, incident)
    assert [r["call_sign"] for r in body["items"]] == ["NT-51", "NT-21"]
    assert body["items"][0]["reasons"][0] == "P1: best passende ploeg eerst, dan reistijd"
