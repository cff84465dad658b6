"""The officer's phone page and its API (issue 18): the crew's assignment with what a crew needs
at the door, status buttons with the SMS codes' effect, NOOD, the phone's position, live refresh."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from accounts import service as accounts
from core.audit import AuditEvent
from core.db import db
from core.realtime import NAMESPACE
from dispatch.models import Assignment, Unit, UnitMember, UnitStatus
from tests.conftest import bearer, csrf_token, ctx, login, make_token, make_user
from tests.dispatch.helpers import AUTH_TOKEN, PUBLIC, board, make_unit, signed_post, unit_status
from tests.triage.helpers import new_incident

CALL = {
    "address": "Carnotstraat 12, 2060 Antwerpen",
    "street": "Carnotstraat",
    "house_number": "12",
    "box": "3",
    "access_notes": "Bel 3 werkt niet: achterdeur via de Dambruggestraat",
    "lat": 51.2185,
    "lon": 4.4245,
    "flags": ["weapon"],
    "persons": [
        {"role": "victim", "name": "Samira Benali", "age": 29, "language": "ar"},
        {"role": "suspect", "name": "Karim Benali", "age": 33},
    ],
    "narrative": "Buren horen geroep; hij heeft een mes.",
}
SECRETS = ("Samira", "Benali", "geroep", "mes.")  # names and narrative: never on the phone


@dataclass
class Night:
    """An incident sent to NT-11 (sarah's crew); tom is on NT-12."""

    incident: dict
    unit_id: int
    other_unit_id: int
    assignment_id: int
    an: dict[str, str]
    sarah: dict[str, str]
    tom: dict[str, str]


def crewed(app, call_sign: str, phone: str, officer: str, **kw) -> int:
    """A unit with the officer on it."""
    unit_id = make_unit(app, call_sign=call_sign, phone=phone, **kw)
    with ctx(app):
        db.session.add(UnitMember(unit_id=unit_id, user_id=accounts.user_by_name(officer).id))
    return unit_id


@pytest.fixture
def night(app, client, clock) -> Night:
    an = board(app)
    for name in ("sarah", "tom"):
        make_user(app, name, "officer")
    unit_id = crewed(app, "NT-11", "+32470000011", "sarah", languages=("nl", "fr"))
    other = crewed(app, "NT-12", "+32470000012", "tom")
    incident = new_incident(client, an, **CALL)
    sent = client.post(
        f"/api/v1/incidents/{incident['id']}/assignments", json={"unit_id": unit_id}, headers=an
    )
    assert sent.status_code == 201, sent.get_json()
    return Night(
        incident,
        unit_id,
        other,
        sent.get_json()["id"],
        an,
        bearer(make_token(app, "sarah")),
        bearer(make_token(app, "tom")),
    )


def me(client, headers) -> dict:
    response = client.get("/api/v1/me/assignment", headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def report(client, headers, code: str, **extra):
    return client.post("/api/v1/me/report", json={"code": code, **extra}, headers=headers)


def test_the_api_shows_the_crew_what_it_needs_at_the_door_and_nothing_more(client, night):
    view = me(client, night.sarah)
    assert view["unit"]["call_sign"] == "NT-11" and view["unit"]["status"] == "assigned"
    [a] = view["assignments"]
    assert (a["id"], a["reference"], a["priority"]) == (
        night.assignment_id,
        night.incident["reference"],
        night.incident["priority"],
    )
    assert (a["street"], a["number"], a["box"]) == ("Carnotstraat", "12", "3")
    assert "Carnotstraat 12" in a["address"] and a["postcode"] == "2060"
    assert a["geo"] == "geo:51.218500,4.424500?q=51.218500,4.424500"
    assert a["access_notes"] == CALL["access_notes"]
    assert [(f["code"], f["label"]) for f in a["flags"]] == [("weapon", "Wapen")]
    assert [lang["code"] for lang in a["languages"]] == ["ar"]
    assert a["languages"][0]["label"] == "Arabisch"
    assert a["interpreter_needed"] is True  # NT-11 speaks nl and fr
    assert a["note_url"] == f"/incidents/{night.incident['id']}/note"
    text = client.get("/api/v1/me/assignment", headers=night.sarah).get_data(as_text=True)
    assert not [s for s in SECRETS if s in text]
    assert me(client, night.tom)["assignments"] == []  # another crew sees nothing of it


def test_the_page_shows_the_assignment_flags_and_access_notes(app, night):
    page = app.test_client()
    login(page, "sarah")
    html = page.get("/unit").get_data(as_text=True)
    assert night.incident["reference"] in html and "NT-11" in html
    assert re.search(r'data-flag="weapon"[^>]*>\s*Wapen', html)
    assert "Bel 3 werkt niet: achterdeur via de Dambruggestraat" in html
    assert 'href="geo:51.218500,4.424500?q=51.218500,4.424500"' in html
    assert "Tolk nodig" in html and "Arabisch" in html
    assert f'href="/incidents/{night.incident["id"]}/note"' in html
    for label in ("Ontvangen", "Onderweg", "Ter plaatse", "Vrij", "NOOD", "Deel mijn positie"):
        assert label in html
    assert 'rel="manifest" href="/manifest.webmanifest"' in html
    assert not [s for s in SECRETS if s in html]
    one = page.get(f"/unit/assignments/{night.assignment_id}")
    assert one.status_code == 200 and 'data-flag="weapon"' in one.get_data(as_text=True)


def test_another_crews_officer_gets_404_on_the_assignment(app, client, night):
    page = app.test_client()
    login(page, "tom")
    assert page.get(f"/unit/assignments/{night.assignment_id}").status_code == 404
    path = f"/api/v1/me/assignments/{night.assignment_id}"
    mine, theirs = client.get(path, headers=night.sarah), client.get(path, headers=night.tom)
    assert mine.status_code == 200 and theirs.status_code == 404
    missing = client.get("/api/v1/me/assignments/999999", headers=night.tom)
    assert theirs.get_json() == missing.get_json()
    taken = report(client, night.tom, "ack", assignment_id=night.assignment_id)
    assert taken.status_code == 404 and unit_status(app, night.unit_id) == "assigned"


def test_after_the_grace_period_the_crew_gets_404(app, client, clock, night):
    for code in ("ack", "clear"):
        assert report(client, night.sarah, code).status_code == 200
    path = f"/api/v1/me/assignments/{night.assignment_id}"
    view = me(client, night.sarah)
    assert view["assignments"] == [] and [r["id"] for r in view["recent"]] == [night.assignment_id]
    clock.advance(hours=11, minutes=59)
    assert client.get(path, headers=night.sarah).get_json()["assignments"][0]["active"] is False
    clock.advance(minutes=2)
    assert client.get(path, headers=night.sarah).status_code == 404
    assert me(client, night.sarah)["recent"] == []
    page = app.test_client()
    login(page, "sarah")
    assert page.get(f"/unit/assignments/{night.assignment_id}").status_code == 404


def walk(app, unit_id: int, incident_id: int, send) -> list[tuple[str, str, str]]:
    """Each code in turn; after each, the unit's, the assignment's and the incident's state."""
    from triage.models import Incident

    seen = []
    for code in ("ack", "en_route", "on_scene", "clear"):
        send(code)
        with app.app_context():
            assignment = db.session.execute(
                select(Assignment).where(Assignment.unit_id == unit_id)
            ).scalar_one()
            incident = db.session.get(Incident, incident_id)
            seen.append((unit_status(app, unit_id), str(assignment.status), str(incident.status)))
    return seen


def test_report_buttons_move_the_unit_exactly_like_sms(app, client, night, monkeypatch):
    monkeypatch.setitem(app.config, "TWILIO_AUTH_TOKEN", AUTH_TOKEN)
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", PUBLIC)
    by_sms = new_incident(client, night.an, address="Turnhoutsebaan 10, 2140 Borgerhout")
    path = f"/api/v1/incidents/{by_sms['id']}/assignments"
    assert client.post(path, json={"unit_id": night.other_unit_id}, headers=night.an).status_code
    words = {"ack": "OK", "en_route": "ONDERWEG", "on_scene": "TERPLAATSE", "clear": "VRIJ"}
    texts = iter(range(100))

    def sms(code: str) -> None:
        params = {"MessageSid": f"SM{next(texts)}", "From": "+32470000012", "To": "+3230000000"}
        assert (
            signed_post(client, "/webhooks/twilio/sms", {**params, "Body": words[code]}).status_code
            == 200
        )

    def button(code: str) -> None:
        response = report(client, night.sarah, code, assignment_id=night.assignment_id)
        assert response.status_code == 200, response.get_json()
        assert response.get_json()["code"] == code

    expected = [
        ("acknowledged", "active", "dispatched"),
        ("en_route", "active", "dispatched"),
        ("on_scene", "active", "on_scene"),
        ("available", "cleared", "cleared"),
    ]
    assert walk(app, night.unit_id, night.incident["id"], button) == expected
    assert walk(app, night.other_unit_id, by_sms["id"], sms) == expected


def test_a_move_the_unit_cannot_make_is_a_409_with_a_dutch_message(app, client, night):
    assert report(client, night.sarah, "on_scene").status_code == 200
    refused = report(client, night.sarah, "en_route")
    body = refused.get_json()
    assert refused.status_code == 409 and body["error"] == "conflict" and body["fields"]
    assert "ter plaatse" in body["message"] and unit_status(app, night.unit_id) == "on_scene"
    assert report(client, night.sarah, "ack").get_json()["checked_in"] is True  # all well
    bad = report(client, night.sarah, "vrij")
    assert bad.status_code == 422 and "code" in bad.get_json()["fields"]


def test_nood_raises_a_critical_alarm_for_the_dispatchers(client, night):
    sent = report(client, night.sarah, "distress", assignment_id=night.assignment_id)
    assert sent.status_code == 200 and sent.get_json()["assignment_id"] == night.assignment_id
    alarms = client.get("/api/v1/alarms", headers=night.an).get_json()["alarms"]
    [alarm] = [a for a in alarms if a["kind"] == "distress"]
    assert alarm["severity"] == "critical" and alarm["reference"] == night.incident["reference"]


def test_an_officer_on_no_unit_is_told_so(app, client, night):
    make_user(app, "lotte", "officer")
    lotte = bearer(make_token(app, "lotte"))
    refused = report(client, lotte, "ack")
    assert refused.status_code == 409 and "niet in een ploeg" in refused.get_json()["message"]
    assert me(client, lotte) == {"unit": None, "assignments": [], "recent": []}


def position(client, headers, **body):
    return client.post(
        "/api/v1/me/position",
        json={"lat": 51.2, "lon": 4.41, "accuracy_m": 12, **body},
        headers=headers,
    )


def test_the_phones_position_is_recorded_while_on_duty(app, client, clock, night):
    assert report(client, night.sarah, "en_route").status_code == 200
    response = position(client, night.sarah, lat=51.2301, lon=4.4102, accuracy_m=18.5)
    assert response.status_code == 200, response.get_json()
    with app.app_context():
        unit = db.session.get(Unit, night.unit_id)
        assert (unit.lat, unit.lon) == (pytest.approx(51.2301), pytest.approx(4.4102))
        assert unit.position_accuracy_m == pytest.approx(18.5)
        assert unit.position_at == clock.now()


def test_an_off_duty_units_position_is_refused_and_nonsense_is_422(app, client, night):
    with ctx(app):
        db.session.get(Unit, night.other_unit_id).status = UnitStatus.OFF_DUTY
    refused = position(client, night.tom)
    assert refused.status_code == 409 and refused.get_json()["fields"]
    for field, value in (("lat", 91), ("lon", -181), ("accuracy_m", 0), ("accuracy_m", -3)):
        bad = position(client, night.sarah, **{field: value})
        assert bad.status_code == 422 and field in bad.get_json()["fields"], (field, value)
    with app.app_context():
        assert db.session.get(Unit, night.other_unit_id).lat != pytest.approx(51.2)
        assert db.session.get(Unit, night.unit_id).lat != pytest.approx(51.2)


def test_every_read_of_the_case_is_audited(app, client, night):
    def views() -> list[str]:
        with app.app_context():
            rows = db.session.execute(
                select(AuditEvent.username).where(
                    AuditEvent.action == "view",
                    AuditEvent.object_type == "incident",
                    AuditEvent.object_id == night.incident["id"],
                )
            )
            return [name for name in rows.scalars() if name == "sarah"]

    me(client, night.sarah)
    assert len(views()) == 1
    client.get(f"/api/v1/me/assignments/{night.assignment_id}", headers=night.sarah)
    assert len(views()) == 2
    page = app.test_client()
    login(page, "sarah")
    page.get("/unit")
    page.get(f"/unit/assignments/{night.assignment_id}")
    assert len(views()) == 4


def test_officer_refresh_reaches_the_crew_and_no_other_officer(app, client, night, socket_client):
    sarah, tom = socket_client(app, "sarah"), socket_client(app, "tom")
    assert sarah.is_connected(NAMESPACE) and tom.is_connected(NAMESPACE)
    for sock in (sarah, tom):
        sock.get_received(NAMESPACE)
    corrected = client.patch(
        f"/api/v1/incidents/{night.incident['id']}",
        json={"access_notes": "Code 4711 aan de achterdeur"},
        headers=night.an,
    )
    assert corrected.status_code == 200, corrected.get_json()
    refreshes = [e for e in sarah.get_received(NAMESPACE) if e["name"] == "officer.refresh"]
    assert refreshes and all(
        e["args"][0] == {"incident_id": night.incident["id"]} for e in refreshes
    )
    assert [e for e in tom.get_received(NAMESPACE) if e["name"] == "officer.refresh"] == []
    assert (
        me(client, night.sarah)["assignments"][0]["access_notes"] == "Code 4711 aan de achterdeur"
    )
    # A unit's status change without an incident reaches its officers too (off duty: no sharing).
    assert report(client, night.tom, "clear").status_code == 409  # NT-12 is available already
    with ctx(app):
        db.session.get(Unit, night.other_unit_id).status = UnitStatus.AVAILABLE
    off = client.post(
        f"/api/v1/units/{night.other_unit_id}/status", json={"status": "off_duty"}, headers=night.an
    )
    assert off.status_code == 200, off.get_json()
    got = [e["args"][0] for e in tom.get_received(NAMESPACE) if e["name"] == "officer.refresh"]
    assert got == [{"incident_id": None}]
    assert [e for e in sarah.get_received(NAMESPACE) if e["name"] == "officer.refresh"] == []


def test_a_report_that_moves_unit_and_incident_refreshes_each_phone_once(
    app, client, night, socket_client
):
    sarah, tom = socket_client(app, "sarah"), socket_client(app, "tom")
    for sock in (sarah, tom):
        sock.get_received(NAMESPACE)
    # On scene moves the unit (unit.status) and the incident (incident.updated): one request,
    # one transaction, so one refresh of the crew's phone about the incident, not one per event.
    assert report(client, night.sarah, "on_scene").status_code == 200
    got = [e["args"][0] for e in sarah.get_received(NAMESPACE) if e["name"] == "officer.refresh"]
    assert got == [{"incident_id": night.incident["id"]}]
    assert [e for e in tom.get_received(NAMESPACE) if e["name"] == "officer.refresh"] == []


def test_a_new_call_asks_nothing_about_crews(app, client, night, monkeypatch):
    from triage import links

    asked: list[int] = []
    real = app.extensions[links._KEY]

    def officers(incident_ids: set[int], unit_ids: set[int]):
        asked.extend(sorted(incident_ids))
        return real.officers(incident_ids, unit_ids)

    spy = dataclasses.replace(real, officers=officers)
    monkeypatch.setitem(app.extensions, links._KEY, spy)
    new_incident(client, night.an, address="Kiel 5, 2020 Antwerpen")
    assert asked == []  # intake: no crew, no question
    client.patch(
        f"/api/v1/incidents/{night.incident['id']}",
        json={"access_notes": "Code 4711"},
        headers=night.an,
    )
    assert asked == [night.incident["id"]]


def test_pages_and_answers_are_not_stored(app, client, night):
    page = app.test_client()
    login(page, "sarah")
    for response in (
        page.get("/unit"),
        page.get(f"/unit/assignments/{night.assignment_id}"),
        client.get("/api/v1/me/assignment", headers=night.sarah),
        report(client, night.sarah, "ack"),
        position(client, night.sarah),
    ):
        assert response.status_code == 200, response.request.path
        assert response.headers["Cache-Control"] == "no-store"


def test_the_manifest_puts_the_unit_page_on_the_home_screen(client):
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200 and response.mimetype == "application/manifest+json"
    manifest = response.get_json(force=True)
    assert (manifest["name"], manifest["start_url"], manifest["display"]) == (
        "Nachtwacht",
        "/unit",
        "standalone",
    )
    [icon] = manifest["icons"]
    assert client.get(icon["src"]).status_code == 200


def test_reports_and_positions_are_rate_limited_but_nood_never(app, client, night, monkeypatch):
    monkeypatch.setitem(app.config, "OFFICER_POSITION_RATE_LIMIT", "2 per minute")
    monkeypatch.setitem(app.config, "OFFICER_REPORT_RATE_LIMIT", "2 per minute")
    assert [position(client, night.sarah).status_code for _ in range(3)] == [200, 200, 429]
    assert [report(client, night.sarah, "ack").status_code for _ in range(3)][-1] == 429
    assert report(client, night.sarah, "distress").status_code == 200


def test_the_page_form_session_needs_its_csrf_token(app, night):
    page = app.test_client()
    login(page, "sarah")
    refused = page.post("/api/v1/me/report", json={"code": "ack"})
    assert refused.status_code == 400
    token = csrf_token(page, "/unit")
    done = page.post("/api/v1/me/report", json={"code": "ack"}, headers={"X-CSRFToken": token})
    assert done.status_code == 200 and unit_status(app, night.unit_id) == "acknowledged"
