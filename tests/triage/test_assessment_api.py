"""Risk screening through the API: boundaries, validation, history, priority only goes up."""

from __future__ import annotations

import pytest

from tests.conftest import bearer, make_token, make_user
from tests.triage.helpers import (
    DASH_ITEMS,
    IMMEDIATE_ITEMS,
    LAP_OTHERS,
    LAP_TRIGGERS,
    answers,
    assess,
    new_incident,
)


@pytest.fixture
def headers(app):
    make_user(app, "an", "dispatcher")
    return bearer(make_token(app, "an"))


@pytest.fixture
def supervisor(app):
    make_user(app, "chef", "supervisor")
    return bearer(make_token(app, "chef"))


@pytest.mark.parametrize(
    "yes,level,priority",
    [(9, "standard", "P3"), (10, "medium", "P3"), (13, "medium", "P3"), (14, "high", "P2")],
)
def test_dash_bands_hold_at_their_boundaries(client, headers, yes, level, priority):
    incident = new_incident(client, headers)
    response = assess(client, headers, incident["id"], "dash", answers(DASH_ITEMS, yes))
    assert response.status_code == 201
    body = response.get_json()
    assert (body["score"], body["level"], body["incident_priority"]) == (yes, level, priority)
    codes = [r["code"] for r in body["recommendations"]]
    assert ("veilig_huis_case_consultation" in codes) == (level == "high")
    assert "offer_victim_support" in codes


def test_unknown_is_never_counted_as_yes(client, headers):
    incident = new_incident(client, headers)
    body = assess(
        client, headers, incident["id"], "dash", answers(DASH_ITEMS, 13, rest="unknown")
    ).get_json()
    assert body["level"] == "medium" and body["unknown_count"] == 11


@pytest.mark.parametrize(
    "others,triggers,level",
    [(3, 0, "not_screened_in"), (4, 0, "screened_in"), (0, 1, "screened_in")],
)
def test_lap_rules_hold(client, headers, others, triggers, level):
    incident = new_incident(client, headers)
    answer_map = answers(LAP_OTHERS, others) | answers(LAP_TRIGGERS, triggers)
    body = assess(client, headers, incident["id"], "lap", answer_map).get_json()
    assert body["level"] == level
    assert ("support_line_1712" in [r["code"] for r in body["recommendations"]]) == (
        level == "screened_in"
    )


def test_immediate_danger_yes_is_p1(client, headers):
    incident = new_incident(client, headers)
    none = assess(
        client, headers, incident["id"], "immediate-danger", answers(IMMEDIATE_ITEMS, 0)
    ).get_json()
    assert none["level"] == "none" and none["incident_priority"] == "P3"
    one = assess(
        client, headers, incident["id"], "immediate-danger", answers(IMMEDIATE_ITEMS, 1)
    ).get_json()
    assert one["level"] == "immediate" and one["incident_priority"] == "P1"
    assert one["assessment_version"] == 2


def test_validation_names_missing_and_unknown_items(client, headers):
    incident = new_incident(client, headers)
    partial = dict(list(answers(DASH_ITEMS, 0).items())[:20]) | {"favourite_colour": "yes"}
    response = assess(client, headers, incident["id"], "dash", partial)
    assert response.status_code == 422
    fields = response.get_json()["fields"]
    assert {f"answers.{i}" for i in DASH_ITEMS[20:]} | {"answers.favourite_colour"} <= set(fields)
    bad_value = assess(
        client, headers, incident["id"], "dash", answers(DASH_ITEMS, 0) | {DASH_ITEMS[0]: "maybe"}
    )
    assert (
        bad_value.status_code == 422
        and f"answers.{DASH_ITEMS[0]}" in bad_value.get_json()["fields"]
    )
    unknown_instrument = assess(client, headers, incident["id"], "tarot", {})
    assert (
        unknown_instrument.status_code == 422
        and "instrument" in unknown_instrument.get_json()["fields"]
    )
    assert (
        client.get(f"/api/v1/incidents/{incident['id']}/assessments", headers=headers).get_json()[
            "items"
        ]
        == []
    )


def test_a_later_lower_assessment_never_lowers_the_priority(client, headers):
    incident = new_incident(client, headers)
    assert (
        assess(client, headers, incident["id"], "dash", answers(DASH_ITEMS, 14)).get_json()[
            "incident_priority"
        ]
        == "P2"
    )
    later = assess(client, headers, incident["id"], "dash", answers(DASH_ITEMS, 2)).get_json()
    assert later["level"] == "standard" and later["incident_priority"] == "P2"
    history = client.get(
        f"/api/v1/incidents/{incident['id']}/assessments", headers=headers
    ).get_json()["items"]
    assert [(a["assessment_version"], a["level"]) for a in history] == [
        (1, "high"),
        (2, "standard"),
    ]


