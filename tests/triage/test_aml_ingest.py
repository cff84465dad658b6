"""POST /api/v1/aml: a caller's handset location from telephony, stored once, attached to the
open call from the same number (moving its point only when the fix is better, never off a
dispatcher's pin) or held for the intake that follows within the window."""

from __future__ import annotations

import datetime as dt
import hmac
from collections import Counter
from hashlib import sha1
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select, text

from core.db import db
from tests.conftest import bearer, csrf_token, login, make_token, make_user
from tests.triage.helpers import new_incident
from tests.triage.test_aml import FORM, SIGNED, SMS_DATA, SMS_V1, SMS_V2
from triage import retention
from triage.models import AmlReport, Incident, IncidentStatus

KEY = "AML"  # the key the public HMAC vector is signed with
MEIR = (51.2181, 4.4101)
BIST = (51.1695, 4.3958)  # Wilrijk
NUMBER = "+32470123456"  # the CALL helper's caller phone, 0470 12 34 56, in E.164
FORM_TYPE = "application/x-www-form-urlencoded"
WINDOW = dt.timedelta(seconds=600)


@pytest.fixture
def headers(app):
    make_user(app, "an", "dispatcher")
    return bearer(make_token(app, "an"))


@pytest.fixture
def telephony(app):
    make_user(app, "tel", "dispatcher")
    return bearer(make_token(app, "tel", scopes=["aml"]))


def form(
    point=MEIR, radius=12.0, at=None, number=NUMBER, key=None, certainty=83, source="GPS"
) -> str:
    """An HTTPS form message as a handset sends it (signed with `key` if given)."""
    fields = [("v", "1"), ("device_number", number)]
    fields += [("location_latitude", point[0]), ("location_longitude", point[1])]
    if at is not None:
        fields.append(("location_time", int(at.timestamp() * 1000)))
    if radius is not None:
        fields.append(("location_accuracy", radius))
    fields += [("location_source", source), ("location_certainty", certainty)]
    body = urlencode(fields)
    if key is not None:
        body += "&hmac=" + hmac.new(key.encode(), body.encode(), sha1).hexdigest()
    return body


def post(client, headers, message, content_type=FORM_TYPE, query=""):
    return client.post(
        f"/api/v1/aml{query}", data=message, headers={**headers, "Content-Type": content_type}
    )


def read(client, headers, incident_id):
    return client.get(f"/api/v1/incidents/{incident_id}", headers=headers).get_json()


def aml_lines(incident):
    return [e for e in incident["timeline"] if e["kind"] == "location.aml"]


def reports(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(AmlReport))


def state(app, response):
    """What became of a posted report, read from the database (telephony is told only its id)."""
    with app.app_context():
        report = db.session.get(AmlReport, response.get_json()["id"])
        return ("attached" if report.incident_id else "held", report.applied)


def point_of(incident):
    return (incident["lat"], incident["lon"], incident["location_accuracy_m"])


@pytest.mark.parametrize(
    ("message", "content_type"),
    [
        (SMS_V1, "text/plain"),
        (SMS_V2, "text/plain"),
        (SMS_DATA, "text/plain"),  # the data SMS as hex
        (bytes.fromhex(SMS_DATA), "application/octet-stream"),  # its raw bytes
        (FORM, FORM_TYPE),
        (SIGNED, FORM_TYPE),
    ],
    ids=["sms-v1", "sms-v2", "sms-data-hex", "sms-data-bytes", "form", "signed"],
)
def test_every_public_vector_is_taken_and_held(app, client, telephony, message, content_type):
    response = post(client, telephony, message, content_type)
    assert response.status_code == 201, response.get_json()
    assert set(response.get_json()) == {"id"}  # nothing about calls, not even whether one matched
    assert state(app, response) == ("held", False)
    assert reports(app) == 1


MALFORMED = [
    (SMS_V1.replace("lt=48.82639", "lt=abc"), "lt"),
    (SMS_V1.replace("lt=48.82639", "lt=95"), "lt"),
    (SMS_V1.replace("lg=-2.36619;", ""), "lg"),
    (SMS_V1.replace("rd=52", "rd=0"), "rd"),
    (SMS_V1.replace("top=20191112112928", "top=2019-11-12"), "top"),
    (SMS_V1.replace("lc=68", "lc=140"), "lc"),
    (SMS_V1.replace('A"ML=1', 'A"ML=3'), 'A"ML'),
    (SMS_V2.replace("lo=-37.42175,-122.08461,2000.1", "lo=-37.42175"), "lo"),
    (SMS_V2.replace("en=+15555555555", "en=bel-me"), "en"),
    (SMS_V2.replace("et=1593187189", "et=gisteren"), "et"),
    (FORM.replace("v=1", "v=2"), "v"),
    (FORM.replace("location_longitude=-4.26325", "location_longitude=nan"), "location_longitude"),
    (FORM.replace("location_time=1476189444435", "location_time=" + "9" * 40), "location_time"),
    ("", "v"),
]


