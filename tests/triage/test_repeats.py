"""Repeat victimisation (issue 19): the same home however it is spelled, the same caller, or the
same person once a dispatcher confirmed the link; REPEAT_THRESHOLD incidents in
REPEAT_WINDOW_DAYS flag the pattern and raise the priority."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from accounts.actor import Actor
from app.retention import run_retention
from core import crypto
from core.db import db
from tests.conftest import bearer, make_token, make_user
from tests.triage.helpers import DASH_ITEMS, answers, new_incident
from triage import keys, service
from triage.models import Incident, IncidentStatus, Person, PersonKey, PersonRecord

FLAG = "escalation_pattern"
SYSTEM = Actor(user=None, token=None, source="system")
SPELLINGS = (
    "Lange Beeldekensstraat 20",
    "Lange Beeldekensstraat 20, 2060 Antwerpen",
    "Lange Beeldekensstraat. 20 Antwerpen",
)


@pytest.fixture
def an(app):
    make_user(app, "an", "dispatcher")
    return bearer(make_token(app, "an"))


@pytest.fixture
def chef(app):
    make_user(app, "chef", "supervisor")
    return bearer(make_token(app, "chef"))


def call(client, headers, address, **changes) -> dict:
    """A call with no caller phone and nobody named: only the address can tie it."""
    body = {"caller_phone": None, "persons": [], **changes}
    return new_incident(client, headers, address=address, **body)


def detail(client, headers, incident: dict) -> dict:
    return client.get(f"/api/v1/incidents/{incident['id']}", headers=headers).get_json()


def prior(client, headers, incident: dict) -> dict[int, list[str]]:
    return {p["id"]: p["matched_on"] for p in detail(client, headers, incident)["prior_incidents"]}


def test_three_spellings_of_one_home_flag_the_third_call(client, an):
    calls = [call(client, an, address) for address in SPELLINGS]
    assert [FLAG in c["flags"] for c in calls] == [False, False, True]
    assert [c["priority"] for c in calls] == ["P3", "P3", "P2"]
    third = detail(client, an, calls[2])
    assert {p["id"]: p["matched_on"] for p in third["prior_incidents"]} == {
        calls[0]["id"]: ["address"],
        calls[1]["id"]: ["address"],
    }
    [line] = [e for e in third["timeline"] if e["kind"] == "flag.escalation_pattern"]
    assert (line["from_state"], line["to_state"]) == ("P3", "P2")


def test_an_abbreviated_street_lists_the_earlier_call_at_that_home(client, an):
    first = call(client, an, "Carnotstraat 45, 2060 Antwerpen")
    again = call(client, an, "Carnot str 45 Antwerpen")
    assert prior(client, an, again) == {first["id"]: ["address"]}
    # A corrected address is matched by its new key.
    moved = call(client, an, "Meir 1, 2000 Antwerpen")
    assert prior(client, an, moved) == {}
    fixed = client.patch(
        f"/api/v1/incidents/{moved['id']}", json={"address": "carnotstr. 45"}, headers=an
    )
    assert fixed.status_code == 200, fixed.get_json()
    assert set(prior(client, an, moved)) == {first["id"], again["id"]}


def test_another_house_number_or_box_is_another_household(client, an):
    home = call(client, an, "Carnotstraat 45, 2060 Antwerpen")
    door = call(client, an, "Carnotstraat 47, 2060 Antwerpen")
    flat = call(client, an, "Carnotstraat 45 bus 3, 2060 Antwerpen")
    assert prior(client, an, door) == {} and prior(client, an, flat) == {}
    same_flat = call(client, an, "Carnot str. 45/3")
    assert prior(client, an, same_flat) == {flat["id"]: ["address"]}
    assert home["id"] not in prior(client, an, same_flat)


def test_one_street_name_in_two_postcodes_stays_two_homes(client, an):
    deurne = call(client, an, "Turnhoutsebaan 10, 2100 Deurne")
    borgerhout = call(client, an, "Turnhoutsebaan 10, 2140 Borgerhout")
    assert prior(client, an, borgerhout) == {}
    again = call(client, an, "Turnhoutsebaan 10 Deurne")
    assert prior(client, an, again) == {deurne["id"]: ["address"]}


def test_only_incidents_within_the_window_count(app, client, an, clock):
    oldest = call(client, an, SPELLINGS[0])
    clock.advance(days=200)
    middle = call(client, an, SPELLINGS[1])
    clock.advance(days=200)  # `oldest` is now 400 days back
    latest = call(client, an, SPELLINGS[2])
    assert FLAG not in latest["flags"]
    assert prior(client, an, latest) == {middle["id"]: ["address"]}
    app.config["REPEAT_WINDOW_DAYS"] = 500
    assert set(prior(client, an, latest)) == {oldest["id"], middle["id"]}
    fourth = call(client, an, SPELLINGS[0])
    assert FLAG in fourth["flags"]  # with the longer window, three before it


def test_the_threshold_comes_from_the_configuration(app, client, an, monkeypatch):
    monkeypatch.setitem(app.config, "REPEAT_THRESHOLD", 2)
    call(client, an, SPELLINGS[0])
    second = call(client, an, SPELLINGS[1])
    assert FLAG in second["flags"]
    # The screen's repeat rule counts with the same threshold: DASH rises to its top level.
    screen = {"instrument": "dash", "answers": answers(DASH_ITEMS, 0)}
    scored = client.post(f"/api/v1/incidents/{second['id']}/assessments", json=screen, headers=an)
    assert scored.status_code == 201, scored.get_json()
    assert scored.get_json()["level"] == "high"


def test_restricted_incidents_are_left_out_of_the_count(app, client, an, chef):
    make_user(app, "d2", "dispatcher")
    other = bearer(make_token(app, "d2"))  # not involved in the restricted one
    hidden = call(client, an, SPELLINGS[0])
    restrict = {"reason": "Betrokkene is een politiemedewerker"}
    done = client.post(f"/api/v1/incidents/{hidden['id']}/restriction", json=restrict, headers=chef)
    assert done.status_code == 200
    second = call(client, other, SPELLINGS[1])
    third = call(client, other, SPELLINGS[2])
    assert FLAG not in third["flags"]  # the restricted one does not count for the board
    assert prior(client, other, third) == {second["id"]: ["address"]}
    assert set(prior(client, chef, third)) == {hidden["id"], second["id"]}
    assert FLAG in call(client, other, SPELLINGS[0])["flags"]


def link(app, incidents: list[dict]) -> int:
    """Confirm, as a dispatcher would, that each incident's victim is one person."""
    with app.app_context():
        record = PersonRecord()
        db.session.add(record)
        db.session.flush()
        for incident in incidents:
            victim = db.session.execute(
                select(Person).where(Person.incident_id == incident["id"], Person.role == "victim")
            ).scalar_one()
            victim.record_id = record.id
        db.session.commit()
        return record.id


