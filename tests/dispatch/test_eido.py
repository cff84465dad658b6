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
from dispatch import eido_schema, eido_service
from tests.conftest import make_token
from tests.dispatch.helpers import board, incident_with_unit
from tests.triage.helpers import new_incident
from triage.models import Incident

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
        query = select(AuditEvent).where(AuditEvent.action == "export")
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
        return list(db.session.scalars(select(Incident)))


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
    assert stored.eido_id == SAMPLE["$id"]


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
    document = _eido(client, headers, incident["id"]).get_json()
    document["$id"] = "urn:emergency:uid:incidentid:elsewhere-1:example.org"
    taken = client.post("/api/v1/eido", json=document, headers=headers)
    assert taken.status_code == 201, taken.get_json()
    body = taken.get_json()
    assert body["id"] != incident["id"]
    assert (body["lat"], body["lon"], body["location_accuracy_m"]) == (51.2301, 4.4202, 35)
    assert body["location_source"] == "network"
    assert dt.datetime.fromisoformat(body["location_at"]) == fixed.replace(microsecond=0)
    assert body["narrative"].startswith("[politie.antwerpen.be] incident.created")