@pytest.mark.parametrize(("message", "field"), MALFORMED)
def test_a_malformed_message_is_refused_naming_its_field(app, client, telephony, message, field):
    kind = "text/plain" if message.startswith('A"ML') else FORM_TYPE
    response = post(client, telephony, message, kind)
    assert response.status_code == 422
    body = response.get_json()
    assert body["error"] == "validation_error" and list(body["fields"]) == [field]
    assert reports(app) == 0


def test_a_field_message_is_in_dutch(client, telephony):
    bad = SMS_V1.replace("lt=48.82639", "lt=95")
    dutch = post(client, telephony, bad, "text/plain").get_json()
    assert dutch["fields"]["lt"] == "Een breedtegraad ligt tussen -90 en 90."


def test_a_body_that_is_not_utf8_or_too_large_is_refused(app, client, telephony):
    assert post(client, telephony, b"v=1&\xff\xfe", FORM_TYPE).status_code == 422
    huge = FORM + "&padding=" + "x" * 5000
    response = post(client, telephony, huge)
    assert response.status_code == 413 and "body" in response.get_json()["fields"]
    assert reports(app) == 0


def test_with_a_key_the_https_form_must_carry_its_hmac(app, client, telephony):
    app.config["AML_HMAC_KEY"] = KEY
    assert post(client, telephony, SIGNED).status_code == 201
    forged = SIGNED.replace("0.85732", "0.85733")
    refused = post(client, telephony, forged)
    assert refused.status_code == 403 and refused.get_json()["fields"]["hmac"]
    unsigned = post(client, telephony, FORM)
    assert unsigned.status_code == 403 and "hmac" in unsigned.get_json()["fields"]
    # A field after the signature is not signed: refused, not read (it would win otherwise).
    appended = post(client, telephony, SIGNED + "&location_latitude=51.33&location_accuracy=1")
    assert appended.status_code == 403 and "hmac" in appended.get_json()["fields"]
    # The SMS forms cannot be signed: with a key they are refused unless AML_UNSIGNED_SMS is on.
    sms = post(client, telephony, SMS_V1, "text/plain")
    assert sms.status_code == 403 and "hmac" in sms.get_json()["fields"]
    app.config["AML_UNSIGNED_SMS"] = True
    assert post(client, telephony, SMS_V1, "text/plain").status_code == 201
    assert reports(app) == 2


def test_a_field_given_twice_is_refused(app, client, telephony):
    twice = FORM + "&location_latitude=51.33"
    response = post(client, telephony, twice)
    assert response.status_code == 422 and "location_latitude" in response.get_json()["fields"]
    assert reports(app) == 0


@pytest.mark.parametrize("time", ["%C2%B2", "9" * 400])
def test_a_time_that_is_no_time_is_a_field_error(app, client, telephony, time):
    response = post(client, telephony, form(MEIR, 9, None) + f"&location_time={time}")
    assert response.status_code == 422 and "location_time" in response.get_json()["fields"]


def test_without_a_key_the_hmac_is_not_checked(app, client, telephony):
    app.config["AML_HMAC_KEY"] = None
    assert post(client, telephony, FORM).status_code == 201
    assert post(client, telephony, SIGNED.replace("0.85732", "0.85733")).status_code == 201


