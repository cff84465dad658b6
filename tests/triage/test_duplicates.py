"""A second call about the same home is seen while it is typed (issue 17): open incidents at the
same address or from the same phone in the last DUPLICATE_WINDOW_H hours."""

from __future__ import annotations

import datetime as dt

from tests.conftest import bearer, make_token, make_user
from tests.triage.helpers import new_incident

URL = "/api/v1/incidents/duplicates"


def headers(app, name="an", role="dispatcher"):
    make_user(app, name, role)
    return bearer(make_token(app, name))


def test_an_open_incident_at_the_same_address_or_phone_is_found_while_typing(app, client, clock):
    an = headers(app)
    first = new_incident(client, an)  # Carnotstraat 12, 2060 Antwerpen; 0470 12 34 56
    other = new_incident(
        client, an, address="Turnhoutsebaan 10, 2140 Borgerhout", caller_phone="0499 00 11 22"
    )
    clock.advance(hours=2)
    same_home = client.post(URL, json={"address": "carnotstraat 12, 2060 antwerpen"}, headers=an)
    assert same_home.status_code == 200
    [hit] = same_home.get_json()["items"]
    assert (hit["reference"], hit["matched_on"]) == (first["reference"], ["address"])
    by_phone = client.post(URL, json={"caller_phone": "+32 470 12 34 56"}, headers=an).get_json()
    assert [i["reference"] for i in by_phone["items"]] == [first["reference"]]
    assert by_phone["items"][0]["matched_on"] == ["caller_phone"]
    both = client.post(
        URL,
        json={"address": "Turnhoutsebaan 10, 2140 Borgerhout", "caller_phone": "0470 12 34 56"},
        headers=an,
    ).get_json()
    assert {i["reference"] for i in both["items"]} == {first["reference"], other["reference"]}
    nothing = client.post(URL, json={"address": "Kiel 5, 2020 Antwerpen"}, headers=an).get_json()
    assert nothing["items"] == [] and nothing["window_h"] == 12


def test_closed_or_older_incidents_are_no_duplicates(app, client, clock):
    an = headers(app)
    chief = headers(app, "chef", "supervisor")
    closed = new_incident(client, an)
    shut = client.post(
        f"/api/v1/incidents/{closed['id']}/close",
        json={"disposition": "resolved_on_scene"},
        headers=chief,
    )
    assert shut.status_code == 200, shut.get_json()
    new_incident(client, an, address="Kiel 5, 2020 Antwerpen", caller_phone=None)
    clock.advance(dt.timedelta(hours=13))
    body = {"address": "Carnotstraat 12, 2060 Antwerpen", "caller_phone": "0470 12 34 56"}
    assert client.post(URL, json=body, headers=an).get_json()["items"] == []
    old = client.post(URL, json={"address": "Kiel 5, 2020 Antwerpen"}, headers=an).get_json()
    assert old["items"] == []


def test_a_restricted_incident_is_no_duplicate_for_those_who_may_not_see_it(app, client):
    an, chief, other = headers(app), headers(app, "chef", "supervisor"), headers(app, "d2")
    incident = new_incident(client, an)
    restrict = {"reason": "Betrokkene is een politiemedewerker"}
    client.post(f"/api/v1/incidents/{incident['id']}/restriction", json=restrict, headers=chief)
    body = {"address": "Carnotstraat 12, 2060 Antwerpen"}
    assert client.post(URL, json=body, headers=other).get_json()["items"] == []
    [seen] = client.post(URL, json=body, headers=chief).get_json()["items"]
    assert seen["restricted"] is True


def test_bad_input_is_a_field_error(app, client):
    an = headers(app)
    bad = client.post(URL, json={"caller_phone": "bel me"}, headers=an)
    assert bad.status_code == 422 and "caller_phone" in bad.get_json()["fields"]


def test_every_question_is_audited_found_or_not_and_a_sweep_is_limited(app, client, monkeypatch):
    from sqlalchemy import select

    from core.audit import AuditEvent
    from core.db import db
    from core.extensions import limiter

    limiter.reset()
    monkeypatch.setitem(app.config, "LOOKUP_RATE_LIMIT", "3 per minute")
    an = headers(app)
    for n in range(3):
        miss = client.post(URL, json={"caller_phone": f"0499 00 00 0{n}"}, headers=an)
        assert miss.status_code == 200 and miss.get_json()["items"] == []
    assert client.post(URL, json={"caller_phone": "0499 00 00 09"}, headers=an).status_code == 429
    with app.app_context():
        searched = db.session.execute(
            select(AuditEvent.object_type).where(AuditEvent.action == "search")
        ).scalars()
        assert list(searched) == ["incident_by_phone"] * 3
    limiter.reset()


def test_another_spelling_of_the_same_home_is_found(app, client):
    an = headers(app)
    first = new_incident(client, an, address="Lange Beeldekensstraat 20", caller_phone=None)
    for typed in ("Lange Beeldekensstraat. 20 Antwerpen", "lange beeldekens str 20, 2060"):
        [hit] = client.post(URL, json={"address": typed}, headers=an).get_json()["items"]
        assert (hit["reference"], hit["matched_on"]) == (first["reference"], ["address"])
    # The neighbours' door and the flat upstairs are other households.
    for typed in ("Lange Beeldekensstraat 22", "Lange Beeldekensstraat 20 bus 2"):
        assert client.post(URL, json={"address": typed}, headers=an).get_json()["items"] == []
