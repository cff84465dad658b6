"""The OASIS CAP 1.2 export: valid against the vendored schema in every state, a message history
Alert → Update → Cancel derived from the timeline, Brussels times, and no personal data."""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import xmlschema
from sqlalchemy import select

from core.audit import AuditEvent
from core.db import db
from dispatch import cap
from tests.dispatch.helpers import board, incident_with_unit, make_unit
from tests.triage.helpers import new_incident

ROOT = Path(__file__).resolve().parents[2]
XSD = ROOT / "dispatch" / "data" / "standards" / "CAP-v1.2.xsd"
EXAMPLE = Path(__file__).with_name("fixtures") / "cap_amber_alert_example.xml"
SENT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$")
NS = {"c": cap.NS}
SENDER = "nachtwacht@politie.antwerpen.be"
POINT = {"lat": 51.2192, "lon": 4.428}


@pytest.fixture(scope="module")
def schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(XSD))


def export(client, headers, incident_id: int, version: int | None = None):
    """GET the CAP export (the latest, or a version)."""
    query = f"?version={version}" if version is not None else ""
    return client.get(f"/api/v1/incidents/{incident_id}/cap{query}", headers=headers)


def valid(schema, response) -> ET.Element:
    """Assert a 200 CAP answer valid against the XSD; return its root element."""
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/cap+xml"
    schema.validate(response.get_data())  # raises with the schema's reason
    return ET.fromstring(response.get_data())


def text(root: ET.Element, path: str) -> str | None:
    """The text at a path of c:-prefixed CAP elements, or None."""
    found = root.find(path, NS)
    return None if found is None else found.text


def unit_to(client, headers, unit_id: int, status: str) -> None:
    """Move a unit (and with it the incident) through the API."""
    response = client.post(
        f"/api/v1/units/{unit_id}/status", json={"status": status}, headers=headers
    )
    assert response.status_code == 200, response.get_json()


def assign(client, headers, incident_id: int, unit_id: int) -> None:
    """Send a unit to the incident through the API (it becomes dispatched)."""
    path = f"/api/v1/incidents/{incident_id}/assignments"
    response = client.post(path, json={"unit_id": unit_id}, headers=headers)
    assert response.status_code == 201, response.get_json()


def close(client, headers, incident_id: int, note: str | None = None) -> None:
    """Close the incident through the API."""
    body = {"disposition": "resolved_on_scene", **({"note": note} if note else {})}
    response = client.post(f"/api/v1/incidents/{incident_id}/close", json=body, headers=headers)
    assert response.status_code == 200, response.get_json()


def test_the_shipped_example_validates_and_a_utc_z_time_does_not(schema):
    schema.validate(str(EXAMPLE))
    broken = EXAMPLE.read_text().replace("2003-06-11T22:39:00-07:00", "2003-06-12T05:39:00Z")
    assert not schema.is_valid(broken)


EXPECTED_BY_STATE = {  # status → (msgType, urgency, certainty)
    "new": ("Alert", "Immediate", "Likely"),
    "dispatched": ("Update", "Immediate", "Likely"),
    "on_scene": ("Update", "Immediate", "Observed"),
    "cleared": ("Update", "Past", "Observed"),
    "closed": ("Cancel", "Past", "Observed"),
}


@pytest.mark.parametrize("located", [True, False], ids=["with-location", "without-location"])
def test_every_state_of_an_incident_exports_valid_cap(app, client, clock, schema, located):
    headers = board(app)
    where = {**POINT, "accuracy_m": 35} if located else {"address": None}
    incident = new_incident(client, headers, **where)
    seen = [valid(schema, export(client, headers, incident["id"]))]
    unit_id = make_unit(app)
    clock.advance(minutes=2)
    assign(client, headers, incident["id"], unit_id)
    seen.append(valid(schema, export(client, headers, incident["id"])))
    for status in ("on_scene", "available"):
        clock.advance(minutes=5)
        unit_to(client, headers, unit_id, status)
        seen.append(valid(schema, export(client, headers, incident["id"])))
    clock.advance(minutes=5)
    close(client, headers, incident["id"])
    seen.append(valid(schema, export(client, headers, incident["id"])))
    got = [
        (text(r, "c:msgType"), text(r, "c:info/c:urgency"), text(r, "c:info/c:certainty"))
        for r in seen
    ]
    assert got == list(EXPECTED_BY_STATE.values())
    area = seen[-1].find("c:info/c:area", NS)
    if located:
        assert text(area, "c:circle") == "51.219,4.428 0.250"  # coarse: 3 decimals, >= 250 m
        assert text(area, "c:areaDesc") == f"{incident['district']} {incident['postcode']}"
    else:
        assert text(area, "c:circle") is None and text(area, "c:areaDesc") == "onbekend"