def test_a_fix_attaches_to_the_open_call_and_moves_its_point(
    app, client, clock, headers, telephony
):
    incident = new_incident(client, headers)  # Carnotstraat: the street, no radius
    before = read(client, headers, incident["id"])
    at = clock.now() - dt.timedelta(seconds=20)
    response = post(client, telephony, form(MEIR, 12.5, at))
    assert response.status_code == 201
    assert state(app, response)[0] == "attached" and state(app, response)[1] is True
    after = read(client, headers, incident["id"])
    assert point_of(after) == (pytest.approx(MEIR[0]), pytest.approx(MEIR[1]), 12.5)
    assert after["location_source"] == "aml" and after["location_quality"] == "exact"
    assert dt.datetime.fromisoformat(after["location_at"]) == at.replace(microsecond=0)
    # The address the unit is sent stays the typed one; only the point moved.
    assert after["sms_address"] == before["sms_address"] and after["address"] == before["address"]
    [line] = aml_lines(after)
    assert line["data"]["applied"] is True and line["data"]["radius_m"] == 12.5
    assert line["data"]["method"] == "gps" and line["data"]["confidence"] == 83
    assert "51.2181" not in str(line) and "4.4101" not in str(line)  # no coordinates


def test_a_cell_fix_is_no_house(client, clock, headers, telephony):
    incident = new_incident(client, headers, address=None)  # no address: no point yet
    post(client, telephony, form(MEIR, 2500.0, clock.now(), source="CELL"))
    after = read(client, headers, incident["id"])
    assert after["location_source"] == "aml" and after["location_accuracy_m"] == 2500
    assert after["location_quality"] == "district"  # ± 2.5 km: a district, not an exact point


def test_a_number_for_the_sms_text_can_come_with_the_query(app, client, clock, headers, telephony):
    incident = new_incident(client, headers)
    sms = 'A"ML=1;lt=51.2181;lg=4.4101;rd=9;pm=G'  # version 1 carries no number
    response = post(client, telephony, sms, "text/plain", f"?number=%2B{NUMBER[1:]}")
    assert state(app, response)[0] == "attached"
    assert read(client, headers, incident["id"])["location_accuracy_m"] == 9


def test_a_worse_fix_is_recorded_but_not_applied(app, client, clock, headers, telephony):
    incident = new_incident(client, headers)
    at = clock.now() - dt.timedelta(seconds=30)
    post(client, telephony, form(MEIR, 10, at))
    older_and_wider = post(client, telephony, form(BIST, 50, at - dt.timedelta(seconds=5)))
    assert state(app, older_and_wider) == ("attached", False)
    newer_but_wider = post(client, telephony, form(BIST, 11, at + dt.timedelta(seconds=5)))
    assert state(app, newer_but_wider)[1] is False
    after = read(client, headers, incident["id"])
    assert point_of(after) == (pytest.approx(MEIR[0]), pytest.approx(MEIR[1]), 10)
    lines = aml_lines(after)
    assert [line["data"]["applied"] for line in lines] == [True, False, False]
    assert lines[1]["data"]["kept_because"] == "not_better"


def test_a_newer_fix_as_precise_moves_the_point(app, client, clock, headers, telephony):
    incident = new_incident(client, headers)
    at = clock.now() - dt.timedelta(seconds=30)
    post(client, telephony, form(MEIR, 10, at))
    assert state(app, post(client, telephony, form(BIST, 10, at + dt.timedelta(seconds=20))))[1]
    after = read(client, headers, incident["id"])
    assert point_of(after) == (pytest.approx(BIST[0]), pytest.approx(BIST[1]), 10)


def test_a_dispatchers_pin_is_never_moved(app, client, clock, headers, telephony):
    incident = new_incident(client, headers)
    pin = {"lat": BIST[0], "lon": BIST[1], "location_source": "manual"}
    client.patch(f"/api/v1/incidents/{incident['id']}", json=pin, headers=headers)
    response = post(client, telephony, form(MEIR, 3, clock.now()))
    assert state(app, response)[0] == "attached"
    assert state(app, response)[1] is False
    after = read(client, headers, incident["id"])
    assert (after["lat"], after["lon"]) == (pytest.approx(BIST[0]), pytest.approx(BIST[1]))
    assert after["location_source"] == "dispatcher" and after["location_quality"] == "manual"
    assert aml_lines(after)[0]["data"]["kept_because"] == "dispatcher"


def test_an_exact_point_of_no_known_source_is_not_moved(app, client, clock, headers, telephony):
    incident = new_incident(client, headers, lat=BIST[0], lon=BIST[1])
    assert incident["location_quality"] == "exact" and incident["location_source"] is None
    assert state(app, post(client, telephony, form(MEIR, 3, clock.now())))[1] is False
    after = read(client, headers, incident["id"])
    assert (after["lat"], after["lon"]) == (pytest.approx(BIST[0]), pytest.approx(BIST[1]))


