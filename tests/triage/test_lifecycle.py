"""Closing, legal hold and restricted incidents."""

from __future__ import annotations

from tests.conftest import bearer, make_token, make_user
from tests.dispatch.helpers import board, incident_with_unit, make_unit
from tests.triage.helpers import new_incident


def test_dispositions_are_listed_in_dutch_and_english(app, client):
    items = client.get("/api/v1/dispositions", headers=board(app)).get_json()["items"]
    by_code = {d["code"]: d["label"] for d in items}
    assert by_code["house_ban"] == {"en": "Temporary house ban", "nl": "Tijdelijk huisverbod"}


def test_close_refused_while_a_unit_is_on_it_then_allowed(app, client):
    headers = board(app)
    incident, unit_id, _ = incident_with_unit(app, client, headers)
    path = f"/api/v1/incidents/{incident['id']}/close"
    busy = client.post(
        path, json={"disposition": "house_ban", "note": "huisverbod gevorderd"}, headers=headers
    )
    assert busy.status_code == 409
    client.post(f"/api/v1/units/{unit_id}/status", json={"status": "available"}, headers=headers)
    bad = client.post(path, json={"disposition": "vanished"}, headers=headers)
    assert bad.status_code == 422 and "disposition" in bad.get_json()["fields"]
    closed = client.post(
        path, json={"disposition": "house_ban", "note": "huisverbod gevorderd"}, headers=headers
    )
    assert closed.status_code == 200 and closed.get_json()["status"] == "closed"
    assert closed.get_json()["closed_at"] is not None
    assert client.post(path, json={"disposition": "house_ban"}, headers=headers).status_code == 409
    timeline = client.get(f"/api/v1/incidents/{incident['id']}", headers=headers).get_json()[
        "timeline"
    ]
    assert (
        timeline[-1]["kind"] == "incident.closed"
        and timeline[-1]["data"]["disposition"] == "house_ban"
    )


def test_legal_hold_is_a_supervisors_action_on_the_timeline(app, client):
    headers = board(app)
    chef = board(app, "chef", "supervisor")
    incident = new_incident(client, headers)
    path = f"/api/v1/incidents/{incident['id']}/legal-hold"
    assert (
        client.post(path, json={"reason": "onderzoek parket"}, headers=headers).status_code == 403
    )
    assert client.post(path, json={}, headers=chef).status_code == 422
    assert client.post(path, json={"reason": "onderzoek parket"}, headers=chef).status_code == 200
    assert client.delete(path, headers=chef).status_code == 200
    kinds = [
        e["kind"]
        for e in client.get(f"/api/v1/incidents/{incident['id']}", headers=chef).get_json()[
            "timeline"
        ]
    ]
    assert kinds[-2:] == ["legal_hold.set", "legal_hold.lifted"]


def test_restricted_incident_is_a_placeholder_for_everyone_not_involved(app, client):
    taker = board(app)
    chef = board(app, "chef", "supervisor")
    other = board(app, "d2")
    incident = new_incident(client, taker, flags=["weapon"])
    restricted = client.post(
        f"/api/v1/incidents/{incident['id']}/restriction",
        json={"reason": "collega betrokken"},
        headers=chef,
    )
    assert restricted.status_code == 200
    assert client.get(f"/api/v1/incidents/{incident['id']}", headers=other).status_code == 404
    assert (
        client.get(f"/api/v1/incidents/{incident['id']}/messages", headers=other).status_code == 404
    )
    row = client.get("/api/v1/incidents", headers=other).get_json()["items"][0]
    assert (
        row["restricted"] is True
        and row["reference"] == incident["reference"]
        and row["lat"] is None
    )
    assert row["priority"] == "P1" and row["flags"] == []
    assert client.get(f"/api/v1/incidents/{incident['id']}", headers=taker).status_code == 200
    assert client.get(f"/api/v1/incidents/{incident['id']}", headers=chef).status_code == 200
    snapshot = client.get("/api/v1/board", headers=other).get_json()["incidents"][0]
    assert snapshot["restricted"] is True and snapshot["lat"] is None
    unit_id = make_unit(app)
    assigned = client.post(
        f"/api/v1/incidents/{incident['id']}/assignments", json={"unit_id": unit_id}, headers=other
    )
    assert assigned.status_code == 404
    client.delete(f"/api/v1/incidents/{incident['id']}/restriction", headers=chef)
    assert client.get(f"/api/v1/incidents/{incident['id']}", headers=other).status_code == 200


def test_intake_token_reads_back_only_its_own_incidents(app, client):
    make_user(app, "telefonie", "dispatcher")
    scoped = bearer(make_token(app, "telefonie", scopes=["intake"]))
    mine = client.post(
        "/api/v1/incidents", json={"address": "Meir 1, 2000 Antwerpen"}, headers=scoped
    ).get_json()
    theirs = new_incident(client, board(app))
    assert client.get(f"/api/v1/incidents/{mine['id']}", headers=scoped).status_code == 200
    assert client.get(f"/api/v1/incidents/{theirs['id']}", headers=scoped).status_code == 404
    assert client.get("/api/v1/incidents", headers=scoped).status_code == 403
    assert client.get(f"/api/v1/incidents/{mine['id']}/messages", headers=scoped).status_code == 403


def test_a_screen_sent_after_closing_is_refused_not_scored_into_a_p1(app, client):
    from tests.dispatch.helpers import board
    from tests.triage.helpers import DASH_ITEMS, answers, assess, new_incident

    headers = board(app)
    incident = new_incident(client, headers)
    closed = client.post(
        f"/api/v1/incidents/{incident['id']}/close",
        json={"disposition": "resolved_on_scene", "note": "rustig bij aankomst"},
        headers=headers,
    )
    assert closed.status_code == 200
    late = assess(client, headers, incident["id"], "dash", answers(DASH_ITEMS, 20))
    assert late.status_code == 409
    assert late.get_json()["fields"] == {"incident": "Het incident is afgesloten."}
    after = client.get(f"/api/v1/incidents/{incident['id']}", headers=headers).get_json()
    assert after["status"] == "closed" and after["priority"] == incident["priority"]
    assert after["assessments"] == []
