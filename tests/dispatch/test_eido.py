"""NENA EIDO (NENA-STA-021): exports valid against the shipped schema in every state, what they
keep out, persons only with a supervisor's legal basis, and received EIDOs taken as calls once."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from core.audit import AuditEvent
from core.db import db
from dispatch import eido, eido_schema, eido_service
from tests.conftest import bearer, make_token, make_user
from tests.dispatch.helpers import board, incident_with_unit
from tests.triage.helpers import new_incident
from triage.models import Incident

FORM = "application/x-www-form-urlencoded"
SAMPLE = json.loads(
    (Path(__file__).parent / "fixtures" / "eido_sample_call_transfer.json").read_text()
)
SECRET_ACCESS = "Code 4711 aan de achterdeur"
SECRET_STORY = "Hij dreigt met een mes, zegt de buurvrouw."


def _eido(client, headers, incident_id: int, **params):
    return client.get(f"/api/v1/incidents/{incident_id}/eido", headers=headers, query_string=params)


def _valid(document: dict) -> dict:
    assert eido_schema.errors(document) == []
    return document


def _unit_to(client, headers, unit_id: int, *states: str) -> None:
    for state in states:
        moved = client.post(
            f"/api/v1/units/{unit_id}/status", json={"status": state}, headers=headers
        )
        assert moved.status_code == 200, moved.get_json()


def _in_state(app, client, headers, state: str, **call) -> int:
    """An incident driven through the API to `state` (new … closed)."""
    if state == "new":
        return new_incident(client, headers, **call)["id"]
    incident, unit_id, _ = incident_with_unit(app, client, headers)
    if state in ("on_scene", "cleared", "closed"):
        _unit_to(client, headers, unit_id, "en_route", "on_scene")
    if state in ("cleared", "closed"):
        _unit_to(client, headers, unit_id, "available")
    if state == "closed":
        closed = client.post(
            f"/api/v1/incidents/{incident['id']}/close",
            json={"disposition": "resolved_on_scene"},
            headers=headers,
        )
        assert closed.status_code == 200, closed.get_json()
    return incident["id"]


# --- the schema --------------------------------------------------------------------------------


def test_the_shipped_sample_validates_and_an_empty_document_has_five_errors():
    assert eido_schema.errors(SAMPLE) == []
    found = eido_schema.errors({"eidoVersion": "1.0"})
    assert len(found) == 5
    assert all("required" in message for _, message in found)
    assert ("$.agencyComponent", "'agencyComponent' is a required property") in found


def test_the_schema_reads_the_niem_files_and_the_typo_as_minimum_one():
    broken = copy.deepcopy(SAMPLE)
    broken["agentComponent"][0]["agentRoleRegistryText"] = []  # minItems: "1," in the file
    person = broken["personComponent"][0]
    person["ncPersonComponent"] = {"name": [{"personFullName": ["not an object"]}]}  # nc.yaml
    paths = [path for path, _ in eido_schema.errors(broken)]
    assert "$.agentComponent[0].agentRoleRegistryText" in paths
    assert "$.personComponent[0].ncPersonComponent.name[0].personFullName[0]" in paths


# --- export --------------------------------------------------------------------------------------


@pytest.mark.parametrize("state", ["new", "dispatched", "on_scene", "cleared", "closed"])
def test_an_export_is_valid_in_every_state(app, client, state):
    headers = board(app)
    incident_id = _in_state(app, client, headers, state)
    response = _eido(client, headers, incident_id)
    assert response.status_code == 200, response.get_json()
    document = _valid(response.get_json())
    incident = document["incidentComponent"]
    assert incident["incidentStatusInternalText"] == [state]
    assert incident["internalIncidentId"].startswith("NW-")
    assert document["agencyComponent"][0]["$id"] == "politie.antwerpen.be"
    assert document["issuingElementIdentification"] == app.config["EXCHANGE_SENDER"]
    units = document.get("emergencyResourceComponent", [])
    assert len(units) == (0 if state == "new" else 1)
    notes = [n["notesActionComments"] for n in document["notesComponent"]]
    assert "incident.created: - -> new" in notes
    if state == "on_scene":
        assert units[0]["primaryUnitStatusRegistryText"] == "OnScene"
        assert "incident.status: dispatched -> on_scene" in notes


def test_an_export_carries_the_point_its_accuracy_and_time(app, client, clock):
    headers = board(app)
    fixed = clock.now() - dt.timedelta(minutes=2)
    incident = new_incident(
        client,
        headers,
        lat=51.2301,
        lon=4.4202,
        accuracy_m=35,
        located_at=fixed.isoformat(),
        location_source="aml",
    )
    document = _valid(_eido(client, headers, incident["id"]).get_json())
    where = document["locationComponent"][0]["locationByValue"]
    assert "<gml:pos>51.2301 4.4202</gml:pos>" in where
    assert '<gs:radius uom="urn:ogc:def:uom:EPSG::9001">35</gs:radius>' in where
    assert f"<dm:timestamp>{fixed.isoformat(timespec='seconds')}</dm:timestamp>" in where
    assert document["incidentComponent"]["locationReference"] == [
        {"$ref": document["locationComponent"][0]["$id"]}
    ]


def test_an_export_without_any_location_has_no_location(app, client):
    headers = board(app)
    incident = new_incident(client, headers, address=None, lat=None, lon=None)
    document = _valid(_eido(client, headers, incident["id"]).get_json())
    assert "locationComponent" not in document
    assert "locationReference" not in document["incidentComponent"]


def test_an_export_keeps_the_case_narrative_access_notes_phone_and_persons_out(app, client):
    headers = board(app)
    incident = new_incident(
        client, headers, access_notes=SECRET_ACCESS, narrative=SECRET_STORY, lat=51.2301, lon=4.4202
    )
    text = _eido(client, headers, incident["id"]).get_data(as_text=True)
    for secret in (SECRET_ACCESS, SECRET_STORY, "0470 12 34 56", "470123456", "Marie Peeters"):
        assert secret not in text
    assert "personComponent" not in json.loads(text)
    assert "Carnotstraat 12, 2060 Antwerpen" not in text  # the typed text; the structured stays


def test_a_restricted_incident_is_exported_to_a_supervisor_only(app, client):
    taker, chef, other = board(app), board(app, "chef", "supervisor"), board(app, "d2")
    incident, _, _ = incident_with_unit(app, client, taker)
    restricted = client.post(
        f"/api/v1/incidents/{incident['id']}/restriction",
        json={"reason": "collega betrokken"},
        headers=chef,
    )
    assert restricted.status_code == 200
    _valid(_eido(client, chef, incident["id"]).get_json())
    assert _eido(client, taker, incident["id"]).status_code == 404  # involved dispatcher
    assert _eido(client, other, incident["id"]).status_code == 404


def _exports(app) -> list[AuditEvent]:
    with app.app_context():
        query = select(AuditEvent).where(AuditEvent.action == "export").order_by(AuditEvent.id)
        return list(db.session.scalars(query))


def test_persons_need_a_supervisor_and_a_legal_basis_which_is_audited(app, client):
    dispatcher, chef = board(app), board(app, "chef", "supervisor")
    incident = new_incident(client, dispatcher)
    asked = {"include": "persons", "legal_basis": "art_458ter"}
    refused = _eido(client, dispatcher, incident["id"], **asked)
    assert refused.status_code == 403
    assert refused.get_json()["message"] == "Alleen een supervisor mag de personen exporteren."
    for basis in (None, "curiosity"):
        wrong = _eido(client, chef, incident["id"], include="persons", legal_basis=basis)
        assert wrong.status_code == 422
        assert wrong.get_json()["fields"]["legal_basis"].startswith("Kies een rechtsgrond")
    document = _valid(_eido(client, chef, incident["id"], **asked).get_json())
    [person] = document["personComponent"]
    assert person["personIncidentRoleRegistryText"] == ["Victim"]
    name = person["ncPersonComponent"]["name"][0]["personFullName"][0]["value"]
    assert name == "Marie Peeters"
    assert person["ncPersonComponent"]["primaryLanguage"][0]["languageCode"][0] == {
        "simpleType": "nld"
    }
    assert "0470" not in json.dumps(document)
    plain = _eido(client, chef, incident["id"]).get_json()
    assert "personComponent" not in plain
    assert [e.reason for e in _exports(app)] == ["art_458ter", None]


# --- import ------------------------------------------------------------------------------------


def _incidents(app) -> list[Incident]:
    with app.app_context():
        return list(db.session.scalars(select(Incident).order_by(Incident.id)))


def test_a_received_eido_is_taken_once(app, client):
    headers = board(app)
    first = client.post("/api/v1/eido", json=SAMPLE, headers=headers)
    assert first.status_code == 201, first.get_json()
    body = first.get_json()
    assert body["caller_phone"] == "8195551212"
    assert body["address"] == "W Cellular Street 42, Wilmington"
    assert [p["role"] for p in body["persons"]] == ["caller"]
    again = client.post("/api/v1/eido", json=SAMPLE, headers=headers)
    assert again.status_code == 200 and again.get_json()["id"] == body["id"]
    listed = client.get("/api/v1/incidents", headers=headers).get_json()
    assert [i["id"] for i in listed["items"]] == [body["id"]]
    [stored] = _incidents(app)
    assert stored.eido_id == eido.receipt_key(
        SAMPLE["updatedByAgencyReference"]["$ref"], SAMPLE["$id"]
    )
    # once taken, the incident is ours: exported under our id, never under the sender's
    exported = _eido(client, headers, body["id"]).get_json()
    assert exported["$id"] == eido.incident_urn(body["reference"], app.config["EXCHANGE_SENDER"])


def test_an_integration_with_scope_eido_may_send_one(app, client):
    board(app)
    token = make_token(app, "an", scopes=["eido"])
    response = client.post(
        "/api/v1/eido", json=SAMPLE, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 201, response.get_json()
    intake = make_token(app, "an", scopes=["intake"])
    refused = client.post(
        "/api/v1/eido", json=SAMPLE, headers={"Authorization": f"Bearer {intake}"}
    )
    assert refused.status_code == 403


def test_a_copy_that_lost_the_race_answers_the_winner(app, client, monkeypatch):
    headers = board(app)
    winner = client.post("/api/v1/eido", json=SAMPLE, headers=headers).get_json()
    real = eido_service._by_eido_id
    calls = []

    def first_look_misses(eido_id):  # as if the other copy committed just after this look
        calls.append(eido_id)
        return None if len(calls) == 1 else real(eido_id)

    monkeypatch.setattr(eido_service, "_by_eido_id", first_look_misses)
    loser = client.post("/api/v1/eido", json=SAMPLE, headers=headers)
    assert loser.status_code == 200 and loser.get_json()["id"] == winner["id"]
    assert len(_incidents(app)) == 1 and len(calls) == 2


def test_an_invalid_eido_is_422_with_the_schema_paths(app, client):
    headers = board(app)
    broken = copy.deepcopy(SAMPLE)
    del broken["agencyComponent"][0]["agencyType"]
    broken["callComponent"][0]["direction"] = "sideways"
    response = client.post("/api/v1/eido", json=broken, headers=headers)
    assert response.status_code == 422
    body = response.get_json()
    assert body["error"] == "validation_error"
    assert body["fields"]["$.agencyComponent[0].agencyType"] == (
        "'agencyType' is a required property"
    )
    assert "sideways" in body["fields"]["$.callComponent[0].direction"]
    assert _incidents(app) == []


def test_a_round_trip_keeps_the_location_and_its_accuracy(app, client, clock):
    headers = board(app)
    fixed = clock.now() - dt.timedelta(minutes=3)
    incident = new_incident(
        client,
        headers,
        lat=51.2301,
        lon=4.4202,
        accuracy_m=35,
        located_at=fixed.isoformat(),
        location_source="aml",
    )
    document = _from_elsewhere(_eido(client, headers, incident["id"]).get_json())
    taken = client.post("/api/v1/eido", json=document, headers=headers)
    assert taken.status_code == 201, taken.get_json()
    body = taken.get_json()
    assert body["id"] != incident["id"]
    assert (body["lat"], body["lon"], body["location_accuracy_m"]) == (51.2301, 4.4202, 35)
    assert body["location_source"] == "network"
    assert dt.datetime.fromisoformat(body["location_at"]) == fixed.replace(microsecond=0)
    assert body["narrative"].startswith(
        "[EIDO via an (token an-test), afzender example.org] incident.created"
    )


def _from_elsewhere(document: dict, eido_id: str = "urn:emergency:uid:incidentid:e-1:example.org"):
    """Our export as if another agency (example.org) had sent it."""
    text = json.dumps(document).replace("politie.antwerpen.be", "example.org")
    return {**json.loads(text), "$id": eido_id}


STAMP = {"lastUpdateTimeStamp": "2030-01-01T00:00:00Z", "updatedByAgencyReference": {"$ref": "x"}}


def _sample(eido_id: str = "urn:x:1", sender: str | None = None, notes=(), pidf=None, nc=None):
    """The shipped sample with another id, sender, notes, location or person details."""
    document = copy.deepcopy(SAMPLE)
    document["$id"] = eido_id
    if sender:
        document["updatedByAgencyReference"] = {"$ref": sender}
    if notes:
        document["notesComponent"] = [
            {"$id": f"n{i}", **STAMP, "notesActionComments": n} for i, n in enumerate(notes)
        ]
    if pidf is not None:
        document["locationComponent"][0]["locationByValue"] = pidf
    if nc is not None:
        document["personComponent"][0]["ncPersonComponent"] = nc
    return document


def _pidf(when: str) -> str:
    return (
        '<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:gml="http://www.opengis.net/gml"'
        ' xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model"><dm:device><gml:Point>'
        f"<gml:pos>51.2181 4.4101</gml:pos></gml:Point><dm:timestamp>{when}</dm:timestamp>"
        "</dm:device></presence>"
    )


@pytest.fixture
def ext(app):
    """An integration's token (scope eido) of user "ext"."""
    make_user(app, "ext", "dispatcher")
    return bearer(make_token(app, "ext", scopes=["eido"]))