def test_a_point_outside_the_area_is_applied_but_flagged(client, clock, headers, telephony):
    incident = new_incident(client, headers)
    post(client, telephony, form((50.8467, 4.3525), 15, clock.now()))  # Brussels
    after = read(client, headers, incident["id"])
    assert "outside_area" in after["flags"] and after["location_quality"] != "exact"


def test_a_closed_call_is_not_matched(app, client, clock, headers, telephony):
    incident = new_incident(client, headers)
    with app.app_context():
        db.session.get(Incident, incident["id"]).status = IncidentStatus.CLOSED
        db.session.commit()
    response = post(client, telephony, form(MEIR, 5, clock.now()))
    assert state(app, response)[0] == "held"
    assert aml_lines(read(client, headers, incident["id"])) == []


def test_a_call_older_than_the_window_is_not_matched(app, client, clock, headers, telephony):
    incident = new_incident(client, headers)
    clock.advance(WINDOW + dt.timedelta(seconds=1))
    response = post(client, telephony, form(MEIR, 5, clock.now()))
    assert state(app, response)[0] == "held"
    assert read(client, headers, incident["id"])["location_source"] is None


def test_every_open_call_from_the_number_gets_the_fix(client, clock, headers, telephony):
    # A later call made with the victim's number (by someone who knows it) cannot take the
    # handset's locations away from the real call.
    real = new_incident(client, headers)
    clock.advance(seconds=60)
    later = new_incident(client, headers)
    post(client, telephony, form(MEIR, 5, clock.now()))
    assert read(client, headers, real["id"])["location_source"] == "aml"
    assert read(client, headers, later["id"])["location_source"] == "aml"


def test_a_scoped_token_never_reads_a_handset_location(app, client, clock, headers, telephony):
    make_user(app, "tel2", "dispatcher")
    intake = bearer(make_token(app, "tel2", scopes=["intake"]))
    post(client, telephony, form(MEIR, 5, clock.now()))  # held for the number
    made = new_incident(client, intake)  # telephony's own call with that number takes it ...
    assert read(client, headers, made["id"])["location_source"] == "aml"
    for seen in (made, read(client, intake, made["id"])):  # ... but does not read it back
        assert seen["lat"] is None and seen["location_accuracy_m"] is None
        assert seen["location_source"] is None and seen["district"] is None


def test_an_old_fix_or_an_old_message_again_never_moves_a_call(
    app, client, clock, headers, telephony
):
    incident = new_incident(client, headers)
    old = post(client, telephony, form(MEIR, 5, clock.now() - dt.timedelta(days=2)))
    assert state(app, old) == ("attached", False)
    assert read(client, headers, incident["id"])["location_source"] is None
    [line] = aml_lines(read(client, headers, incident["id"]))
    assert line["data"]["kept_because"] == "stale"


def test_the_same_message_with_other_bytes_is_the_same_report(app, client, clock, telephony):
    first = post(client, telephony, form(MEIR, 5, clock.now()))
    again = post(client, telephony, form(MEIR, 5, clock.now()) + "&extra=1")  # not signed
    assert again.status_code == 200 and again.get_json() == first.get_json()
    assert reports(app) == 1


def test_a_held_fix_goes_to_the_intake_that_follows(app, client, clock, headers, telephony):
    wide = post(client, telephony, form(BIST, 40, clock.now() - dt.timedelta(seconds=5)))
    best = post(client, telephony, form(MEIR, 8, clock.now() - dt.timedelta(seconds=50)))
    assert state(app, wide)[0] == state(app, best)[0] == "held"
    clock.advance(seconds=120)
    incident = new_incident(client, headers)  # the intake's answer has the phone's point
    assert point_of(incident) == (pytest.approx(MEIR[0]), pytest.approx(MEIR[1]), 8)
    assert incident["location_source"] == "aml"
    [line] = aml_lines(read(client, headers, incident["id"]))
    assert line["actor"] == "AML" and line["data"]["report_id"] == best.get_json()["id"]
    # Sent again, the report reads as attached now; nothing else changes.
    again = post(client, telephony, form(MEIR, 8, clock.now() - dt.timedelta(seconds=170)))
    assert again.status_code == 200 and state(app, again)[0] == "attached"


def test_the_intakes_own_better_point_stays(client, clock, headers, telephony):
    post(client, telephony, form(BIST, 40, clock.now()))
    own = {"lat": MEIR[0], "lon": MEIR[1], "accuracy_m": 5, "location_source": "caller"}
    incident = new_incident(client, headers, **own)
    assert point_of(incident) == (pytest.approx(MEIR[0]), pytest.approx(MEIR[1]), 5)
    [line] = aml_lines(read(client, headers, incident["id"]))
    assert line["data"]["applied"] is False