def test_judgement_raises_with_a_reason_and_cannot_lower(client, headers):
    incident = new_incident(client, headers)
    raised = assess(
        client,
        headers,
        incident["id"],
        "dash",
        answers(DASH_ITEMS, 5),
        judgement={"level": "high", "reason": "Dreigt met mes, slachtoffer doodsbang"},
    ).get_json()
    assert (raised["computed_level"], raised["level"], raised["incident_priority"]) == (
        "standard",
        "high",
        "P2",
    )
    assert raised["judgement"]["reason"].startswith("Dreigt")
    lowered = assess(
        client,
        headers,
        incident["id"],
        "dash",
        answers(DASH_ITEMS, 15),
        judgement={"level": "standard", "reason": "lijkt mee te vallen"},
    )
    assert lowered.status_code == 422 and "judgement.level" in lowered.get_json()["fields"]
    no_reason = assess(
        client,
        headers,
        incident["id"],
        "dash",
        answers(DASH_ITEMS, 5),
        judgement={"level": "high", "reason": ""},
    )
    assert no_reason.status_code == 422 and "judgement.reason" in no_reason.get_json()["fields"]


def test_escalation_pattern_raises_the_dash_level(client, headers):
    for _ in range(2):
        new_incident(client, headers)
    third = new_incident(client, headers)
    body = assess(client, headers, third["id"], "dash", answers(DASH_ITEMS, 3)).get_json()
    assert body["computed_level"] == "standard" and body["level"] == "high"
    assert any("3 incidenten in 12 maanden" in r for r in body["reasons"])


def test_motive_tags_bring_their_recommendations(client, headers):
    incident = new_incident(client, headers)
    body = assess(
        client, headers, incident["id"], "dash", answers(DASH_ITEMS, 3), motives=["anti_lgbt"]
    ).get_json()
    codes = [r["code"] for r in body["recommendations"]]
    assert {
        "motive_in_police_report",
        "notify_reference_officer",
        "offer_psychosocial_support",
    } <= set(codes)
    assert all(r["reason"] for r in body["recommendations"])


def test_only_a_supervisor_lowers_a_priority_with_a_reason(client, headers, supervisor):
    incident = new_incident(client, headers, flags=["weapon"])
    path = f"/api/v1/incidents/{incident['id']}/priority"
    refused = client.post(
        path, json={"priority": "P3", "reason": "wapen bleek speelgoed"}, headers=headers
    )
    assert refused.status_code == 403
    no_reason = client.post(path, json={"priority": "P3"}, headers=supervisor)
    assert no_reason.status_code == 422 and "reason" in no_reason.get_json()["fields"]
    lowered = client.post(
        path, json={"priority": "P3", "reason": "wapen bleek speelgoed"}, headers=supervisor
    )
    assert lowered.status_code == 200 and lowered.get_json()["priority"] == "P3"
    raised = client.post(
        path, json={"priority": "P2", "reason": "nieuwe info van buren"}, headers=headers
    )
    assert raised.get_json()["priority"] == "P2"
    timeline = client.get(f"/api/v1/incidents/{incident['id']}", headers=headers).get_json()[
        "timeline"
    ]
    changes = [
        (e["kind"], e["from_state"], e["to_state"], e["detail"])
        for e in timeline
        if e["kind"].startswith("priority")
    ]
    assert changes == [
        ("priority.lowered", "P1", "P3", "wapen bleek speelgoed"),
        ("priority.raised", "P3", "P2", "nieuwe info van buren"),
    ]


def test_instruments_are_listed_with_items_and_thresholds(client, headers):
    listing = client.get("/api/v1/instruments", headers=headers).get_json()["items"]
    by_id = {i["id"]: i for i in listing}
    assert {"immediate-danger", "dash", "lap"} <= set(by_id)
    assert len(by_id["dash"]["items"]) == 24 and len(by_id["lap"]["items"]) == 11
    dash = client.get("/api/v1/instruments/dash", headers=headers).get_json()
    assert {"level": "high", "min": 14, "max": None} in dash["bands"]
    assert dash["items"][0]["text"]["nl"] and dash["items"][0]["text"]["en"]
    assert client.get("/api/v1/instruments/nope", headers=headers).status_code == 404


def test_preview_scores_without_storing(client, headers):
    preview = client.post(
        "/api/v1/instruments/dash/preview",
        json={"answers": answers(DASH_ITEMS[:14], 14)},
        headers=headers,
    ).get_json()
    assert (preview["level"], preview["priority"], preview["unknown_count"]) == ("high", "P2", 10)