def test_a_birth_year_in_other_digits_is_no_year(app, client, ext):
    person = {"birthDate": [{"year": [{"value": "²²²²"}]}]}  # superscript 2s
    taken = client.post("/api/v1/eido", json=_sample(nc=person), headers=ext)
    assert taken.status_code == 201, taken.get_json()
    assert [p["birth_year"] for p in taken.get_json()["persons"]] == [None]


@pytest.mark.parametrize("when", ["0001-01-01T00:00:00+14:00", "1999-12-31T23:00:00Z", "old"])
def test_a_fix_time_that_cannot_be_true_is_dropped_and_the_point_kept(client, ext, clock, when):
    if when == "old":  # older than intake takes a fix's time
        when = (clock.now() - dt.timedelta(days=3)).isoformat()
    taken = client.post("/api/v1/eido", json=_sample(pidf=_pidf(when)), headers=ext)
    assert taken.status_code == 201, taken.get_json()
    body = taken.get_json()
    assert (body["lat"], body["lon"], body["location_at"]) == (51.2181, 4.4101, None)


def test_the_same_id_from_another_sender_is_another_call(app, client, ext):
    first = client.post("/api/v1/eido", json=_sample(sender="a.example"), headers=ext)
    second = client.post("/api/v1/eido", json=_sample(sender="b.example"), headers=ext)
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.get_json()["id"] != second.get_json()["id"]