def test_a_held_fix_older_than_the_window_is_never_attached(client, clock, headers, telephony):
    post(client, telephony, form(MEIR, 8, clock.now()))
    clock.advance(WINDOW + dt.timedelta(seconds=1))
    incident = new_incident(client, headers)
    assert incident["location_source"] is None and incident["location_quality"] == "street"
    assert aml_lines(read(client, headers, incident["id"])) == []


def test_the_same_message_twice_changes_nothing(app, client, clock, headers, telephony):
    incident = new_incident(client, headers)
    message = form(MEIR, 12, clock.now())
    first = post(client, telephony, message)
    second = post(client, telephony, message)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.get_json() == second.get_json()
    assert reports(app) == 1
    assert len(aml_lines(read(client, headers, incident["id"]))) == 1


def test_the_point_is_stored_encrypted(app, client, clock, telephony):
    post(client, telephony, form((51.23456, 4.45678), 12, clock.now()))
    with app.app_context():
        row = db.session.execute(text("SELECT lat, lon, radius_m, phone_index FROM aml_report"))
        raw = str(row.one())
    assert "51.23456" not in raw and "4.45678" not in raw and "470123456" not in raw


def test_the_update_reaches_a_console_live(app, socket_client):
    from core.realtime import NAMESPACE
    from tests.conftest import make_app

    live = make_app(app.config["SQLALCHEMY_DATABASE_URI"])  # the Socket.IO server binds to it
    client = live.test_client()
    make_user(live, "an", "dispatcher")
    make_user(live, "tel", "dispatcher")
    headers = bearer(make_token(live, "an"))
    telephony = bearer(make_token(live, "tel", scopes=["aml"]))
    incident = new_incident(client, headers)
    console = socket_client(live, "an")
    console.get_received(NAMESPACE)
    assert state(app, post(client, telephony, SMS_V1, "text/plain"))[0] == "held"
    refused = post(client, telephony, form(BIST, -1, None))  # a 422 sends nothing
    assert refused.status_code == 422
    assert state(app, post(client, telephony, form(MEIR, 9, None)))[1] is True
    updates = [
        e["args"][0] for e in console.get_received(NAMESPACE) if e["name"] == "incident.updated"
    ]
    assert [u["id"] for u in updates] == [incident["id"]]
    assert updates[0]["lat"] == pytest.approx(MEIR[0])


def test_only_the_aml_scope_may_post_and_it_reaches_nothing_else(app, client, telephony):
    make_user(app, "d2", "dispatcher")
    intake = bearer(make_token(app, "d2", scopes=["intake"]))
    assert post(client, intake, FORM).status_code == 403
    assert post(client, bearer(make_token(app, "d2")), FORM).status_code == 403
    session = app.test_client()
    login(session, "d2")
    csrf = {"X-CSRFToken": csrf_token(session, "/")}
    assert post(session, csrf, FORM).status_code == 403
    assert client.get("/api/v1/incidents", headers=telephony).status_code == 403
    assert client.post("/api/v1/incidents", json={}, headers=telephony).status_code == 403
    assert reports(app) == 0


def test_retention_deletes_held_reports_older_than_the_window(
    app, client, clock, headers, telephony
):
    stale = post(client, telephony, form(BIST, 30, clock.now())).get_json()["id"]
    clock.advance(WINDOW + dt.timedelta(seconds=1))
    incident = new_incident(client, headers)
    attached = post(client, telephony, form(MEIR, 9, clock.now())).get_json()["id"]
    fresh = post(client, telephony, form(MEIR, 9, clock.now(), number="+32470999999"))
    counts: Counter = Counter()
    result = app.test_cli_runner().invoke(args=["retention", "run"])  # what the daily job runs
    assert "anonymised aml_reports: 1" in result.output, result.output
    with app.app_context():
        left = set(db.session.scalars(select(AmlReport.id)))
    assert left == {attached, fresh.get_json()["id"]} and stale not in left
    with app.app_context():  # an anonymised call takes its reports with it
        retention.anonymise(db.session.get(Incident, incident["id"]), clock.now(), counts)
        db.session.commit()
        assert set(db.session.scalars(select(AmlReport.id))) == {fresh.get_json()["id"]}