def test_the_history_runs_alert_updates_cancel_each_referencing_exactly_the_earlier_ones(
    app, client, clock, schema
):
    headers = board(app)
    incident, unit_id, _ = incident_with_unit(app, client, headers)
    clock.advance(minutes=1)
    raised = client.post(
        f"/api/v1/incidents/{incident['id']}/priority",
        json={"priority": "P1", "reason": "wapen gezien"},
        headers=headers,
    )
    assert raised.status_code == 200, raised.get_json()
    clock.advance(minutes=1)
    pinned = client.patch(
        f"/api/v1/incidents/{incident['id']}",
        json={"lat": 51.2201, "lon": 4.4301, "location_source": "manual"},
        headers=headers,
    )
    assert pinned.status_code == 200, pinned.get_json()
    for status in ("on_scene", "available"):
        clock.advance(minutes=5)
        unit_to(client, headers, unit_id, status)
    close(client, headers, incident["id"])

    latest = valid(schema, export(client, headers, incident["id"]))
    count = int(text(latest, "c:identifier").rsplit("-", 1)[1])
    versions = [valid(schema, export(client, headers, incident["id"], n + 1)) for n in range(count)]
    types = [text(v, "c:msgType") for v in versions]
    # created, dispatched, P1, pinned, on scene, cleared, closed
    assert types == ["Alert"] + ["Update"] * 5 + ["Cancel"]
    assert ET.tostring(versions[-1]) == ET.tostring(latest)
    assert [text(v, "c:info/c:severity") for v in versions] == ["Minor"] * 2 + ["Severe"] * 5
    for n, version in enumerate(versions):
        earlier = [f"{SENDER},{text(v, 'c:identifier')},{text(v, 'c:sent')}" for v in versions[:n]]
        listed = text(version, "c:references")
        assert (listed.split(" ") if listed else []) == earlier
    identifiers = [text(v, "c:identifier") for v in versions]
    assert identifiers == [f"{incident['reference']}-{n}" for n in range(1, count + 1)]
    assert all(" " not in i and "," not in i for i in identifiers)


def test_version_one_stays_the_alert_and_a_missing_version_is_404(app, client, clock, schema):
    headers = board(app)
    incident, unit_id, _ = incident_with_unit(app, client, headers)
    first = export(client, headers, incident["id"], 1).get_data()
    clock.advance(minutes=10)
    unit_to(client, headers, unit_id, "on_scene")
    again = valid(schema, export(client, headers, incident["id"], 1))
    assert ET.tostring(again) == ET.tostring(ET.fromstring(first))
    assert text(again, "c:msgType") == "Alert" and text(again, "c:references") is None
    assert text(again, "c:info/c:certainty") == "Likely"  # as it was, before anyone was there
    missing = export(client, headers, incident["id"], 4)
    assert missing.status_code == 404 and missing.get_json()["error"] == "not_found"
    assert export(client, headers, incident["id"], 0).status_code == 422
    assert export(client, headers, incident["id"], "drie").status_code == 422
    assert export(client, headers, 999999).status_code == 404


@pytest.mark.parametrize(("month", "offset"), [(7, "+02:00"), (1, "+01:00")])
def test_sent_is_brussels_time_with_an_offset_in_summer_and_winter(
    app, client, clock, schema, month, offset
):
    year = clock.now().year + (1 if month == 1 else 0)  # July this year, January next year
    clock.set(dt.datetime(year, month, 15, 12, 0, 7, 654321, tzinfo=dt.UTC))
    headers = board(app)
    incident = new_incident(client, headers)
    sent = text(valid(schema, export(client, headers, incident["id"])), "c:sent")
    hour = 14 if month == 7 else 13
    assert SENT.match(sent) and sent == f"{year}-{month:02d}-15T{hour}:00:07{offset}"