def test_the_same_id_and_sender_with_other_content_is_a_conflict(app, client, ext):
    first = client.post("/api/v1/eido", json=_sample(notes=["mes"]), headers=ext)
    assert first.status_code == 201
    again = client.post("/api/v1/eido", json=_sample(notes=["mes"]), headers=ext)
    assert again.status_code == 200 and again.get_json()["id"] == first.get_json()["id"]
    other = client.post("/api/v1/eido", json=_sample(notes=["geen gevaar meer"]), headers=ext)
    assert other.status_code == 409, other.get_json()
    assert other.get_json()["error"] == "conflict"
    assert other.get_json()["message"] == (
        "Deze afzender stuurde al een EIDO met dit id maar met een andere inhoud."
    )
    assert len(_incidents(app)) == 1


def test_our_own_export_sent_back_is_refused(app, client):
    headers = board(app, "chef", "supervisor")
    incident = new_incident(client, headers)
    exported = _eido(client, headers, incident["id"]).get_json()
    back = client.post("/api/v1/eido", json=exported, headers=headers)
    assert back.status_code == 422
    assert list(back.get_json()["fields"]) == ["$.$id"]
    renamed = {**exported, "$id": "urn:x:2"}  # another id, still our agency as the sender
    back = client.post("/api/v1/eido", json=renamed, headers=headers)
    assert list(back.get_json()["fields"]) == ["$.updatedByAgencyReference.$ref"]
    assert len(_incidents(app)) == 1


