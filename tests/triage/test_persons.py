"""Persons across incidents (issue 19): the same victim called in by others is offered to the
dispatcher ("zelfde persoon?"), linked only when a person says so, and never offered to someone
who may not see the other incident."""

from __future__ import annotations

from sqlalchemy import select

from tests.conftest import bearer, make_token, make_user
from tests.triage.helpers import new_incident

VICTIM = {"role": "victim", "name": "Samira El Idrissi", "phone": "0486 12 34 56"}
CALLS = [  # three callers at three addresses, the same victim each time
    {"address": "Carnotstraat 12, 2060 Antwerpen", "caller_phone": "0470 11 11 11"},
    {"address": "Turnhoutsebaan 10, 2140 Borgerhout", "caller_phone": "0470 22 22 22"},
    {"address": "Kiel 5, 2020 Antwerpen", "caller_phone": "0470 33 33 33"},
]


def headers(app, name="an", role="dispatcher", scopes=None):
    """A user of the role and a bearer header for a token of theirs."""
    make_user(app, name, role)
    return bearer(make_token(app, name, scopes))


def candidates_of(client, who, incident) -> list[dict]:
    """The first person's candidates on the incident."""
    got = client.get(f"/api/v1/incidents/{incident['id']}/person-candidates", headers=who)
    assert got.status_code == 200, got.get_json()
    return got.get_json()["items"][0]["candidates"]


def decide(client, who, person_id, other_id, decision):
    """Post a decision on a pair."""
    body = {"other_person_id": other_id, "decision": decision}
    return client.post(f"/api/v1/persons/{person_id}/links", json=body, headers=who)


def person(incident) -> int:
    """The id of the incident's first person."""
    return incident["persons"][0]["id"]


def timeline(client, who, incident) -> list[dict]:
    """The incident's timeline lines."""
    return client.get(f"/api/v1/incidents/{incident['id']}", headers=who).get_json()["timeline"]


def audited(app, action: str) -> list[tuple[str, int | None]]:
    """(object type, object id) of the audit events with this action."""
    from core.audit import AuditEvent
    from core.db import db

    with app.app_context():
        rows = db.session.execute(
            select(AuditEvent.object_type, AuditEvent.object_id).where(AuditEvent.action == action)
        )
        return [tuple(row) for row in rows]


def three_calls(client, who, clock) -> list[dict]:
    """The same victim called in three times, a week apart, by three callers."""
    made = []
    for call in CALLS:
        made.append(new_incident(client, who, **call, persons=[VICTIM]))
        clock.advance(days=7)
    return made


def test_the_same_victim_via_three_callers_is_offered_linked_and_flagged(app, client, clock):
    an = headers(app)
    first, second, third = three_calls(client, an, clock)
    offered = candidates_of(client, an, third)
    assert [c["reference"] for c in offered] == [second["reference"], first["reference"]]
    for candidate in offered:
        assert candidate["matched_on"][0] == "phone" and "name" in candidate["matched_on"]
        assert candidate["name"] == "Samira El Idrissi" and candidate["role"] == "victim"
    assert "escalation_pattern" not in third["flags"]  # nothing is linked silently
    assert ("incident_by_person", third["id"]) in audited(app, "search")

    for earlier in (first, second):
        done = decide(client, an, person(third), person(earlier), "same")
        assert done.status_code == 200, done.get_json()
        assert done.get_json()["changed"] is True
    records = {p["persons"][0]["record_id"] for p in _reread(client, an, first, second, third)}
    assert len(records) == 1 and None not in records

    for incident in (first, second, third):
        lines = [e for e in timeline(client, an, incident) if e["kind"] == "person.linked"]
        assert lines, incident["reference"]
        assert "Samira" not in str(lines) and "Idrissi" not in str(lines)
    assert sorted(audited(app, "link")) == sorted([("person", person(third))] * 2)

    now = client.get(f"/api/v1/incidents/{third['id']}", headers=an).get_json()
    assert "escalation_pattern" in now["flags"]  # 3 incidents of one person in 12 months
    assert candidates_of(client, an, third) == []  # both are on its record now
    linked = _matches(client, an, third)["linked"]
    assert {i["reference"] for i in linked} == {first["reference"], second["reference"]}


