"""Referrals (issue 19): suggested by the facts, recorded as offered / accepted / declined / not
offered, on the incident page, through the API and with the close, in one transaction."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from accounts.actor import Actor
from core.audit import AuditEvent
from core.db import db
from tests.conftest import bearer, ctx, make_token, make_user
from tests.dispatch.helpers import board, incident_with_unit
from tests.triage.helpers import DASH_ITEMS, answers, assess, new_incident
from triage import referrals
from triage.models import Incident, Referral, TimelineSource

AT_RISK = {"count": 2, "ages": [4, 9], "present": True, "at_risk": True}


@pytest.fixture
def headers(app) -> dict[str, str]:
    return board(app)


def path(incident_id: int, kind: str | None = None) -> str:
    base = f"/api/v1/incidents/{incident_id}/referrals"
    return f"{base}/{kind}" if kind else base


def by_kind(client, headers, incident_id: int) -> dict[str, dict]:
    response = client.get(path(incident_id), headers=headers)
    assert response.status_code == 200, response.get_json()
    return {item["kind"]: item for item in response.get_json()["items"]}


def kinds_on_timeline(client, headers, incident_id: int) -> list[tuple[str, dict]]:
    detail = client.get(f"/api/v1/incidents/{incident_id}", headers=headers).get_json()
    return [(e["kind"], e["data"]) for e in detail["timeline"] if e["kind"].startswith("referral.")]


def close(client, headers, incident_id: int, **body):
    body = {"disposition": "resolved_on_scene", **body}
    return client.post(f"/api/v1/incidents/{incident_id}/close", json=body, headers=headers)


def test_every_kind_is_listed_not_yet_offered_with_dutch_and_english_labels(client, headers):
    incident = new_incident(client, headers)
    listed = client.get(path(incident["id"]), headers=headers).get_json()
    assert [i["kind"] for i in listed["items"]] == [
        "victim_support",
        "psychosocial_support",
        "child_abuse_centre",
    ]
    vk = listed["items"][2]
    assert vk["label"]["nl"] == "Vertrouwenscentrum Kindermishandeling (VK)"
    assert vk["status"] is None and vk["status_label"]["nl"] == "Nog niet aangeboden"
    assert vk["suggested"] is False and vk["recorded_by"] is None
    assert [c["code"] for c in listed["statuses"]] == [
        "offered",
        "accepted",
        "declined",
        "not_offered",
    ]


def test_children_at_risk_suggest_the_child_abuse_confidence_centre(client, headers):
    incident = new_incident(client, headers, children=AT_RISK)
    vk = by_kind(client, headers, incident["id"])["child_abuse_centre"]
    assert vk["status"] == "suggested" and vk["reason"] == "children_at_risk"
    assert vk["reason_label"]["nl"] == "Kinderen in gevaar"
    assert vk["status_label"]["nl"] == "Voorgesteld, nog niet aangeboden"
    not_at_risk = new_incident(client, headers, children={**AT_RISK, "at_risk": False})
    assert by_kind(client, headers, not_at_risk["id"])["child_abuse_centre"]["status"] is None


def test_a_racism_motive_suggests_psychosocial_support(client, headers):
    incident = new_incident(client, headers, motives=["racism_discrimination"])
    support = by_kind(client, headers, incident["id"])["psychosocial_support"]
    assert support["status"] == "suggested" and support["reason"] == "support_motive"
    # Which motive it was is read from the incident's own (encrypted) motives.
    assert support["reason_label"]["nl"] == "Motief: racisme of discriminatie"
    offered = client.put(
        path(incident["id"], "psychosocial_support"), json={"status": "offered"}, headers=headers
    )
    assert offered.status_code == 200, offered.get_json()
    support = by_kind(client, headers, incident["id"])["psychosocial_support"]
    assert (support["status"], support["reason"]) == ("offered", "support_motive")
    assert support["reason_label"]["en"] == "Motive: racism or discrimination"


def test_the_motive_is_never_stored_in_plain_in_the_referral_or_the_timeline(app, client, headers):
    incident = new_incident(client, headers, motives=["anti_lgbt"])
    assert by_kind(client, headers, incident["id"])["psychosocial_support"]["status"] == "suggested"
    with ctx(app):
        plain = [
            *db.session.execute(
                text("SELECT reason FROM referral WHERE incident_id = :i"), {"i": incident["id"]}
            ).scalars(),
            *db.session.execute(
                text("SELECT data FROM status_event WHERE incident_id = :i"),
                {"i": incident["id"]},
            ).scalars(),
        ]
        encrypted = db.session.execute(
            text("SELECT motives FROM incident WHERE id = :i"), {"i": incident["id"]}
        ).scalar()
    assert "support_motive" in str(plain)
    assert "anti_lgbt" not in str(plain) and "anti_lgbt" not in str(encrypted)


def test_a_screen_suggests_victim_support(client, headers):
    incident = new_incident(client, headers)
    assert by_kind(client, headers, incident["id"])["victim_support"]["suggested"] is False
    assert (
        assess(client, headers, incident["id"], "dash", answers(DASH_ITEMS, 2)).status_code == 201
    )
    support = by_kind(client, headers, incident["id"])["victim_support"]
    assert support["status"] == "suggested" and support["reason"] == "screen_recommendation"


def test_suggest_stores_each_suggestion_once_and_withdraws_what_the_facts_no_longer_hold(
    app, client, headers
):
    incident = new_incident(client, headers, children=AT_RISK, motives=["sexual_violence"])
    # The call's facts suggested both when it was taken; asking again stores nothing new.
    listed = by_kind(client, headers, incident["id"])
    assert listed["child_abuse_centre"]["status"] == "suggested"
    assert listed["psychosocial_support"]["status"] == "suggested"
    system = Actor(None, None, TimelineSource.SYSTEM)
    with ctx(app):
        assert referrals.suggest(db.session.get(Incident, incident["id"]), system) == []
    corrected = client.patch(
        f"/api/v1/incidents/{incident['id']}",
        json={"children": {**AT_RISK, "at_risk": False}},
        headers=headers,
    )
    assert corrected.status_code == 200
    assert by_kind(client, headers, incident["id"])["child_abuse_centre"]["status"] is None
    with ctx(app):
        assert referrals.suggest(db.session.get(Incident, incident["id"]), system) == []
    assert kinds_on_timeline(client, headers, incident["id"]) == [
        (
            "referral.suggested",
            {"kind": "psychosocial_support", "reason": "support_motive"},
        ),
        ("referral.suggested", {"kind": "child_abuse_centre", "reason": "children_at_risk"}),
        ("referral.withdrawn", {"kind": "child_abuse_centre"}),
    ]


def test_an_answer_moves_forward_the_victim_may_change_their_mind_never_back(app, client, headers):
    incident = new_incident(client, headers)

    def put(body):
        return client.put(path(incident["id"], "victim_support"), json=body, headers=headers)

    offered = put({"status": "offered"})
    assert offered.status_code == 200
    item = offered.get_json()["items"][0]
    assert item["status"] == "offered" and item["recorded_by"] == "an"
    assert item["allowed"] == ["offered", "accepted", "declined"]
    assert put({"status": "accepted"}).status_code == 200
    assert put({"status": "declined"}).status_code == 200  # the victim changed their mind
    back = put({"status": "offered"})
    assert back.status_code == 409 and "status" in back.get_json()["fields"]
    assert put({"status": "not_offered", "reason": "no_contact"}).status_code == 409
    assert put({"status": "declined"}).status_code == 200  # a retry: nothing new
    assert by_kind(client, headers, incident["id"])["victim_support"]["status"] == "declined"
    assert kinds_on_timeline(client, headers, incident["id"]) == [
        ("referral.offered", {"kind": "victim_support"}),
        ("referral.accepted", {"kind": "victim_support"}),
        ("referral.declined", {"kind": "victim_support"}),
    ]


def test_not_offered_needs_a_reason_and_may_still_be_offered_later(client, headers):
    incident = new_incident(client, headers)
    url = path(incident["id"], "psychosocial_support")
    bare = client.put(url, json={"status": "not_offered"}, headers=headers)
    assert bare.status_code == 422 and "reason" in bare.get_json()["fields"]
    stray = client.put(url, json={"status": "accepted", "reason": "not_safe"}, headers=headers)
    assert stray.status_code == 422 and "reason" in stray.get_json()["fields"]
    body = {"status": "not_offered", "reason": "not_safe"}
    assert client.put(url, json=body, headers=headers).status_code == 200
    item = by_kind(client, headers, incident["id"])["psychosocial_support"]
    assert item["reason_label"]["nl"].startswith("Niet veilig om het nu te bespreken")
    assert client.put(url, json={"status": "accepted"}, headers=headers).status_code == 200


def test_unknown_kind_or_status_is_a_422_naming_the_field(client, headers):
    incident = new_incident(client, headers)
    kind = client.put(
        path(incident["id"], "slachtofferhulp"), json={"status": "offered"}, headers=headers
    )
    assert kind.status_code == 422 and set(kind.get_json()["fields"]) == {"kind"}
    status = client.put(
        path(incident["id"], "victim_support"), json={"status": "suggested"}, headers=headers
    )
    assert status.status_code == 422 and set(status.get_json()["fields"]) == {"status"}
    assert status.get_json()["message"] == "Sommige velden zijn niet geldig."


def test_each_change_is_audited_and_published_a_retry_is_neither(app, client, headers, monkeypatch):
    from triage import events

    incident = new_incident(client, headers)
    sent = []
    monkeypatch.setattr(events, "publish_about", lambda name, *a, **k: sent.append(name))
    url = path(incident["id"], "victim_support")
    for status in ("accepted", "accepted", "declined"):
        assert client.put(url, json={"status": status}, headers=headers).status_code == 200
    assert sent == ["incident.updated", "incident.updated"]
    with ctx(app):
        changes = db.session.execute(
            select(AuditEvent.action)
            .where(AuditEvent.object_type == "referral")
            .order_by(AuditEvent.id)
        ).scalars()
        assert list(changes) == ["create", "update"]
        views = db.session.execute(
            select(AuditEvent).where(
                AuditEvent.action == "view",
                AuditEvent.object_type == "incident",
                AuditEvent.object_id == incident["id"],
            )
        ).all()
    assert len(views) == 3  # each answer carried the referrals: case data, a read


def test_close_records_the_referrals_with_the_close(client, headers):
    incident = new_incident(client, headers, children=AT_RISK)
    closed = close(
        client,
        headers,
        incident["id"],
        referrals={
            "victim_support": "accepted",
            "psychosocial_support": {"status": "not_offered", "reason": "no_contact"},
            "child_abuse_centre": "declined",
        },
    )
    assert closed.status_code == 200 and closed.get_json()["status"] == "closed"
    items = by_kind(client, headers, incident["id"])
    assert {k: v["status"] for k, v in items.items()} == {
        "victim_support": "accepted",
        "psychosocial_support": "not_offered",
        "child_abuse_centre": "declined",
    }
    assert items["child_abuse_centre"]["reason"] == "children_at_risk"  # why it was suggested
    detail = client.get(f"/api/v1/incidents/{incident['id']}", headers=headers).get_json()
    kinds = [e["kind"] for e in detail["timeline"]]
    assert kinds[-5:] == [
        "referral.suggested",
        "referral.accepted",
        "referral.not_offered",
        "referral.declined",
        "incident.closed",
    ]


def test_a_bad_referral_at_close_is_a_422_and_nothing_is_written(app, client, headers):
    incident = new_incident(client, headers, children=AT_RISK)
    before = kinds_on_timeline(client, headers, incident["id"])  # the VK suggestion at intake
    with ctx(app):
        stored = [(r.kind, r.status) for r in db.session.execute(select(Referral)).scalars()]
    assert stored == [("child_abuse_centre", "suggested")]
    bad = close(
        client,
        headers,
        incident["id"],
        referrals={"victim_support": "accepted", "psychosocial_support": "maybe", "vk": "offered"},
    )
    assert bad.status_code == 422
    assert set(bad.get_json()["fields"]) == {"referrals.psychosocial_support", "referrals.vk"}
    empty = close(client, headers, incident["id"], referrals={"victim_support": ""})
    assert empty.status_code == 422
    assert empty.get_json()["fields"] == {
        "referrals.victim_support": "Kies wat er met deze doorverwijzing gebeurde."
    }
    after = client.get(f"/api/v1/incidents/{incident['id']}", headers=headers).get_json()
    assert after["status"] == "new" and after["closed_at"] is None
    assert kinds_on_timeline(client, headers, incident["id"]) == before
    with ctx(app):
        after_rows = [(r.kind, r.status) for r in db.session.execute(select(Referral)).scalars()]
    assert after_rows == stored


def test_a_close_refused_while_a_unit_is_on_it_records_no_referral(app, client, headers):
    incident, _, _ = incident_with_unit(app, client, headers)
    busy = close(client, headers, incident["id"], referrals={"victim_support": "accepted"})
    assert busy.status_code == 409
    assert by_kind(client, headers, incident["id"])["victim_support"]["status"] is None


def test_a_close_that_would_set_an_answer_back_is_refused_whole(client, headers):
    incident = new_incident(client, headers)
    url = path(incident["id"], "victim_support")
    assert client.put(url, json={"status": "accepted"}, headers=headers).status_code == 200
    back = close(client, headers, incident["id"], referrals={"victim_support": "offered"})
    assert back.status_code == 409
    assert (
        client.get(f"/api/v1/incidents/{incident['id']}", headers=headers).get_json()["status"]
        == "new"
    )
    same = close(client, headers, incident["id"], referrals={"victim_support": "accepted"})
    assert same.status_code == 200  # the dialog's unchanged answer is no new line
    assert [k for k, _ in kinds_on_timeline(client, headers, incident["id"])] == [
        "referral.accepted"
    ]


def test_existing_close_callers_are_unaffected_and_nothing_is_assumed(client, headers):
    incident = new_incident(client, headers)
    closed = close(client, headers, incident["id"], note="rustig bij aankomst")
    assert closed.status_code == 200 and closed.get_json()["status"] == "closed"
    items = by_kind(client, headers, incident["id"])
    assert all(item["status"] is None for item in items.values())  # not "not offered"
    assert kinds_on_timeline(client, headers, incident["id"]) == []
    # Victim support is often accepted the next morning: it may be recorded after close.
    late = client.put(
        path(incident["id"], "victim_support"), json={"status": "accepted"}, headers=headers
    )
    assert late.status_code == 200


def test_a_restricted_incident_is_404_for_an_uninvolved_dispatcher(app, client, headers):
    chef, other = board(app, "chef", "supervisor"), board(app, "d2")
    incident = new_incident(client, headers, children=AT_RISK)
    restricted = client.post(
        f"/api/v1/incidents/{incident['id']}/restriction",
        json={"reason": "collega betrokken"},
        headers=chef,
    )
    assert restricted.status_code == 200
    missing = client.get(path(999_999), headers=other)
    hidden = client.get(path(incident["id"]), headers=other)
    assert hidden.status_code == 404 and hidden.get_json() == missing.get_json()
    body = {"status": "accepted"}
    put = client.put(path(incident["id"], "child_abuse_centre"), json=body, headers=other)
    gone = client.put(path(999_999, "child_abuse_centre"), json=body, headers=other)
    assert put.status_code == 404 and put.get_json() == gone.get_json()
    assert client.get(path(incident["id"]), headers=chef).status_code == 200
    assert by_kind(client, headers, incident["id"])["child_abuse_centre"]["status"] == "suggested"


def test_an_intake_token_is_refused(app, client):
    make_user(app, "telefonie", "dispatcher")
    scoped = bearer(make_token(app, "telefonie", scopes=["intake"]))
    mine = client.post(
        "/api/v1/incidents", json={"address": "Meir 1, 2000 Antwerpen"}, headers=scoped
    ).get_json()
    assert client.get(path(mine["id"]), headers=scoped).status_code == 403
    body = {"status": "offered"}
    assert (
        client.put(path(mine["id"], "victim_support"), json=body, headers=scoped).status_code == 403
    )
