"""Search of past incidents (issue 19): by reference, phone, name and address, through the blind
indexes; only what the viewer may see; every search audited with its reason; rate-limited."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from core.audit import AuditEvent
from core.audit.chain import verify_chain
from core.db import db
from core.extensions import limiter
from tests.conftest import bearer, make_token, make_user
from tests.triage.helpers import new_incident

URL = "/api/v1/search"
REASON = "lopende melding"


def headers(app, name="an", role="dispatcher", scopes=None):
    make_user(app, name, role)
    return bearer(make_token(app, name, scopes))


def search(client, who, q, reason=REASON):
    response = client.get(URL, query_string={"q": q, "reason": reason}, headers=who)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def refs(result) -> list[str]:
    return [item["reference"] for item in result["items"]]


def person(name, role="victim", **extra):
    return {"role": role, "name": name, **extra}


def test_an_incident_is_found_by_its_reference_however_it_is_typed(app, client, clock):
    an = headers(app)
    incident = new_incident(client, an)
    new_incident(client, an, address="Kiel 5, 2020 Antwerpen", caller_phone="0499 00 11 22")
    reference = incident["reference"]  # NW-YYYY-NNNNNN
    _, year, number = reference.split("-")
    typed = [
        reference,
        reference.lower(),
        f"nw {year} {number}",
        f"NW{year}{number}",
        f" {year}/{int(number)} ",
        number,
        f"#{int(number)}",
    ]
    for q in typed:
        found = search(client, an, q)
        assert refs(found) == [reference], q
        assert found["items"][0]["matched_on"] == ["reference"]
        assert found["query_kind"] == "reference"
    assert search(client, an, f"NW-{int(year) - 1}-{number}")["items"] == []


def test_a_phone_is_found_however_it_is_written_as_caller_or_as_a_persons_own(app, client, clock):
    an = headers(app)
    called = new_incident(client, an, caller_phone="0470 12 34 56", persons=[])
    clock.advance(hours=1)
    own = new_incident(
        client,
        an,
        address="Kiel 5, 2020 Antwerpen",
        caller_phone="03 123 45 67",
        persons=[person("Sofie Claes", phone="+32 470 12 34 56")],
    )
    for q in ("0470 12 34 56", "+32470123456", "0032 470 12.34.56", "0470/12 34 56"):
        found = search(client, an, q)
        assert refs(found) == [own["reference"], called["reference"]], q  # newest first
        assert [i["matched_on"] for i in found["items"]] == [["phone"], ["caller_phone"]]
        assert [i["roles"] for i in found["items"]] == [["victim"], []]
    assert search(client, an, "0470 65 43 21")["items"] == []


def test_a_name_is_found_exactly_in_any_order_and_by_how_it_sounds(app, client, clock):
    an = headers(app)
    marie = new_incident(client, an, persons=[person("Marie Peeters")])
    clock.advance(hours=1)
    suspect = new_incident(
        client, an, address="Kiel 5, 2020 Antwerpen", persons=[person("Tom Janssens", "suspect")]
    )
    exact = search(client, an, "Marie Peeters")
    assert refs(exact) == [marie["reference"]]
    assert exact["items"][0]["matched_on"] == ["name", "phonetic"]
    assert exact["items"][0]["roles"] == ["victim"]
    assert refs(search(client, an, "peeters  MARIE")) == [marie["reference"]]
    sounds = search(client, an, "Marie Peters")  # Peeters / Peters: one Double Metaphone code
    assert refs(sounds) == [marie["reference"]]
    assert sounds["items"][0]["matched_on"] == ["phonetic"]
    [hit] = search(client, an, "Tom Janssens")["items"]
    assert (hit["reference"], hit["roles"]) == (suspect["reference"], ["suspect"])
    assert search(client, an, "Marie Pauwels")["items"] == []


def test_a_birth_year_keeps_out_the_namesake_born_in_another_year(app, client, clock):
    an = headers(app)
    born_85 = new_incident(client, an, persons=[person("Jan Peeters", birth_year=1985)])
    clock.advance(hours=1)
    born_90 = new_incident(client, an, persons=[person("Jan Peeters", birth_year=1990)])
    clock.advance(hours=1)
    unknown = new_incident(client, an, persons=[person("Jan Peeters")])
    with_year = search(client, an, "Jan Peeters 1985")
    assert refs(with_year) == [unknown["reference"], born_85["reference"]]
    assert [i["matched_on"][0] for i in with_year["items"]] == ["name", "name_year"]
    assert refs(search(client, an, "Jan Peeters °1990")) == [
        unknown["reference"],
        born_90["reference"],
    ]
    assert len(search(client, an, "Jan Peeters")["items"]) == 3


def test_an_address_is_found_by_its_spelling_variants(app, client, clock):
    an = headers(app)
    home = new_incident(client, an, address="Lange Beeldekensstraat 20, 2060 Antwerpen")
    clock.advance(hours=1)
    other = new_incident(client, an, address="Carnotstraat 45, 2060 Antwerpen")
    for q in (
        "Lange Beeldekensstraat 20",
        "lange beeldekensstraat 20, 2060 antwerpen",
        "Lange Beeldekensstraat. 20 Antwerpen",
    ):
        found = search(client, an, q)
        assert refs(found) == [home["reference"]], q
        assert found["items"][0]["matched_on"] == ["address"]
    assert refs(search(client, an, "Carnot str 45 Antwerpen")) == [other["reference"]]
    assert search(client, an, "Lange Beeldekensstraat 22")["items"] == []


def test_results_carry_no_case_data_are_newest_first_and_at_most_twenty(app, client, clock):
    an = headers(app)
    made = []
    for _ in range(21):
        made.append(new_incident(client, an, caller_phone="0470 12 34 56")["reference"])
        clock.advance(dt.timedelta(minutes=10))
    found = search(client, an, "0470123456")
    assert refs(found) == made[::-1][:20]
    assert (found["count"], found["more"]) == (20, True)
    assert set(found["items"][0]) == {
        "id",
        "reference",
        "received_at",
        "priority",
        "status",
        "district",
        "restricted",
        "matched_on",
        "roles",
    }


def test_a_restricted_incident_is_found_only_by_those_who_may_see_it(app, client, clock):
    an, other = headers(app), headers(app, "d2")
    chief = headers(app, "chef", "supervisor")
    incident = new_incident(client, an, persons=[person("Marie Peeters")])
    restrict = {"reason": "Betrokkene is een politiemedewerker"}
    done = client.post(
        f"/api/v1/incidents/{incident['id']}/restriction", json=restrict, headers=chief
    )
    assert done.status_code == 200, done.get_json()
    for q in ("Marie Peeters", "0470 12 34 56", incident["reference"], "Carnotstraat 12"):
        hidden = search(client, other, q)
        assert (hidden["items"], hidden["count"], hidden["more"]) == ([], 0, False), q
        [seen] = search(client, chief, q)["items"]
        assert (seen["reference"], seen["restricted"]) == (incident["reference"], True)
    # The dispatcher who took the call is involved, and still finds it.
    assert refs(search(client, an, "Marie Peeters")) == [incident["reference"]]


@pytest.mark.parametrize("role", ["officer", "social_worker", "admin"])
def test_only_the_board_may_search(app, client, role):
    outsider = headers(app, f"u-{role}", role)
    response = client.get(
        URL, query_string={"q": "Marie Peeters", "reason": REASON}, headers=outsider
    )
    assert response.status_code == 403


def test_an_integration_token_and_an_anonymous_caller_may_not_search(app, client):
    new_incident(client, headers(app))
    telephony = headers(app, "telefonie", scopes=["intake"])
    query = {"q": "0470 12 34 56", "reason": REASON}
    assert client.get(URL, query_string=query, headers=telephony).status_code == 403
    assert client.get(URL, query_string=query).status_code == 401


def test_a_search_without_a_reason_or_with_too_little_to_look_for_is_refused(app, client):
    an = headers(app)
    for query, field, message in (
        ({"q": "Marie Peeters"}, "reason", "Verplicht."),
        ({"q": "Marie Peeters", "reason": "  x "}, "reason", "Moet minstens 3 tekens lang zijn."),
        ({"q": "M", "reason": REASON}, "q", "Moet minstens 2 tekens lang zijn."),
        ({"q": "-- ", "reason": REASON}, "q", "Typ een referentie, een telefoonnummer, een naam"),
        ({"reason": REASON}, "q", "Verplicht."),
    ):
        refused = client.get(URL, query_string=query, headers=an)
        assert refused.status_code == 422, query
        fields = refused.get_json()["fields"]
        assert list(fields) == [field] and fields[field].startswith(message), fields
    with app.app_context():
        assert (
            db.session.execute(select(AuditEvent).where(AuditEvent.action == "search")).all() == []
        )


def test_every_search_is_audited_with_its_reason_and_never_what_was_typed(app, client, clock):
    an = headers(app)
    incident = new_incident(client, an)
    search(client, an, "0470 12 34 56", reason="opvolging")
    search(client, an, "Jan Janssens", reason="risicotaxatie")  # found nothing: audited too
    with app.app_context():
        events = (
            db.session.execute(
                select(AuditEvent).where(AuditEvent.action == "search").order_by(AuditEvent.id)
            )
            .scalars()
            .all()
        )
        assert [(e.object_type, e.object_ids, e.username) for e in events] == [
            ("incident_by_phone", [incident["id"]], "an"),
            ("incident_by_name_or_address", [], "an"),
        ]
        for event in events:
            assert "0470" not in event.canonical() and "Janssens" not in event.canonical()
        # The stated reason is part of the hashed event: it cannot be changed afterwards.
        assert [e.reason for e in events] == ["opvolging", "risicotaxatie"]
        assert all('"reason":' in e.canonical() for e in events)
        assert verify_chain().ok  # and the chain still verifies with it
    verdict = client.get("/api/v1/audit", headers=headers(app, "chef", "supervisor"))
    assert {"opvolging", "risicotaxatie"} <= {e["reason"] for e in verdict.get_json()["items"]}


def test_searching_is_limited_per_user(app, client, monkeypatch):
    limiter.reset()
    monkeypatch.setitem(app.config, "SEARCH_RATE_LIMIT", "3 per minute")
    an, other = headers(app), headers(app, "d2")
    for n in range(3):
        search(client, an, f"0499 00 00 0{n}")
    refused = client.get(URL, query_string={"q": "0499000009", "reason": REASON}, headers=an)
    assert refused.status_code == 429
    search(client, other, "0499 00 00 09")  # a colleague is not held up
    limiter.reset()