def _reread(client, who, *incidents) -> list[dict]:
    return [client.get(f"/api/v1/incidents/{i['id']}", headers=who).get_json() for i in incidents]


def _matches(client, who, incident) -> dict:
    got = client.get(f"/api/v1/incidents/{incident['id']}/person-candidates", headers=who)
    return got.get_json()["items"][0]


def test_a_repeated_decision_changes_nothing(app, client, clock):
    an = headers(app)
    first, second, _ = three_calls(client, an, clock)
    assert decide(client, an, person(second), person(first), "same").get_json()["changed"]
    again = decide(client, an, person(first), person(second), "same")
    assert again.status_code == 200 and again.get_json()["changed"] is False
    lines = [e for e in timeline(client, an, first) if e["kind"] == "person.linked"]
    assert len(lines) == 1


def test_two_records_linked_become_one_the_older(app, client, clock):
    an = headers(app)
    first, second, third = three_calls(client, an, clock)
    fourth = new_incident(client, an, address="Kiel 9, 2020 Antwerpen", persons=[VICTIM])
    older = decide(client, an, person(second), person(first), "same").get_json()["record_id"]
    newer = decide(client, an, person(fourth), person(third), "same").get_json()["record_id"]
    assert older != newer
    merged = decide(client, an, person(third), person(second), "same")
    assert merged.status_code == 200 and merged.get_json()["record_id"] == older
    incidents = _reread(client, an, first, second, third, fourth)
    assert {i["persons"][0]["record_id"] for i in incidents} == {older}
    history = client.get(f"/api/v1/persons/{person(fourth)}/history", headers=an).get_json()
    assert len(history["items"]) == 4


def test_someone_else_is_not_offered_again(app, client, clock, monkeypatch):
    from triage import events

    told = []  # what the consoles are sent (after the commit)
    monkeypatch.setattr(events, "publish_incident", lambda name, i: told.append((name, i.id)))
    an = headers(app)
    jan = {"role": "suspect", "name": "Jan Peeters", "birth_year": 1985}
    first = new_incident(client, an, persons=[jan])
    clock.advance(days=3)
    second = new_incident(client, an, **CALLS[1], persons=[jan])
    [offered] = candidates_of(client, an, second)
    assert offered["matched_on"][:2] == ["name_year", "name"]
    told.clear()
    no = decide(client, an, person(second), person(first), "different")
    assert no.status_code == 200 and no.get_json()["changed"] is True
    assert sorted(told) == [("incident.updated", first["id"]), ("incident.updated", second["id"])]
    assert candidates_of(client, an, second) == []
    assert candidates_of(client, an, first) == []  # the pair, whichever side asks
    assert (
        decide(client, an, person(first), person(second), "different").get_json()["changed"]
        is False
    )
    for incident in (first, second):
        kinds = [e["kind"] for e in timeline(client, an, incident)]
        assert kinds.count("person.rejected") == 1
    assert audited(app, "reject_link") == [("person", person(second))]


def test_unlinking_takes_the_person_off_the_record_with_a_reason(app, client, clock):
    an = headers(app)
    first, second, third = three_calls(client, an, clock)
    decide(client, an, person(second), person(first), "same")
    url = f"/api/v1/persons/{person(second)}/link"
    without = client.delete(url, json={}, headers=an)
    assert without.status_code == 422 and without.get_json()["fields"]["reason"] == "Verplicht."
    short = client.delete(url, json={"reason": "ja"}, headers=an)
    assert short.status_code == 422 and "3" in short.get_json()["fields"]["reason"]
    done = client.delete(url, json={"reason": "Andere persoon, zelfde gsm"}, headers=an)
    assert done.status_code == 200 and done.get_json() == {
        "person_id": person(second),
        "changed": True,
        "record_id": None,
    }
    assert all(i["persons"][0]["record_id"] is None for i in _reread(client, an, first, second))
    mine = [e for e in timeline(client, an, second) if e["kind"] == "person.unlinked"]
    theirs = [e for e in timeline(client, an, first) if e["kind"] == "person.unlinked"]
    assert mine[0]["detail"] == "Andere persoon, zelfde gsm" and theirs[0]["detail"] is None
    offered = [c["reference"] for c in candidates_of(client, an, second)]
    assert offered == [third["reference"], first["reference"]]  # offered again, to decide anew
    again = client.delete(url, json={"reason": "nog eens"}, headers=an)
    assert again.status_code == 200 and again.get_json()["changed"] is False
    assert audited(app, "unlink") == [("person", person(second))]