def test_an_exercise_incident_is_sent_as_exercise(app, client, clock, schema):
    headers = board(app)
    drill = new_incident(client, headers, exercise=True)
    real = new_incident(client, headers)
    assert text(valid(schema, export(client, headers, drill["id"])), "c:status") == "Exercise"
    assert text(valid(schema, export(client, headers, real["id"])), "c:status") == "Actual"


def test_a_restricted_incident_is_exported_only_to_a_supervisor(app, client, clock, schema):
    headers = board(app)  # "an" took the call: involved
    chef = board(app, "chef", "supervisor")
    other = board(app, "d2")
    incident = new_incident(client, headers)
    restricted = client.post(
        f"/api/v1/incidents/{incident['id']}/restriction",
        json={"reason": "collega betrokken"},
        headers=chef,
    )
    assert restricted.status_code == 200
    root = valid(schema, export(client, chef, incident["id"]))
    assert text(root, "c:scope") == "Restricted" and text(root, "c:restriction")
    assert "collega" not in ET.tostring(root, encoding="unicode")
    for who in (headers, other):
        refused = export(client, who, incident["id"])
        assert refused.status_code == 404 and refused.get_json()["error"] == "not_found"


def test_the_export_is_audited(app, client, clock):
    headers = board(app)
    incident = new_incident(client, headers)
    assert export(client, headers, incident["id"]).status_code == 200
    with app.app_context():
        rows = db.session.execute(
            select(AuditEvent).where(AuditEvent.action == "export").order_by(AuditEvent.id)
        ).scalars()
        assert [(r.object_type, r.object_id, r.username) for r in rows] == [
            ("incident", incident["id"], "an")
        ]


PERSONAL = {
    "address": "Carnotstraat 917 bus 42, 2060 Antwerpen",
    "access_notes": "Poortcode 4417 hekje links",
    "caller_phone": "0479 86 42 13",
    "narrative": "Quirijn Vandermeulenbroeck dreigt met een mes",
    "persons": [
        {"role": "victim", "name": "Zoë Heylighenbosch", "age": 41, "language": "nl"},
        {"role": "suspect", "name": "Quirijn Vandermeulenbroeck", "age": 44, "language": "nl"},
    ],
}
DISTINCT = [
    "Carnotstraat",
    "917",
    "bus 42",
    "Poortcode",
    "4417",
    "0479",
    "86 42 13",
    "Quirijn",
    "Vandermeulenbroeck",
    "Zoë",
    "Heylighenbosch",
    "dreigt",
    "Lindeboomgaard",
    "Ysaline",
    "51.2181",  # the door, to 4 decimals or more (the circle's centre has 3: 51.218)
    "4.4101",
    "0.005",  # the 5 m accuracy
]


def test_no_personal_data_in_any_version(app, client, clock, schema):
    headers = board(app)
    door = {"lat": 51.21812, "lon": 4.41013, "accuracy_m": 5, "location_source": "caller"}
    incident = new_incident(client, headers, **PERSONAL, **door)
    unit_id = make_unit(app)
    assign(client, headers, incident["id"], unit_id)
    corrected = client.patch(
        f"/api/v1/incidents/{incident['id']}",
        json={"address": "Lindeboomgaard 917, 2060 Antwerpen", "narrative": "Ysaline belt terug"},
        headers=headers,
    )
    assert corrected.status_code == 200, corrected.get_json()
    unit_to(client, headers, unit_id, "available")
    close(client, headers, incident["id"], note="Zoë logeert bij Ysaline")
    latest = valid(schema, export(client, headers, incident["id"]))
    count = int(text(latest, "c:identifier").rsplit("-", 1)[1])
    assert count >= 4  # alert, dispatched, moved, cleared, cancel: every kind of message checked
    for n in range(1, count + 1):
        xml = export(client, headers, incident["id"], n).get_data(as_text=True)
        assert [s for s in DISTINCT if s in xml] == []