def reevaluate(app, incidents: list[dict]) -> list[bool]:
    """What the persons helper does after a link is confirmed: re-check every incident."""
    with app.app_context():
        found = [service.mark_repeat(db.session.get(Incident, i["id"]), SYSTEM) for i in incidents]
        db.session.commit()
        return found


def test_the_same_victim_through_three_callers_is_flagged_once_linked(app, client, an):
    victim = {"role": "victim", "name": "Marie Peeters", "phone": "0470 55 66 77"}
    places = ("Meir 1, 2000 Antwerpen", "Kiel 5, 2020 Antwerpen", "Carnotstraat 12, 2060")
    phones = ("0499 11 11 11", "0499 22 22 22", "0499 33 33 33")
    calls = [
        new_incident(client, an, address=a, caller_phone=p, persons=[victim])
        for a, p in zip(places, phones, strict=True)
    ]
    assert not any(FLAG in c["flags"] for c in calls)  # nobody confirmed they are one person
    link(app, calls)
    assert reevaluate(app, calls) == [False, False, True]
    assert reevaluate(app, calls) == [False, False, False]  # once
    third = detail(client, an, calls[2])
    assert FLAG in third["flags"] and third["priority"] == "P2"
    assert len([e for e in third["timeline"] if e["kind"] == "flag.escalation_pattern"]) == 1
    assert {p["id"]: p["matched_on"] for p in third["prior_incidents"]} == {
        calls[0]["id"]: ["person"],
        calls[1]["id"]: ["person"],
    }
    assert FLAG not in detail(client, an, calls[0])["flags"]