def test_a_restricted_incident_is_offered_only_to_those_who_may_see_it(app, client, clock):
    an, d2, chef = headers(app), headers(app, "d2"), headers(app, "chef", "supervisor")
    hidden = new_incident(client, an, persons=[VICTIM])
    restrict = {"reason": "Betrokkene is een politiemedewerker"}
    r = client.post(f"/api/v1/incidents/{hidden['id']}/restriction", json=restrict, headers=chef)
    assert r.status_code == 200, r.get_json()
    clock.advance(days=2)
    new = new_incident(client, d2, **CALLS[1], persons=[VICTIM])
    assert candidates_of(client, d2, new) == []
    [seen] = candidates_of(client, chef, new)
    assert seen["reference"] == hidden["reference"] and seen["restricted"] is True
    # d2 cannot reach the hidden person by id either: as if it did not exist.
    missing = 999_999
    for pid in (person(hidden), missing):
        assert client.get(f"/api/v1/persons/{pid}/history", headers=d2).status_code == 404
        gone = client.delete(f"/api/v1/persons/{pid}/link", json={"reason": "xyz"}, headers=d2)
        assert gone.status_code == 404
    link = decide(client, d2, person(new), person(hidden), "same")
    assert link.status_code == 422 and "other_person_id" in link.get_json()["fields"]
    assert decide(client, d2, person(new), missing, "same").get_json() == link.get_json()


def test_an_intake_token_gets_nothing(app, client, clock):
    an = headers(app)
    intake = bearer(make_token(app, "an", ["intake"]))
    first, second, _ = three_calls(client, an, clock)
    assert (
        client.get(
            f"/api/v1/incidents/{second['id']}/person-candidates", headers=intake
        ).status_code
        == 403
    )
    assert decide(client, intake, person(second), person(first), "same").status_code == 403
    assert client.get(f"/api/v1/persons/{person(first)}/history", headers=intake).status_code == 403


def test_a_spelling_variant_with_the_same_birth_year_is_offered_a_stranger_is_not(
    app, client, clock
):
    an = headers(app)
    peeters = new_incident(
        client, an, persons=[{"role": "victim", "name": "Jan Peeters", "birth_year": 1985}]
    )
    new_incident(
        client,
        an,
        **CALLS[1],
        persons=[{"role": "victim", "name": "Jan Pauwels", "birth_year": 1985}],
    )
    new_incident(
        client,
        an,
        **CALLS[2],
        persons=[{"role": "victim", "name": "Jan Peters", "birth_year": 1960}],
    )
    new_incident(client, an, **CALLS[0], persons=[{"role": "victim", "name": "Jan"}])
    clock.advance(days=1)
    peters = new_incident(
        client,
        an,
        address="Kiel 7, 2020 Antwerpen",
        caller_phone=None,
        persons=[{"role": "victim", "name": "Jan Peters", "birth_year": 1985}],
    )
    [offered] = candidates_of(client, an, peters)
    assert offered["reference"] == peeters["reference"] and offered["matched_on"] == ["phonetic"]
    # A birth year estimated from the age agrees within a year; a first name alone never.
    aged = new_incident(
        client,
        an,
        address="Kiel 9, 2020 Antwerpen",
        caller_phone=None,
        persons=[{"role": "victim", "name": "Jan Peeters", "age": 45}],
    )
    assert {c["birth_year"] for c in candidates_of(client, an, aged)} == {1985}


