"""Restricted means restricted (issue 15): the paths around the visibility rules are closed, and
those allowed to see a restricted incident see all of it. One test per finding fixed so far."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import select

from core.audit import AuditEvent
from core.db import db
from tests.app.test_proxy import post_login
from tests.conftest import bearer, make_token, make_user
from tests.dispatch.helpers import board, make_unit
from tests.handover.helpers import NOTE, partners
from tests.triage.helpers import new_incident
from triage.models import Incident


@dataclass
class Night:
    """Incident R (restricted; a weapon on scene), taken by `taker`, its unit, and the others."""

    incident: dict
    unit_id: int
    assignment_id: int
    taker: dict[str, str]
    chef: dict[str, str]
    other: dict[str, str]


@pytest.fixture
def night(app, client) -> Night:
    partners(app)
    taker, chef, other = board(app), board(app, "chef", "supervisor"), board(app, "d2")
    incident = new_incident(client, taker, flags=["weapon"], lat=51.2301, lon=4.4202)
    unit_id = make_unit(app)
    assigned = client.post(
        f"/api/v1/incidents/{incident['id']}/assignments", json={"unit_id": unit_id}, headers=taker
    )
    assert assigned.status_code == 201
    restricted = client.post(
        f"/api/v1/incidents/{incident['id']}/restriction",
        json={"reason": "collega betrokken"},
        headers=chef,
    )
    assert restricted.status_code == 200
    return Night(incident, unit_id, assigned.get_json()["id"], taker, chef, other)


def test_1_handover_notes_of_a_restricted_incident_are_404_for_the_uninvolved(app, client, night):
    rid = night.incident["id"]
    written = client.post(f"/api/v1/incidents/{rid}/handover-notes", json=NOTE, headers=night.chef)
    assert written.status_code == 201
    note_id = written.get_json()["id"]
    other = night.other
    assert client.get(f"/api/v1/incidents/{rid}/handover-notes", headers=other).status_code == 404
    assert client.get(f"/api/v1/handover-notes/{note_id}", headers=other).status_code == 404
    write = client.post(f"/api/v1/incidents/{rid}/handover-notes", json=NOTE, headers=other)
    assert write.status_code == 404
    correct = client.post(f"/api/v1/handover-notes/{note_id}/versions", json=NOTE, headers=other)
    assert correct.status_code == 404
    listed = client.get(f"/api/v1/incidents/{rid}/handover-notes", headers=night.chef)
    assert listed.status_code == 200 and len(listed.get_json()["items"]) == 1


def test_1_the_note_page_of_a_restricted_incident_is_404_for_the_uninvolved(app, client, night):
    from tests.conftest import login

    make_user(app, "d3", "dispatcher")
    login(client, "d3")
    page = client.get(f"/incidents/{night.incident['id']}/note")
    assert page.status_code == 404
    assert "Marie Peeters" not in page.get_data(as_text=True)


def test_2_units_serving_a_restricted_incident_are_out_of_reach(app, client, night):
    other = night.other
    release = client.post(
        f"/api/v1/assignments/{night.assignment_id}/release",
        json={"reason": "nodig elders"},
        headers=other,
    )
    assert release.status_code == 404
    status = client.post(
        f"/api/v1/units/{night.unit_id}/status", json={"status": "en_route"}, headers=other
    )
    assert status.status_code == 404
    mine = client.post(
        f"/api/v1/units/{night.unit_id}/status", json={"status": "en_route"}, headers=night.taker
    )
    assert mine.status_code == 200 and mine.get_json()["status"] == "en_route"


def test_2_a_unit_on_a_restricted_incident_never_shows_the_board_the_home(app, client, night):
    unit = f"/api/v1/units/{night.unit_id}"
    home = {"lat": 51.230112, "lon": 4.420267}
    for status in ("en_route", "on_scene"):
        moved = client.post(f"{unit}/status", json={"status": status, **home}, headers=night.taker)
        assert moved.status_code == 200

    def position(headers) -> tuple:
        units = client.get("/api/v1/units", headers=headers).get_json()["items"]
        row = next(u for u in units if u["id"] == night.unit_id)
        return row["lat"], row["lon"]

    assert position(night.chef) == (51.230112, 4.420267)
    assert position(night.other) == (None, None)  # on scene, the unit is where the victim lives
    # An administrator editing the unit sees no more, and cannot re-route its SMS meanwhile.
    make_user(app, "beheer", "admin")
    admin = bearer(make_token(app, "beheer"))
    edited = client.patch(unit, json={}, headers=admin)
    assert edited.status_code == 200 and edited.get_json()["lat"] is None
    rerouted = client.patch(unit, json={"phone": "+32470999999"}, headers=admin)
    assert rerouted.status_code == 409 and "phone" in rerouted.get_json()["fields"]
    # Cleared: the unit is free again, and the board keeps only about a kilometre of its position.
    cleared = client.post(
        f"{unit}/status", json={"status": "available", **home}, headers=night.taker
    )
    assert cleared.status_code == 200
    assert position(night.other) == (51.23, 4.42)
    assert position(night.chef) == (51.23, 4.42)


def test_3_a_free_units_text_follows_the_restricted_incident_it_just_left(app, socket_client):
    from core.realtime import NAMESPACE
    from tests.conftest import make_app
    from tests.dispatch.helpers import AUTH_TOKEN, PUBLIC, signed_post

    live = make_app(app.config["SQLALCHEMY_DATABASE_URI"])
    live.config.update(TWILIO_AUTH_TOKEN=AUTH_TOKEN, PUBLIC_BASE_URL=PUBLIC)
    client = live.test_client()
    partners(live)
    taker, chef = board(live), board(live, "chef", "supervisor")
    make_user(live, "d2", "dispatcher")
    incident = new_incident(client, taker)
    rid = incident["id"]
    unit_id = make_unit(live)
    client.post(f"/api/v1/incidents/{rid}/assignments", json={"unit_id": unit_id}, headers=taker)
    client.post(f"/api/v1/incidents/{rid}/restriction", json={"reason": "collega betrokken"},
                headers=chef)  # fmt: skip
    console = socket_client(live, "d2")

    def texted(body: str, sid: str) -> None:
        form = {"MessageSid": sid, "From": "+32470000011", "To": "+3230000000", "Body": body}
        assert signed_post(client, "/webhooks/twilio/sms", form).status_code == 200

    texted("VRIJ", "SM1")
    texted("Marie wil naar de opvang, dader heeft een mes", "SM2")
    payloads = [e["args"][0] for e in console.get_received(NAMESPACE)]
    assert "Marie" not in str(payloads)
    text = [p for p in payloads if p.get("call_sign") and p.get("code") is None][-1]
    assert text["text"] is None and text["incident_id"] == rid and text["restricted"] is True
    thread = client.get(f"/api/v1/incidents/{rid}/messages", headers=chef).get_json()["items"]
    assert "Marie wil naar de opvang, dader heeft een mes" in [m["body"] for m in thread]
    other = bearer(make_token(live, "d2"))
    assert client.get(f"/api/v1/incidents/{rid}/messages", headers=other).status_code == 404
    # Sent on to another call, the unit texts about R by its reference: filed with R, not there.
    elsewhere = new_incident(client, taker, address="Meir 1, 2000 Antwerpen")
    sent = client.post(
        f"/api/v1/incidents/{elsewhere['id']}/assignments",
        json={"unit_id": unit_id},
        headers=taker,
    )
    assert sent.status_code == 201
    texted(f"{incident['reference']}: Marie wil toch klacht neerleggen", "SM3")
    payloads = [e["args"][0] for e in console.get_received(NAMESPACE)]
    assert "klacht" not in str(payloads)
    there = client.get(f"/api/v1/incidents/{elsewhere['id']}/messages", headers=other).get_json()
    assert "klacht" not in str(there)
    thread = client.get(f"/api/v1/incidents/{rid}/messages", headers=chef).get_json()["items"]
    assert any("klacht" in m["body"] for m in thread)


def test_4_prior_incidents_list_only_what_the_viewer_may_see(app, client, night):
    # A second call from the same number at the same address: R is a prior incident of it.
    again = new_incident(client, night.other)
    seen_by_other = client.get(f"/api/v1/incidents/{again['id']}", headers=night.other)
    assert seen_by_other.get_json()["prior_incidents"] == []
    seen_by_chef = client.get(f"/api/v1/incidents/{again['id']}", headers=night.chef).get_json()
    assert [p["reference"] for p in seen_by_chef["prior_incidents"]] == [
        night.incident["reference"]
    ]
    make_user(app, "telefonie", "dispatcher")
    scoped = bearer(make_token(app, "telefonie", scopes=["intake"]))
    mine = client.post("/api/v1/incidents", json={"address": "Carnotstraat 12, 2060 Antwerpen",
                       "caller_phone": "0470 12 34 56"}, headers=scoped)  # fmt: skip
    assert mine.status_code == 201
    read = client.get(f"/api/v1/incidents/{mine.get_json()['id']}", headers=scoped).get_json()
    assert read["prior_incidents"] == []


def test_4_repeat_flags_count_only_what_the_caller_may_see(app, client, night):
    # Two more calls from R's number would make three in 12 months with R; but the flag is stored
    # for everyone on the board to read, so R does not count, even when the supervisor takes it.
    second = new_incident(client, night.chef)
    third = new_incident(client, night.chef)
    assert "escalation_pattern" not in third["flags"]
    fourth = new_incident(client, night.other)
    assert "escalation_pattern" in fourth["flags"]  # second, third and this one
    # The supervisor still sees R among the earlier incidents; the others do not.
    listed = client.get(f"/api/v1/incidents/{fourth['id']}", headers=night.chef).get_json()
    assert night.incident["reference"] in [p["reference"] for p in listed["prior_incidents"]]
    listed = client.get(f"/api/v1/incidents/{fourth['id']}", headers=night.other).get_json()
    assert night.incident["reference"] not in [p["reference"] for p in listed["prior_incidents"]]
    assert second["id"] < third["id"]
    # The telephony token reads a call back as it sent it, whatever the centre knows of the number.
    make_user(app, "telefonie", "dispatcher")
    scoped = bearer(make_token(app, "telefonie", scopes=["intake"]))
    taken = client.post("/api/v1/incidents", json={"address": "Carnotstraat 12, 2060 Antwerpen",
                        "caller_phone": "0470 12 34 56"}, headers=scoped)  # fmt: skip
    assert taken.status_code == 201
    on_board = client.get(f"/api/v1/incidents/{taken.get_json()['id']}", headers=night.other)
    assert "escalation_pattern" in on_board.get_json()["flags"]  # three open ones before it
    assert taken.get_json()["flags"] == [] and taken.get_json()["priority"] == "P3"
    read = client.get(f"/api/v1/incidents/{taken.get_json()['id']}", headers=scoped).get_json()
    assert read["flags"] == [] and read["timeline"] == [] and read["priority"] == "P3"


def test_10_a_failed_login_never_keeps_what_was_typed_as_the_name(app):
    make_user(app, "an", "dispatcher")
    client = app.test_client()
    post_login(client, username="an")
    post_login(client, username="Geheim-Wachtwoord-123")
    with app.app_context():
        rows = db.session.execute(
            select(AuditEvent).where(AuditEvent.action == "login_failed").order_by(AuditEvent.id)
        ).scalars()
        known, unknown = list(rows)
        assert known.object_type == "user" and known.username == "an" and known.object_id
        assert unknown.username.startswith("unknown:")
        assert "Geheim" not in unknown.username and "geheim" not in unknown.username


def test_11_missing_and_not_yours_get_the_same_answer(app, client, night):
    make_user(app, "sarah", "officer")
    officer = bearer(make_token(app, "sarah"))
    not_mine = client.post(
        f"/api/v1/incidents/{night.incident['id']}/handover-notes", json=NOTE, headers=officer
    )
    missing = client.post("/api/v1/incidents/999999/handover-notes", json=NOTE, headers=officer)
    assert not_mine.status_code == missing.status_code == 404
    assert not_mine.get_json() == missing.get_json()
    elsewhere = new_incident(client, night.taker)
    other_unit = make_unit(app, call_sign="NT-12", phone="+32470000012")
    replaced = client.post(
        f"/api/v1/incidents/{elsewhere['id']}/assignments",
        json={"unit_id": other_unit, "replaces": night.assignment_id},
        headers=night.taker,
    )
    assert replaced.status_code == 404


def test_12_those_allowed_see_a_restricted_incident_whole(app, client, night):
    rid = night.incident["id"]
    for who in (night.chef, night.taker):
        body = client.get(f"/api/v1/incidents/{rid}", headers=who).get_json()
        assert body["flags"] == ["weapon"]
        assert body["lat"] == pytest.approx(51.2301) and body["lon"] == pytest.approx(4.4202)
        assert body["restricted"] is True
    row = client.get("/api/v1/incidents", headers=night.other).get_json()["items"][0]
    assert row["restricted"] is True and row["flags"] == [] and row["lat"] is None


def test_9_idempotency_keys_belong_to_one_client_and_a_replay_passes_the_guard(app, client):
    first, second = board(app, "d1"), board(app, "d2")
    call = {"address": "Carnotstraat 12, 2060 Antwerpen", "narrative": "Geroep."}
    key = {"Idempotency-Key": "call-0001"}
    made = client.post("/api/v1/incidents", json=call, headers=first | key)
    replay = client.post("/api/v1/incidents", json=call, headers=first | key)
    assert made.status_code == 201 and replay.status_code == 200
    assert replay.get_json()["id"] == made.get_json()["id"]
    # Another client with the same key and body gets its own incident, not the first one's.
    theirs = client.post("/api/v1/incidents", json=call, headers=second | key)
    assert theirs.status_code == 201 and theirs.get_json()["id"] != made.get_json()["id"]
    # ... and with a different body learns nothing about the first client's key.
    other_body = client.post("/api/v1/incidents", json={**call, "narrative": "x"}, headers=second
                             | {"Idempotency-Key": "call-0002"})  # fmt: skip
    assert other_body.status_code == 201
    chef = board(app, "chef", "supervisor")
    rid = made.get_json()["id"]
    restricted = client.post(
        f"/api/v1/incidents/{rid}/restriction", json={"reason": "collega betrokken"}, headers=chef
    )
    assert restricted.status_code == 200
    with app.app_context():
        before = db.session.execute(
            select(AuditEvent).where(AuditEvent.action == "view", AuditEvent.object_id == rid)
        ).all()
    again = client.post("/api/v1/incidents", json=call, headers=first | key)
    assert again.status_code == 200  # the caller took the call: involved, so still allowed
    with app.app_context():
        after = db.session.execute(
            select(AuditEvent).where(AuditEvent.action == "view", AuditEvent.object_id == rid)
        ).all()
    assert len(after) == len(before) + 1
    with app.app_context():
        stored = db.session.execute(select(Incident.idempotency_key)).scalars().all()
    assert "call-0001" not in stored


def test_6_every_response_with_case_data_is_audited(app, client):
    headers = board(app)
    incident = new_incident(client, headers)
    rid = incident["id"]

    def views() -> int:
        with app.app_context():
            return len(
                db.session.execute(
                    select(AuditEvent).where(
                        AuditEvent.action == "view",
                        AuditEvent.object_type == "incident",
                        AuditEvent.object_id == rid,
                    )
                ).all()
            )

    assert views() == 0  # the create itself is its own audit event
    assert client.patch(f"/api/v1/incidents/{rid}", json={}, headers=headers).status_code == 200
    assert views() == 1
    same = client.post(
        f"/api/v1/incidents/{rid}/priority",
        json={"priority": incident["priority"], "reason": "blijft"},
        headers=headers,
    )
    assert same.status_code == 200 and views() == 2
    assert client.get(f"/api/v1/incidents/{rid}", headers=headers).status_code == 200
    assert views() == 3  # once per response, not twice
    # The ranking (the incident's location, the victim's language) and its assignments too.
    assert (
        client.get(f"/api/v1/incidents/{rid}/recommendations", headers=headers).status_code == 200
    )
    assert views() == 4
    assert client.get(f"/api/v1/incidents/{rid}/assignments", headers=headers).status_code == 200
    assert views() == 5


def test_3_live_events_about_a_restricted_incident_go_whole_only_to_those_allowed(
    app, socket_client
):
    from core.realtime import NAMESPACE
    from tests.conftest import make_app
    from tests.dispatch.helpers import AUTH_TOKEN, PUBLIC, signed_post

    live = make_app(app.config["SQLALCHEMY_DATABASE_URI"])  # the Socket.IO server binds to it
    live.config.update(TWILIO_AUTH_TOKEN=AUTH_TOKEN, PUBLIC_BASE_URL=PUBLIC)
    client = live.test_client()
    partners(live)
    taker, chef = board(live), board(live, "chef", "supervisor")
    make_user(live, "d2", "dispatcher")
    incident = new_incident(client, taker, flags=["weapon"], lat=51.2301, lon=4.4202)
    rid = incident["id"]
    unit_id = make_unit(live)
    client.post(f"/api/v1/incidents/{rid}/assignments", json={"unit_id": unit_id}, headers=taker)
    consoles = {name: socket_client(live, name) for name in ("d2", "chef", "an")}
    assert all(c.is_connected(NAMESPACE) for c in consoles.values())

    log: dict[str, list[dict]] = {name: [] for name in consoles}

    def seen(name: str, event: str) -> list[dict]:
        """What a console keeps of each event, merged by event_id as console.js does."""
        log[name] += consoles[name].get_received(NAMESPACE)
        kept: dict[str, dict] = {}
        for received in log[name]:
            payload = received["args"][0]
            if received["name"] != event:
                continue
            key = payload.get("event_id") or str(len(kept))
            if key not in kept or kept[key].get("redacted"):
                kept[key] = payload
        return list(kept.values())

    def texted(body: str, sid: str) -> None:
        form = {"MessageSid": sid, "From": "+32470000011", "To": "+3230000000", "Body": body}
        assert signed_post(client, "/webhooks/twilio/sms", form).status_code == 200

    texted("slachtoffer Marie zit bij de buren", "SM1")
    assert seen("d2", "message.received")[-1]["text"] == "slachtoffer Marie zit bij de buren"
    restricted = client.post(
        f"/api/v1/incidents/{rid}/restriction", json={"reason": "collega betrokken"}, headers=chef
    )
    assert restricted.status_code == 200
    # The uninvolved dispatcher's queue row turns into the placeholder; the others keep it whole.
    row = {name: seen(name, "incident.updated")[-1] for name in consoles}
    assert row["d2"]["restricted"] is True and row["d2"]["redacted"] is True
    assert row["d2"]["flags"] == [] and row["d2"]["lat"] is None
    for name in ("chef", "an"):  # the supervisor, and the dispatcher who took the call
        assert row[name]["flags"] == ["weapon"] and row[name]["lat"] == pytest.approx(51.2301)
        assert row[name]["restricted"] is True and row[name]["redacted"] is False

    texted("Marie wil naar de opvang", "SM2")
    text = {name: seen(name, "message.received")[-1] for name in consoles}
    assert text["d2"]["text"] is None and text["d2"]["restricted"] is True
    assert text["chef"]["text"] == text["an"]["text"] == "Marie wil naar de opvang"
    for name in consoles:
        seen(name, "message.received")
        raw = str([r["args"] for r in log[name]])
        assert ("Marie wil naar de opvang" in raw) is (name != "d2")
    thread = client.get(f"/api/v1/incidents/{rid}/messages", headers=chef).get_json()
    assert "Marie wil naar de opvang" in [m["body"] for m in thread["items"]]


def test_5_officers_reach_an_incident_through_the_crew_not_their_current_unit(app, client, clock):
    from tests.handover.helpers import assign, people

    who = people(app)
    incident = new_incident(client, who["an"])
    rid = incident["id"]
    notes = f"/api/v1/incidents/{rid}/handover-notes"
    assign(app, rid, "sarah", call_sign="NT-11")  # sarah was on NT-11 when it was sent
    assert client.get(notes, headers=who["sarah"]).status_code == 200
    # Another officer joins NT-11 afterwards: being on the unit now opens nothing.
    make_user(app, "tom", "officer")
    tom = bearer(make_token(app, "tom"))
    with app.app_context():
        from accounts import service as accounts
        from dispatch.models import Assignment, UnitMember

        unit_id = db.session.execute(
            select(Assignment.unit_id).where(Assignment.incident_id == rid)
        ).scalar_one()
        db.session.add(UnitMember(unit_id=unit_id, user_id=accounts.user_by_name("tom").id))
        db.session.commit()
    assert client.get(notes, headers=tom).status_code == 404
    # The crew keeps access for OFFICER_ACCESS_GRACE_H (12) after the assignment ends, not after.
    released = client.post(
        f"/api/v1/assignments/{_assignment_id(app, rid)}/release",
        json={"reason": "terug naar de post"},
        headers=who["els"],
    )
    assert released.status_code == 200
    clock.advance(hours=11, minutes=59)
    assert client.get(notes, headers=who["sarah"]).status_code == 200
    clock.advance(minutes=2)
    assert client.get(notes, headers=who["sarah"]).status_code == 404


def _assignment_id(app, incident_id: int) -> int:
    from dispatch.models import Assignment

    with app.app_context():
        return db.session.execute(
            select(Assignment.id).where(Assignment.incident_id == incident_id)
        ).scalar_one()


def test_8_a_home_is_stored_encrypted_and_the_geocode_cache_forgets_it(app, client, runner, clock):
    from sqlalchemy import text

    from triage.models import GeocodeCacheEntry

    headers = board(app)
    incident = new_incident(client, headers, lat=51.230112, lon=4.420267)
    assert (incident["lat"], incident["lon"]) == (51.230112, 4.420267)  # the console still sees it
    with app.app_context():
        raw = db.session.execute(
            text("SELECT lat_secret, lon_secret, lat_coarse, lon_coarse FROM incident")
        ).one()
        assert "51.23" not in raw.lat_secret and "4.42" not in raw.lon_secret
        assert (raw.lat_coarse, raw.lon_coarse) == (51.23, 4.42)
        cached = db.session.execute(text("SELECT lat_secret FROM geocode_cache")).scalars().all()
        assert cached and all(value is None or "51." not in value for value in cached)
    # The cache keeps a geocoded address GEOCODE_CACHE_DAYS (30), no longer.
    clock.advance(days=29)
    assert runner.invoke(args=["retention", "run"]).exit_code == 0
    with app.app_context():
        assert db.session.execute(select(GeocodeCacheEntry)).scalars().all()
    clock.advance(days=2)
    assert "geocode_cache: 1" in runner.invoke(args=["retention", "run"]).output
    with app.app_context():
        assert db.session.execute(select(GeocodeCacheEntry)).scalars().all() == []


def test_13_the_unit_is_sent_the_structured_address_never_what_was_typed_around_it(app, client):
    headers = board(app)
    typed = "Carnotstraat 12 bus 3 (bellen bij Vandenbroucke Marieke), 2060 Antwerpen"
    incident = new_incident(
        client, headers, address=typed, access_notes="Achterdeur via de tuin, code 4411"
    )
    assert incident["address"] == typed  # the console keeps what was typed
    assert incident["sms_address"] == "Carnotstraat 12 bus 3, 2060"
    assert incident["access_notes"] == "Achterdeur via de tuin, code 4411"
    unit_id = make_unit(app)
    assigned = client.post(
        f"/api/v1/incidents/{incident['id']}/assignments",
        json={"unit_id": unit_id},
        headers=headers,
    )
    assert assigned.status_code == 201
    thread = client.get(f"/api/v1/incidents/{incident['id']}/messages", headers=headers)
    sms = thread.get_json()["items"][0]["body"]
    assert "Carnotstraat 12 bus 3, 2060" in sms
    assert "Vandenbroucke" not in sms and "bellen" not in sms and "4411" not in sms
    # Words typed before, after or instead of the street never reach the SMS; nor does a floor.
    for address, line in (
        ("Marieke Vandenbroucke Carnotstraat 14, 2060 Antwerpen", "Carnotstraat 14, 2060"),
        ("2e verdieping, Carnotstraat 12, 2060 Antwerpen", "Carnotstraat 12, 2060"),
        ("Vandenbroucke, Kiel 5 bus 3, 2020 Antwerpen", "2020 Antwerpen"),  # no official street
        ("Fam. Vandenbroucke Kiel 5", "2020 Antwerpen"),  # Kiel: a district, not a street
    ):
        assert new_incident(client, headers, address=address)["sms_address"] == line, address
    # An integration or the form may send the structured address; that is what the unit gets.
    given = new_incident(
        client,
        headers,
        address="Kiel 5 bus 3, 2020 Antwerpen",
        street="Kiel",
        house_number="5",
        box="3",
    )
    assert given["sms_address"] == "Kiel 5 bus 3, 2020"
    for field, value in (
        ("street", "Vandenbroucke 12 (bel)"),
        ("street", "Bellen bij Vandenbroucke Marieke"),
        ("street", "Fam Vandenbroucke achterdeur"),
        ("box", "Lena"),
    ):
        bad = client.post("/api/v1/incidents", json={field: value}, headers=headers)
        assert bad.status_code == 422 and field in bad.get_json()["fields"], value