def test_the_narrative_names_who_really_sent_it(client, ext):
    forged = "geen gevaar meer\n[politie.antwerpen.be] niet sturen"
    document = _sample(sender="[politie.antwerpen.be]", notes=[forged])
    narrative = client.post("/api/v1/eido", json=document, headers=ext).get_json()["narrative"]
    prefix = "[EIDO via ext (token ext-test), afzender politie.antwerpen.be]"
    assert narrative.split("\n") == [
        f"{prefix} geen gevaar meer",
        f"{prefix} [politie.antwerpen.be] niet sturen",
    ]


def test_schema_errors_are_answered_short(client, ext):
    document = _sample()
    document["callComponent"][0]["direction"] = "Marie Peeters 0470123456 " * 1000
    document["agentComponent"] = [{"$id": i} for i in range(30)]  # 30 errors more
    body = client.post("/api/v1/eido", json=document, headers=ext).get_json()
    fields = body["fields"]
    paths = {path for path, _ in eido_schema.errors(document)}
    assert len(paths) > 40
    assert len(fields) == 21 and fields["…"] == f"en nog {len(paths) - 20} andere"
    assert max(len(m) for m in fields.values()) <= 200
    assert len(json.dumps(body)) < 10_000


@pytest.mark.parametrize("bad", ["\\ud800", "\\u0000"])  # a lone surrogate; NUL
def test_text_no_store_or_parser_takes_is_422(app, client, ext, bad):
    document = _sample(sender="MARK", pidf="<a><RD>MARK</RD></a>")
    raw = json.dumps(document).replace("MARK", f"x{bad}y")
    headers = {**ext, "Content-Type": "application/json"}
    refused = client.post("/api/v1/eido", data=raw, headers=headers)
    assert refused.status_code == 422, refused.status_code
    assert refused.get_json()["fields"] == {"body": "Moet geldige tekst zijn."}
    assert _incidents(app) == []


def test_a_transferred_call_leaves_held_handset_locations_for_our_own_intake(app, client, clock):
    make_user(app, "an", "dispatcher")
    make_user(app, "tel", "dispatcher")
    headers = bearer(make_token(app, "an"))
    telephony = bearer(make_token(app, "tel", scopes=["aml"]))
    number = "+32470123456"
    held = "v=1&device_number=%2B32470123456&location_latitude=51.2181&location_longitude=4.4101"
    held += f"&location_accuracy=8&location_time={int(clock.now().timestamp() * 1000)}"
    sent = client.post("/api/v1/aml", data=held, headers={**telephony, "Content-Type": FORM})
    assert sent.status_code == 201
    document = json.loads(json.dumps(SAMPLE).replace("tel:8195551212", f"tel:{number}"))
    received = client.post("/api/v1/eido", json=document, headers=headers)
    assert received.status_code == 201 and received.get_json()["caller_phone"] == number
    assert received.get_json()["location_source"] != "aml"  # another centre's call: not taken
    ours = new_incident(client, headers, caller_phone=number)  # our own caller: it is hers
    assert ours["location_source"] == "aml" and ours["location_accuracy_m"] == 8