def test_history_lists_the_record_incidents_with_their_latest_screen(app, client, clock):
    from tests.triage.helpers import DASH_ITEMS, answers, assess

    an = headers(app)
    first, second, third = three_calls(client, an, clock)
    assert assess(client, an, first["id"], "dash", answers(DASH_ITEMS, 15)).status_code == 201
    for earlier in (first, second):
        decide(client, an, person(third), person(earlier), "same")
    got = client.get(f"/api/v1/persons/{person(first)}/history", headers=an)
    assert got.status_code == 200
    items = got.get_json()["items"]
    assert [i["reference"] for i in items] == [
        third["reference"],
        second["reference"],
        first["reference"],
    ]
    assert items[2]["levels"] == {"dash": "high"} and items[0]["levels"] == {}
    assert ("person_history", person(first)) in audited(app, "view")


def test_bad_decisions_are_field_errors_in_dutch(app, client, clock):
    an = headers(app)
    first, second, _ = three_calls(client, an, clock)
    url = f"/api/v1/persons/{person(second)}/links"
    odd = client.post(
        url, json={"other_person_id": person(first), "decision": "misschien"}, headers=an
    )
    assert odd.status_code == 422
    assert odd.get_json()["fields"]["decision"].startswith("Moet een van deze zijn")
    assert client.post(url, json={"decision": "same"}, headers=an).get_json()["fields"] == {
        "other_person_id": "Verplicht."
    }
    itself = decide(client, an, person(second), person(second), "same")
    assert (
        itself.status_code == 422 and "zichzelf" in itself.get_json()["fields"]["other_person_id"]
    )
    two = new_incident(client, an, persons=[VICTIM, {**VICTIM, "role": "caller"}])
    same_call = decide(client, an, two["persons"][0]["id"], two["persons"][1]["id"], "same")
    assert (
        same_call.status_code == 422
        and "melding" in same_call.get_json()["fields"]["other_person_id"]
    )
    decide(client, an, person(second), person(first), "same")
    linked = decide(client, an, person(second), person(first), "different")
    assert linked.status_code == 409 and "ontkoppel" in linked.get_json()["message"].lower()


SAME_FAMILY = [  # spelt two ways on two nights: one phonetic key (bench/phonetic_names.py)
    ("Peeters", "Peters"),
    ("Vandenbroucke", "Van den Broucke"),
    ("Dijkstra", "Dykstra"),
    ("Huysmans", "Huijsmans"),
    ("Geerts", "Gheerts"),
    ("Thys", "Thijs"),
    ("Aerts", "Aarts"),
    ("De Smet", "Desmet"),
    ("Van der Linden", "Vanderlinden"),
    ("Claes", "Claeys"),
    ("Segers", "Seghers"),
    ("Van den Bossche", "Vandenbosch"),
]
OTHER_FAMILY = [("Peeters", "Pauwels"), ("Schepens", "Schepers"), ("Mertens", "Martin")]


def test_flemish_spellings_share_a_phonetic_key_and_near_names_do_not():
    from triage.keys import phonetic_codes

    def codes(surname: str) -> set[str]:
        return set(phonetic_codes(f"Jan {surname}"))

    assert [pair for pair in SAME_FAMILY if not codes(pair[0]) & codes(pair[1])] == []
    assert [pair for pair in OTHER_FAMILY if codes(pair[0]) & codes(pair[1])] == []


# --- links to incidents the viewer may not see (review of issue 19) ------------------------------

RESTRICT = {"reason": "Betrokkene is een politiemedewerker"}


def _restrict(client, chef, incident) -> None:
    done = client.post(
        f"/api/v1/incidents/{incident['id']}/restriction", json=RESTRICT, headers=chef
    )
    assert done.status_code == 200, done.get_json()


def _linked_to_hidden(client, an, chef, clock) -> tuple[dict, dict]:
    """A call d2 may see, its victim linked by the supervisor to a call then restricted."""
    seen = new_incident(client, an, **CALLS[0], persons=[VICTIM])
    clock.advance(days=2)
    hidden = new_incident(client, an, **CALLS[1], persons=[VICTIM])
    assert decide(client, chef, person(hidden), person(seen), "same").status_code == 200
    _restrict(client, chef, hidden)
    return seen, hidden