def test_sent_leaves_out_fractions_and_works_in_any_zone():
    at = dt.datetime(2030, 7, 1, 21, 59, 59, 999999, tzinfo=dt.UTC)
    assert cap.cap_time(at) == "2030-07-01T23:59:59+02:00"
    assert cap.cap_time(at, dt.timezone(dt.timedelta(hours=-3, minutes=-30))) == (
        "2030-07-01T18:29:59-03:30"
    )


def test_history_skips_what_a_receiver_does_not_act_on():
    t = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    facts = cap.Facts(reference="NW-2030-000001", status="new", priority="P2")
    changes = [
        cap.Change(t, "flag.order_breached", "P3", "P2"),  # at intake, before the Alert
        cap.Change(t, "incident.created", None, "new", {"priority": "P2"}),
        cap.Change(t, "flag.escalation_pattern", "P2", "P2"),  # no change of priority
        cap.Change(t, "incident.corrected", data={"fields": ["narrative", "caller_phone"]}),
        cap.Change(t, "sms.sent"),
        cap.Change(t, "location.aml", "street", "street", {"applied": False}),  # kept the point
        cap.Change(t, "incident.corrected", data={"fields": ["structured_address"]}),
        cap.Change(t, "location.aml", "street", "exact", {"applied": True}),  # moved it
    ]
    assert [m.msg_type for m in cap.history(changes, facts)] == ["Alert", "Update", "Update"]
    assert cap.history(changes[:1], facts) == []


def test_a_priority_changed_by_a_correction_gets_its_own_message(app, client, clock, schema):
    headers = board(app)
    incident = new_incident(client, headers)
    first = export(client, headers, incident["id"]).get_data()
    clock.advance(minutes=3)
    patched = client.patch(
        f"/api/v1/incidents/{incident['id']}", json={"flags": ["weapon"]}, headers=headers
    )
    assert patched.status_code == 200 and patched.get_json()["priority"] == "P1"
    latest = valid(schema, export(client, headers, incident["id"]))
    assert text(latest, "c:identifier") == f"{incident['reference']}-2"
    assert (text(latest, "c:msgType"), text(latest, "c:info/c:severity")) == ("Update", "Severe")
    assert text(latest, "c:sent") == cap.cap_time(clock.now())
    assert export(client, headers, incident["id"], 1).get_data() == first  # v1 as it was


def test_history_reads_priorities_from_corrections_and_received_eidos():
    t = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    facts = cap.Facts(reference="NW-2030-000001", status="new", priority="P1")
    changes = [
        cap.Change(t, "incident.created", None, "new", {"priority": "P3"}),
        cap.Change(t, "eido.received", "P3", "P2"),
        cap.Change(t, "incident.corrected", "P2", "P1", {"fields": ["flags"]}),
    ]
    assert [(m.msg_type, m.priority) for m in cap.history(changes, facts)] == [
        ("Alert", "P3"),
        ("Update", "P2"),
        ("Update", "P1"),
    ]


def test_history_catches_up_with_a_change_no_line_names_and_never_rewrites_one():
    t = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    later = t + dt.timedelta(minutes=5)
    facts = cap.Facts(reference="NW-2030-000001", status="new", priority="P1", updated_at=later)
    changes = [
        cap.Change(t, "incident.created", None, "new", {"priority": "P3"}),
        cap.Change(t, "incident.corrected", data={"fields": ["flags"]}),  # no new priority given
    ]
    assert cap.history(changes, facts) == [
        cap.Message(1, "Alert", t, "new", "P3"),
        cap.Message(2, "Update", later, "new", "P1"),
    ]
    closed = [*changes, cap.Change(later, "incident.closed", "new", "closed")]
    assert [m.msg_type for m in cap.history(closed, facts)] == ["Alert", "Cancel"]


def test_a_sender_with_spaces_or_commas_keeps_references_readable(app, client, clock, schema):
    app.config["EXCHANGE_SENDER"] = "Politie Antwerpen, Nachtwacht"
    headers = board(app)
    incident, unit_id, _ = incident_with_unit(app, client, headers)
    latest = valid(schema, export(client, headers, incident["id"]))
    assert text(latest, "c:sender") == "Politie_Antwerpen__Nachtwacht"
    [reference] = text(latest, "c:references").split(" ")
    assert reference.split(",")[:2] == [
        "Politie_Antwerpen__Nachtwacht",
        f"{incident['reference']}-1",
    ]
