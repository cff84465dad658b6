"""Search of past incidents (issue 19): by reference, phone, name and address, through the blind
indexes; only what the viewer may see; every search audited with its reason; rate-limited."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import event, select

from core.audit import AuditEvent
from core.audit.chain import verify_chain
from core.db import db
from core.extensions import limiter
from tests.conftest import bearer, csrf_token, login, make_token, make_user
from tests.triage.helpers import new_incident
from triage import links

URL = "/api/v1/search"
REASON = "current_call"


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
        ({"q": "Marie Peeters", "reason": "  x "}, "reason", "Kies een reden uit de lijst: "),
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
    search(client, an, "0470 12 34 56", reason="follow_up")
    search(client, an, "Jan Janssens", reason="risk_assessment")  # found nothing: audited too
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
        assert [e.reason for e in events] == ["follow_up", "risk_assessment"]
        assert all('"reason":' in e.canonical() for e in events)
        assert verify_chain().ok  # and the chain still verifies with it
    verdict = client.get("/api/v1/audit", headers=headers(app, "chef", "supervisor"))
    assert {"follow_up", "risk_assessment"} <= {e["reason"] for e in verdict.get_json()["items"]}


def test_searching_is_limited_per_user(app, client, monkeypatch):
    limiter.reset()
    monkeypatch.setitem(app.config, "LOOKUP_RATE_LIMIT", "3 per minute")
    an, other = headers(app), headers(app, "d2")
    for n in range(3):
        search(client, an, f"0499 00 00 0{n}")
    refused = client.get(URL, query_string={"q": "0499000009", "reason": REASON}, headers=an)
    assert refused.status_code == 429
    search(client, other, "0499 00 00 09")  # a colleague is not held up
    limiter.reset()


def search_events(app) -> list[AuditEvent]:
    with app.app_context():
        query = select(AuditEvent).where(AuditEvent.action == "search").order_by(AuditEvent.id)
        return list(db.session.execute(query).scalars())


def test_the_reason_is_a_code_from_the_list_never_free_text(app, client, clock):
    an = headers(app)
    incident = new_incident(client, an, persons=[person("Marie Peeters")])
    typed = "ex van Marie Peeters belde, gsm 0470 12 34 56"
    for query, field, message in (
        ({"reason": typed}, "reason", "Kies een reden uit de lijst: current_call, "),
        ({"reason": "lopende melding"}, "reason", "Kies een reden uit de lijst"),
        ({"reason": "other", "for_reference": "Marie"}, "for_reference", "Een referentie van"),
        ({"reason": "other", "for_reference": "NW-2026-12"}, "for_reference", "Een referentie"),
    ):
        refused = client.get(URL, query_string={"q": "Marie Peeters", **query}, headers=an)
        assert refused.status_code == 422, query
        fields = refused.get_json()["fields"]
        assert list(fields) == [field] and fields[field].startswith(message), fields
    assert search_events(app) == []  # nothing refused reaches the audit trail
    found = search(client, an, "Marie Peeters", reason="other")
    assert refs(found) == [incident["reference"]]
    for_call = {"q": "Marie Peeters", "reason": "follow_up", "for_reference": "nw-2026-000123"}
    assert client.get(URL, query_string=for_call, headers=an).status_code == 200
    assert [e.reason for e in search_events(app)] == ["other", "follow_up NW-2026-000123"]


def test_a_browser_search_needs_the_pages_csrf_token(app, client, monkeypatch):
    limiter.reset()
    monkeypatch.setitem(app.config, "LOOKUP_RATE_LIMIT", "1 per minute")
    make_user(app, "an", "dispatcher")
    login(client, "an")
    query = {"q": "Marie Peeters", "reason": "other"}
    # What a page of another site can make the dispatcher's browser send: the cookie, no token.
    for forged in ({}, {"X-CSRFToken": "not-the-token"}):
        refused = client.get(URL, query_string=query, headers=forged)
        assert refused.status_code == 400, refused.get_json()
        assert set(refused.get_json()) == {"error", "message", "fields"}
    assert search_events(app) == []
    # The console's own search carries the token; the forged ones used none of the limit.
    token = csrf_token(client, "/")
    allowed = client.get(URL, query_string=query, headers={"X-CSRFToken": token})
    assert allowed.status_code == 200, allowed.get_json()
    assert [e.reason for e in search_events(app)] == ["other"]
    limiter.reset()


def test_the_search_and_the_lookups_while_typing_share_one_limit_per_user(app, client, monkeypatch):
    limiter.reset()
    monkeypatch.setitem(app.config, "LOOKUP_RATE_LIMIT", "4 per minute")
    an, other = headers(app), headers(app, "d2")
    incident = new_incident(client, an)
    typed = {"address": "Kiel 5, 2020 Antwerpen"}
    asked = [
        client.get(URL, query_string={"q": "0499 00 00 01", "reason": REASON}, headers=an),
        client.post("/api/v1/trajectory/lookup", json=typed, headers=an),
        client.post("/api/v1/incidents/duplicates", json=typed, headers=an),
        client.get(f"/api/v1/incidents/{incident['id']}/person-candidates", headers=an),
    ]
    assert [r.status_code for r in asked] == [200] * 4
    # The bucket is empty for every one of them: a sweep cannot move on to another route.
    again = [
        client.get(URL, query_string={"q": "0499 00 00 02", "reason": REASON}, headers=an),
        client.post("/api/v1/trajectory/lookup", json=typed, headers=an),
        client.post("/api/v1/incidents/duplicates", json=typed, headers=an),
        client.get(f"/api/v1/incidents/{incident['id']}/person-candidates", headers=an),
    ]
    assert [r.status_code for r in again] == [429] * 4
    search(client, other, "0499 00 00 02")  # a colleague is not held up
    limiter.reset()


def statements(app, run) -> list[str]:
    """The SQL statements `run()` sends about case data (the audit's and the token's left out)."""
    sent: list[str] = []

    def seen(conn, cursor, statement, *args):
        sent.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        run()
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    return [s for s in sent if "audit" not in s and "api_token" not in s]


def test_a_hidden_restricted_match_is_never_read_it_costs_what_a_miss_costs(app, client, clock):
    with app.app_context():
        if not hasattr(links.assignments(), "involved_condition"):
            pytest.skip("dispatch does not answer involved_condition yet")
    an, other = headers(app), headers(app, "d2")
    chief = headers(app, "chef", "supervisor")
    hidden = new_incident(client, an, persons=[person("Marie Peeters")])
    restrict = {"reason": "Betrokkene is een politiemedewerker"}
    assert (
        client.post(
            f"/api/v1/incidents/{hidden['id']}/restriction", json=restrict, headers=chief
        ).status_code
        == 200
    )
    for q, missing in (("Marie Peeters", "Marie Pauwels"), ("0470 12 34 56", "0470 65 43 21")):
        sent = statements(app, lambda q=q: search(client, other, q))
        miss = statements(app, lambda m=missing: search(client, other, m))
        assert len(sent) == len(miss), q
        assert search(client, other, q) == search(client, other, missing)
    # Those who may see it still find it: the supervisor, and the dispatcher who took the call.
    assert refs(search(client, chief, "Marie Peeters")) == [hidden["reference"]]
    assert refs(search(client, an, "Marie Peeters")) == [hidden["reference"]]