def _record(client, who, incident) -> int | None:
    got = client.get(f"/api/v1/incidents/{incident['id']}", headers=who).get_json()
    return got["persons"][0]["record_id"]


def test_a_link_to_a_hidden_incident_reads_as_no_link(app, client, clock):
    an, d2, chef = headers(app), headers(app, "d2"), headers(app, "chef", "supervisor")
    seen, hidden = _linked_to_hidden(client, an, chef, clock)
    lonely = new_incident(client, an, **CALLS[2], persons=[{"role": "victim", "name": "X Y"}])
    # To d2 the victim is linked to nobody, exactly like a victim never linked.
    assert _record(client, d2, seen) is None and _record(client, d2, lonely) is None
    assert (
        _matches(client, d2, seen)["record_id"] is None
        and _matches(client, d2, seen)["linked"] == []
    )
    history = client.get(f"/api/v1/persons/{person(seen)}/history", headers=d2).get_json()
    assert history["record_id"] is None and len(history["items"]) == 1
    # Nor as a candidate of a new call by the same victim.
    clock.advance(days=1)
    new = new_incident(client, d2, address="Kiel 9, 2020 Antwerpen", persons=[VICTIM])
    [offered] = candidates_of(client, d2, new)
    assert offered["reference"] == seen["reference"] and offered["record_id"] is None
    # The supervisor sees the link everywhere.
    record = _record(client, chef, seen)
    assert record is not None and _record(client, chef, hidden) == record
    assert [c["record_id"] for c in candidates_of(client, chef, new)] == [record, record]
    # Once d2 sees two persons on the record, it reads as the record of those two.
    assert decide(client, d2, person(new), person(seen), "same").get_json()["record_id"] == record
    assert _record(client, d2, seen) == _record(client, d2, new) == record
    assert [i["reference"] for i in _matches(client, d2, new)["linked"]] == [seen["reference"]]


def test_a_link_to_a_hidden_incident_is_not_undone_by_who_may_not_see_it(app, client, clock):
    an, d2, chef = headers(app), headers(app, "d2"), headers(app, "chef", "supervisor")
    seen, hidden = _linked_to_hidden(client, an, chef, clock)
    lonely = new_incident(client, an, **CALLS[2], persons=[{"role": "victim", "name": "X Y"}])
    body = {"reason": "Andere persoon, zelfde gsm"}
    kept = client.delete(f"/api/v1/persons/{person(seen)}/link", json=body, headers=d2)
    alone = client.delete(f"/api/v1/persons/{person(lonely)}/link", json=body, headers=d2)
    assert kept.status_code == alone.status_code == 200
    assert kept.get_json() == {**alone.get_json(), "person_id": person(seen)}
    assert kept.get_json()["changed"] is False
    record = _record(client, chef, seen)
    assert record is not None and _record(client, chef, hidden) == record
    assert "person.unlinked" not in [e["kind"] for e in timeline(client, chef, hidden)]
    # The supervisor may.
    done = client.delete(f"/api/v1/persons/{person(seen)}/link", json=body, headers=chef)
    assert done.get_json()["changed"] is True and _record(client, chef, hidden) is None


def test_unlinking_from_a_record_leaves_the_hidden_persons_on_it(app, client, clock):
    an, d2, chef = headers(app), headers(app, "d2"), headers(app, "chef", "supervisor")
    seen, hidden = _linked_to_hidden(client, an, chef, clock)
    clock.advance(days=1)
    third = new_incident(client, an, **CALLS[2], persons=[VICTIM])
    decide(client, an, person(third), person(seen), "same")
    body = {"reason": "Andere persoon, zelfde gsm"}
    done = client.delete(f"/api/v1/persons/{person(third)}/link", json=body, headers=d2)
    assert done.get_json() == {"person_id": person(third), "changed": True, "record_id": None}
    # To d2 the record is gone, as one of two persons would be; the supervisor's link stays.
    assert _record(client, d2, seen) is None and _record(client, d2, third) is None
    assert _record(client, chef, seen) == _record(client, chef, hidden) is not None