def test_correcting_the_persons_keeps_a_confirmed_link(app, client, an):
    victim = {"role": "victim", "name": "Marie Peeters", "phone": "0470 55 66 77"}
    suspect = {"role": "suspect", "name": "Jan Peeters"}
    earlier = call(client, an, "Meir 1, 2000 Antwerpen", persons=[victim])
    now = call(client, an, "Kiel 5, 2020 Antwerpen", persons=[victim, suspect])
    record = link(app, [earlier, now])
    # The name corrected (the phone says it is the same victim), the suspect dropped, a witness.
    persons = [
        {"role": "victim", "name": "Marie Peeters-Janssens", "phone": "+32470556677", "age": 40},
        {"role": "witness", "name": "Lien Claes"},
    ]
    patched = client.patch(f"/api/v1/incidents/{now['id']}", json={"persons": persons}, headers=an)
    assert patched.status_code == 200, patched.get_json()
    assert prior(client, an, now) == {earlier["id"]: ["person"]}
    names = [(p["role"], p["name"]) for p in detail(client, an, now)["persons"]]
    assert names == [("victim", "Marie Peeters-Janssens"), ("witness", "Lien Claes")]
    with app.app_context():
        kept = db.session.execute(
            select(Person).where(Person.incident_id == now["id"], Person.role == "victim")
        ).scalar_one()
        assert kept.record_id == record
        name_key = crypto.blind_index(keys.normalise_name(kept.name), purpose="name")
        assert name_key in {k.value for k in kept.keys}  # the keys follow the corrected name
        # The dropped suspect's keys went with them: nobody is found by that name any more.
        gone = crypto.blind_index(keys.normalise_name(suspect["name"]), purpose="name")
        assert db.session.execute(select(PersonKey).where(PersonKey.value == gone)).all() == []
    # The same name in another role is not the same person: a new row, no link.
    swapped = [{"role": "witness", "name": "Marie Peeters-Janssens"}]
    client.patch(f"/api/v1/incidents/{now['id']}", json={"persons": swapped}, headers=an)
    assert prior(client, an, now) == {}


def test_an_anonymised_incident_ties_no_later_call(app, client, an, clock):
    old = call(client, an, SPELLINGS[0])
    with app.app_context():
        stored = db.session.get(Incident, old["id"])
        assert stored.address_key == "langebeeldekensstraat|20||2060"
        stored.status, stored.closed_at = IncidentStatus.CLOSED, clock.now()
        db.session.commit()
        run_retention(clock.now() + dt.timedelta(days=181))
        gone = db.session.get(Incident, old["id"])
        assert gone.address_key is None and gone.address_index is None
    assert prior(client, an, call(client, an, SPELLINGS[1])) == {}


def test_exercises_never_make_a_real_call_a_repeat_nor_the_other_way(client, an):
    """Training stays training: two drills at a real home do not flag the real call there (it
    would reach the weekly triage list as a repeat), and real calls never count for a drill."""
    drills = [call(client, an, SPELLINGS[0], exercise=True) for _ in range(2)]
    real = call(client, an, SPELLINGS[1])
    assert FLAG not in real["flags"] and real["priority"] == "P3"
    assert prior(client, an, real) == {}
    third_drill = call(client, an, SPELLINGS[2], exercise=True)
    assert FLAG in third_drill["flags"]  # the drill's own history still escalates the drill
    assert set(prior(client, an, third_drill)) == {d["id"] for d in drills}