def test_records_holding_a_hidden_person_are_merged_only_by_who_sees_it(app, client, clock):
    an, d2, chef = headers(app), headers(app, "d2"), headers(app, "chef", "supervisor")
    seen, hidden = _linked_to_hidden(client, an, chef, clock)
    other = [{"role": "victim", "name": "Samira El Idrissi", "phone": "0486 99 99 99"}]
    clock.advance(days=1)
    third = new_incident(client, an, address="Kiel 9, 2020 Antwerpen", persons=other)
    fourth = new_incident(client, an, address="Kiel 11, 2020 Antwerpen", persons=other)
    decide(client, an, person(fourth), person(third), "same")
    before = {i["id"]: _record(client, chef, i) for i in (seen, hidden, third, fourth)}
    refused = decide(client, d2, person(third), person(seen), "same")
    assert refused.status_code == 409
    assert refused.get_json()["fields"]["other_person_id"].startswith("Vraag de officier")
    assert {i["id"]: _record(client, chef, i) for i in (seen, hidden, third, fourth)} == before
    merged = decide(client, chef, person(third), person(seen), "same")
    assert merged.status_code == 200 and merged.get_json()["changed"] is True
    assert len({_record(client, chef, i) for i in (seen, hidden, third, fourth)}) == 1


def test_an_intake_token_reads_no_person_record(app, client, clock):
    an = headers(app)
    make_user(app, "tel", "dispatcher")
    tel = bearer(make_token(app, "tel", ["intake"]))
    first = new_incident(client, an, **CALLS[0], persons=[VICTIM])
    clock.advance(days=2)
    second = client.post("/api/v1/incidents", json={**CALLS[1], "persons": [VICTIM]}, headers=tel)
    assert second.status_code == 201
    assert decide(client, an, person(second.get_json()), person(first), "same").status_code == 200
    back = client.get(f"/api/v1/incidents/{second.get_json()['id']}", headers=tel)
    assert back.status_code == 200 and back.get_json()["persons"][0]["record_id"] is None
    assert _record(client, an, second.get_json()) is not None  # the centre sees the link


def test_a_correction_that_drops_a_linked_person_unlinks_it_on_the_record(app, client, clock):
    an = headers(app)
    first, second, third = three_calls(client, an, clock)
    for earlier in (first, second):
        decide(client, an, person(third), person(earlier), "same")
    witness = [{"role": "witness", "name": "Lien Claes"}]
    dropped = client.patch(
        f"/api/v1/incidents/{third['id']}", json={"persons": witness}, headers=an
    )
    assert dropped.status_code == 200, dropped.get_json()
    assert _record(client, an, first) == _record(client, an, second) is not None  # still two
    [line] = [e for e in timeline(client, an, third) if e["kind"] == "person.unlinked"]
    assert line["detail"] == "Verwijderd bij correctie van de melding"
    for incident in (first, second):
        assert [e["kind"] for e in timeline(client, an, incident)].count("person.unlinked") == 1
    assert audited(app, "unlink") == [("person", person(third))]
    # Dropping the second of two dissolves the record: one person is no record.
    client.patch(f"/api/v1/incidents/{second['id']}", json={"persons": witness}, headers=an)
    assert _record(client, an, first) is None
    history = client.get(f"/api/v1/persons/{person(first)}/history", headers=an).get_json()
    assert [i["reference"] for i in history["items"]] == [first["reference"]]


def test_person_candidates_are_limited_per_user(app, client, clock, monkeypatch):
    from core.extensions import limiter

    limiter.reset()
    monkeypatch.setitem(app.config, "LOOKUP_RATE_LIMIT", "3 per minute")
    an, d2 = headers(app), headers(app, "d2")
    first, second, _ = three_calls(client, an, clock)
    for _ in range(3):
        candidates_of(client, an, second)
    url = f"/api/v1/incidents/{second['id']}/person-candidates"
    assert client.get(url, headers=an).status_code == 429
    assert client.get(url, headers=d2).status_code == 200  # a colleague is not held up
    limiter.reset()
