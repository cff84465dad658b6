"""House bans and protection orders (issue 19): the register, and the flags it raises on a call.

A supervisor registers an order; a call at the protected address or with a person it names is
flagged `order_in_force`, and `possible_breach` when the subject is reported there; the crew is
told by SMS in words, never names; registering or revoking re-checks the open incidents live.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, text

from accounts import service as accounts
from core.audit import AuditEvent
from core.db import db
from dispatch.models import Message, UnitMember
from tests.conftest import bearer, ctx, login, make_token, make_user
from tests.dispatch.helpers import board, make_unit
from tests.triage.helpers import IMMEDIATE_ITEMS, assess, new_incident

HOME = "Carnotstraat 12, 2060 Antwerpen"
ELSEWHERE = "Lange Beeldekensstraat 20, 2060 Antwerpen"
SUBJECT = {"name": "Kevin Janssens", "birth_year": 1988, "phone": "0485 11 22 33"}
PROTECTED = {"name": "Marie Peeters", "birth_year": 1991, "phone": "0470 99 88 77"}
NAMES = ("Kevin", "Janssens", "Marie", "Peeters", "Procureur")
STRANGER = [{"role": "victim", "name": "Lies Claes", "age": 40}]  # nobody the order names
ORDERS = "/api/v1/protective-orders"


@pytest.fixture
def an(app):
    """A dispatcher's token headers."""
    return board(app)


@pytest.fixture
def chef(app):
    """A supervisor's token headers."""
    return board(app, "chef", "supervisor")


def order_body(clock, **changes) -> dict:
    """A house ban at HOME, two days into its fourteen."""
    now = clock.now()
    return {
        "kind": "house_ban",
        "subject": SUBJECT,
        "protected_persons": [PROTECTED],
        "address": HOME,
        "valid_from": (now - dt.timedelta(days=2)).isoformat(),
        "valid_to": (now + dt.timedelta(days=12)).isoformat(),
        "issuing_authority": "Procureur des Konings Antwerpen",
        "order_reference": "AN.12.L3.001234/31",
    } | changes


def register(client, chef, clock, **changes) -> dict:
    response = client.post(ORDERS, json=order_body(clock, **changes), headers=chef)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def call(client, headers, **changes) -> dict:
    """A call at HOME about someone the order does not name, unless changed."""
    return new_incident(client, headers, **({"address": HOME, "persons": STRANGER} | changes))


def detail(client, headers, incident_id: int) -> dict:
    response = client.get(f"/api/v1/incidents/{incident_id}", headers=headers)
    assert response.status_code == 200
    return response.get_json()


def kinds(client, headers, incident_id: int) -> list[str]:
    return [e["kind"] for e in detail(client, headers, incident_id)["timeline"]]


# --- the register --------------------------------------------------------------------------


def test_a_supervisor_registers_an_order_a_dispatcher_reads_it_and_every_read_is_audited(
    app, client, clock, an, chef
):
    assert client.post(ORDERS, json=order_body(clock), headers=an).status_code == 403
    order = register(client, chef, clock)
    assert order["status"] == "active" and order["kind"] == "house_ban"
    assert order["subject"]["name"] == "Kevin Janssens"
    listed = client.get(ORDERS, headers=an).get_json()["items"]
    assert [o["id"] for o in listed] == [order["id"]]
    assert listed[0]["protected_persons"][0]["name"] == "Marie Peeters"
    assert listed[0]["address"] == HOME
    make_user(app, "sarah", "officer")
    assert client.get(ORDERS, headers=bearer(make_token(app, "sarah"))).status_code == 403
    with app.app_context():
        events = db.session.execute(
            select(AuditEvent.action, AuditEvent.object_id, AuditEvent.object_ids).where(
                AuditEvent.object_type == "protective_order"
            )
        ).all()
    assert ("create", order["id"], None) in events
    assert ("list", None, [order["id"]]) in events


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"valid_to_days": -3}, "valid_to", "na het begin"),
        ({"valid_to_days": 13}, "valid_to", "14 dagen"),  # 15 days from its start
        ({"protected_persons": []}, "protected_persons", "beschermde persoon"),
        ({"address": None}, "address", "adres"),
        ({"valid_to_days": -1, "valid_from_days": -10}, "valid_to", "afgelopen"),
        ({"kind": "house_ban_extension", "valid_to_days": 120}, "valid_to", "3 maanden"),
    ],
)
def test_an_order_the_register_cannot_use_is_refused_per_field_in_dutch(
    client, clock, chef, changes, field, words
):
    changes = dict(changes)
    now = clock.now()
    if "valid_from_days" in changes:
        changes["valid_from"] = (
            now + dt.timedelta(days=changes.pop("valid_from_days"))
        ).isoformat()
    if "valid_to_days" in changes:
        changes["valid_to"] = (now + dt.timedelta(days=changes.pop("valid_to_days"))).isoformat()
    response = client.post(ORDERS, json=order_body(clock, **changes), headers=chef)
    assert response.status_code == 422, response.get_json()
    body = response.get_json()
    assert body["message"] == "Sommige velden zijn niet geldig."
    assert words in body["fields"][field]
    listed = client.get(f"{ORDERS}?include=expired", headers=chef).get_json()
    assert listed["items"] == []  # nothing half-written


def test_one_answer_names_everything_an_empty_order_lacks(client, chef):
    response = client.post(ORDERS, json={"kind": "house_ban"}, headers=chef)
    assert response.status_code == 422
    fields = response.get_json()["fields"]
    assert set(fields) == {
        "subject.name",
        "protected_persons",
        "issuing_authority",
        "address",
        "valid_from",
        "valid_to",
    }
    assert fields["subject.name"] == "Verplicht."


def test_a_house_ban_of_exactly_fourteen_days_and_a_long_court_order_are_accepted(
    client, clock, chef
):
    start = clock.now().replace(microsecond=0)
    fourteen = {
        "valid_from": start.isoformat(),
        "valid_to": (start + dt.timedelta(days=14)).isoformat(),
    }
    assert client.post(ORDERS, json=order_body(clock, **fourteen), headers=chef).status_code == 201
    year = {
        "kind": "court_order",
        "address": None,
        "valid_to": (start + dt.timedelta(days=365)).isoformat(),
    }
    assert client.post(ORDERS, json=order_body(clock, **year), headers=chef).status_code == 201


def test_the_register_lists_ended_and_revoked_orders_only_when_asked(client, clock, an, chef):
    active = register(client, chef, clock)
    lifted = register(client, chef, clock, address=ELSEWHERE)
    path = f"{ORDERS}/{lifted['id']}/revoke"
    assert client.post(path, json={}, headers=chef).status_code == 422  # a reason is required
    assert client.post(path, json={"reason": "opgeheven"}, headers=an).status_code == 403
    assert (
        client.post(
            path, json={"reason": "opgeheven door de familierechtbank"}, headers=chef
        ).status_code
        == 200
    )
    again = client.post(path, json={"reason": "nog eens"}, headers=chef)
    assert again.status_code == 409 and again.get_json()["message"] == "Dit verbod is al opgeheven."
    assert [o["id"] for o in client.get(ORDERS, headers=an).get_json()["items"]] == [active["id"]]
    every = client.get(f"{ORDERS}?include=expired", headers=an).get_json()["items"]
    assert {o["id"]: o["status"] for o in every} == {
        active["id"]: "active",
        lifted["id"]: "revoked",
    }


# --- what the register says about a call ---------------------------------------------------


def test_a_call_at_the_protected_address_is_flagged_for_the_dispatcher(client, clock, an, chef):
    order = register(client, chef, clock)
    incident = call(client, an)
    assert "order_in_force" in incident["flags"] and "possible_breach" not in incident["flags"]
    seen = detail(client, an, incident["id"])
    assert "order_in_force" in seen["flags"]
    [line] = [e for e in seen["timeline"] if e["kind"] == "flag.order_in_force"]
    assert line["data"] == {"orders": [order["id"]]}
    orders = client.get(f"/api/v1/incidents/{incident['id']}/protective-orders", headers=an)
    [found] = orders.get_json()["items"]
    assert found["id"] == order["id"] and found["matched_on"] == ["address"]
    assert found["possible_breach"] is False and found["subject"]["name"] == "Kevin Janssens"


def test_the_subject_reported_present_is_a_possible_breach_and_a_p1(client, clock, an, chef):
    register(client, chef, clock)
    incident = call(client, an, flags=["suspect_present"])
    assert {"order_in_force", "possible_breach"} <= set(incident["flags"])
    assert incident["priority"] == "P1"
    assert "flag.possible_breach" in kinds(client, an, incident["id"])


def test_the_subject_named_as_suspect_at_the_protected_address_is_a_possible_breach(
    client, clock, an, chef
):
    register(client, chef, clock)
    suspect = {"role": "suspect", "name": "Janssens Kevin", "birth_year": 1988}
    at_home = call(client, an, persons=[*STRANGER, suspect])
    assert {"order_in_force", "possible_breach"} <= set(at_home["flags"])
    # The same man at another home, with someone the order does not protect: in force, no breach.
    elsewhere = call(client, an, address=ELSEWHERE, persons=[*STRANGER, suspect])
    assert "order_in_force" in elsewhere["flags"]
    assert "possible_breach" not in elsewhere["flags"]


def test_an_ended_or_revoked_order_flags_nothing(client, clock, an, chef):
    order = register(client, chef, clock)
    clock.advance(days=13)  # the ban ended a day ago
    assert call(client, an, flags=["suspect_present"])["flags"] == ["suspect_present"]
    clock.advance(days=-13)
    revoked = client.post(
        f"{ORDERS}/{order['id']}/revoke", json={"reason": "opgeheven"}, headers=chef
    )
    assert revoked.status_code == 200 and revoked.get_json()["status"] == "revoked"
    assert call(client, an)["flags"] == []


def test_a_revocation_keeps_who_lifted_the_order_and_why_encrypted(app, client, clock, chef):
    from triage.models import ProtectiveOrder

    order = register(client, chef, clock)
    reason = "Opgeheven door de familierechtbank Vredebeek"
    lifted = client.post(f"{ORDERS}/{order['id']}/revoke", json={"reason": reason}, headers=chef)
    assert lifted.status_code == 200
    with ctx(app):
        stored = db.session.get(ProtectiveOrder, order["id"])
        assert stored.revoke_reason == reason
        assert stored.revoked_by_id == accounts.user_by_name("chef").id
        raw = db.session.execute(
            text("SELECT revoke_reason FROM protective_order WHERE id = :i"), {"i": order["id"]}
        ).scalar_one()
        assert "Vredebeek" not in raw


@pytest.mark.parametrize(
    ("person", "caller", "flagged"),
    [
        ({"name": "M. P.", "phone": "+32 470 99 88 77"}, None, True),  # her phone
        ({"name": "Peeters Marie", "birth_year": 1991}, None, True),  # her name and year
        ({"name": "Marie Peeters"}, None, True),  # her name; the caller did not know the year
        ({"name": "Marie Peeters", "birth_year": 1975}, None, False),  # another Marie Peeters
        ({"name": "Marie Pieters", "birth_year": 1991}, None, False),  # sounds alike: never alone
        ({"name": "Buurvrouw"}, "0470 99 88 77", True),  # she calls from her own phone
    ],
)
def test_a_protected_person_on_a_call_elsewhere_is_flagged_only_on_a_strong_match(
    client, clock, an, chef, person, caller, flagged
):
    register(client, chef, clock)
    changes = {"address": ELSEWHERE, "persons": [{"role": "victim", **person}]}
    if caller:
        changes["caller_phone"] = caller
    incident = call(client, an, **changes)
    assert ("order_in_force" in incident["flags"]) is flagged
    if flagged:
        orders = client.get(f"/api/v1/incidents/{incident['id']}/protective-orders", headers=an)
        assert orders.get_json()["items"][0]["matched_on"] == ["protected_person"]


# --- live: registering and revoking re-check the open calls ---------------------------------


def test_registering_an_order_flags_an_open_call_at_once_and_revoking_lifts_it(
    app, client, clock, an, chef, monkeypatch
):
    from triage import events

    incident = call(client, an)
    assert incident["flags"] == []
    sent: list[tuple[str, dict]] = []
    monkeypatch.setattr(
        events, "publish_about", lambda name, inc, whole, red: sent.append((name, whole))
    )
    order = register(client, chef, clock)
    assert order["incidents"] == [
        {"id": incident["id"], "reference": incident["reference"], "flags": ["order_in_force"]}
    ]
    assert [(n, w["id"], w["flags"]) for n, w in sent] == [
        ("incident.updated", incident["id"], ["order_in_force"])
    ]
    assert "flag.order_in_force" in kinds(client, an, incident["id"])
    sent.clear()
    lifted = client.post(
        f"{ORDERS}/{order['id']}/revoke", json={"reason": "opgeheven"}, headers=chef
    )
    assert lifted.get_json()["incidents"][0]["flags"] == []
    assert [(n, w["flags"]) for n, w in sent] == [("incident.updated", [])]
    assert detail(client, an, incident["id"])["flags"] == []
    assert kinds(client, an, incident["id"])[-1] == "flag.order_lifted"


# --- the crew: flags in words, never names --------------------------------------------------


def crewed_unit(app) -> tuple[int, dict]:
    """NT-11 with officer sarah on it, and sarah's token headers."""
    make_user(app, "sarah", "officer")
    unit_id = make_unit(app)
    with ctx(app):
        db.session.add(UnitMember(unit_id=unit_id, user_id=accounts.user_by_name("sarah").id))
    return unit_id, bearer(make_token(app, "sarah"))


def texts(app, kind: str) -> list[str]:
    with app.app_context():
        query = select(Message.body).where(Message.kind == kind).order_by(Message.id)
        return list(db.session.execute(query).scalars())


def test_the_crew_is_told_of_the_order_and_the_breach_in_words_without_names(
    app, client, clock, an, chef, monkeypatch
):
    flags = (*app.config["SMS_SAFETY_FLAGS"], "possible_breach")  # not in the default yet
    monkeypatch.setitem(app.config, "SMS_SAFETY_FLAGS", flags)
    register(client, chef, clock)
    incident = call(
        client, an, flags=["suspect_present"], persons=[{"role": "victim", **PROTECTED}]
    )
    unit_id, sarah = crewed_unit(app)
    sent = client.post(
        f"/api/v1/incidents/{incident['id']}/assignments", json={"unit_id": unit_id}, headers=an
    )
    assert sent.status_code == 201, sent.get_json()
    [sms] = texts(app, "assignment")
    assert "GEVAAR: DADER TER PLAATSE, VERBOD VAN KRACHT, MOGELIJKE INBREUK. " in sms
    assert not [n for n in NAMES if n.upper() in sms.upper()]
    view = client.get("/api/v1/me/assignment", headers=sarah)
    [assignment] = view.get_json()["assignments"]
    labels = {f["code"]: f["label"] for f in assignment["flags"]}
    assert labels["order_in_force"] == "Huisverbod of bevel van kracht"
    assert labels["possible_breach"] == "Mogelijke inbreuk op het huisverbod of bevel"
    assert not [n for n in NAMES if n in view.get_data(as_text=True)]


def test_a_screen_that_finds_the_subject_there_tells_the_unit_of_a_possible_breach(
    app, client, clock, an, chef, monkeypatch
):
    flags = (*app.config["SMS_SAFETY_FLAGS"], "possible_breach")
    monkeypatch.setitem(app.config, "SMS_SAFETY_FLAGS", flags)
    register(client, chef, clock)
    incident = call(client, an)
    unit_id, _ = crewed_unit(app)
    client.post(
        f"/api/v1/incidents/{incident['id']}/assignments", json={"unit_id": unit_id}, headers=an
    )
    [first] = texts(app, "assignment")
    assert "VERBOD VAN KRACHT" in first and "INBREUK" not in first
    screen = {i: "no" for i in IMMEDIATE_ITEMS} | {"suspect_present": "yes"}
    assert assess(client, an, incident["id"], "immediate-danger", screen).status_code == 201
    assert "possible_breach" in detail(client, an, incident["id"])["flags"]
    [update] = texts(app, "danger")
    assert "MOGELIJKE INBREUK" in update and "VERBOD VAN KRACHT" not in update  # only what is new
    assert not [n for n in NAMES if n.upper() in update.upper()]


# --- the page --------------------------------------------------------------------------------


def test_the_register_page_is_dutch_and_only_the_supervisor_gets_the_form(app, client):
    make_user(app, "an", "dispatcher")
    login(client, "an")
    page = client.get("/protective-orders").get_data(as_text=True)
    assert "Huisverboden en rechterlijke verboden" in page
    assert 'id="order-form"' not in page and "Huisverboden</a>" in page
    chef = app.test_client()
    make_user(app, "chef", "supervisor")
    login(chef, "chef")
    page = chef.get("/protective-orders").get_data(as_text=True)
    assert 'id="order-form"' in page and "Verbod registreren" in page
    assert 'id="order-restricted"' in page and "Afgeschermd verbod" in page


# --- who reads what: dispatchers never birth years or phones; restricted orders ----------------

DETAILS = ("1988", "1991", "0485", "0470", "485112233", "470998877")


def test_a_dispatcher_reads_names_and_addresses_but_never_birth_years_or_phones(
    client, clock, an, chef
):
    order = register(client, chef, clock)
    incident = call(client, an)
    for path in (ORDERS, f"/api/v1/incidents/{incident['id']}/protective-orders"):
        seen = client.get(path, headers=an)
        [item] = seen.get_json()["items"]
        assert item["subject"] == {"name": "Kevin Janssens", "birth_year": None, "phone": None}
        assert item["protected_persons"] == [
            {"name": "Marie Peeters", "birth_year": None, "phone": None}
        ]
        assert item["address"] == HOME
        assert not [d for d in DETAILS if d in seen.get_data(as_text=True)], path
        full = client.get(path, headers=chef).get_json()["items"][0]
        assert full["subject"]["birth_year"] == 1988 and full["protected_persons"][0]["phone"]
    assert order["subject"]["phone"]  # the supervisor who registers it reads it back


def test_a_restricted_order_is_for_supervisors_yet_still_flags_the_call_for_dispatchers(
    client, clock, an, chef
):
    order = register(client, chef, clock, restricted=True)
    assert order["restricted"] is True and order["subject"]["name"] == "Kevin Janssens"
    listed = client.get(f"{ORDERS}?include=expired", headers=an).get_json()
    assert listed["items"] == [] and listed["page"]["total"] == 0
    [mine] = client.get(ORDERS, headers=chef).get_json()["items"]
    assert mine["id"] == order["id"] and mine["restricted"] is True and mine["address"] == HOME
    incident = call(client, an, flags=["suspect_present"])
    assert {"order_in_force", "possible_breach"} <= set(incident["flags"])
    path = f"/api/v1/incidents/{incident['id']}/protective-orders"
    seen = client.get(path, headers=an)
    [item] = seen.get_json()["items"]
    assert item["restricted"] is True and item["possible_breach"] is True
    assert item["matched_on"] == ["address"] and item["valid_to"] == order["valid_to"]
    assert item["subject"]["name"] is None and item["protected_persons"] == []
    assert item["address"] is None and item["order_reference"] is None
    text = seen.get_data(as_text=True)
    assert not [n for n in (*NAMES[:4], "Carnot", "AN.12") if n in text]
    [full] = client.get(path, headers=chef).get_json()["items"]
    assert full["subject"]["name"] == "Kevin Janssens" and full["order_reference"]


# --- dates the register cannot take ----------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "start", "end", "wrong"),
    [
        ("house_ban_extension", "9999-12-01T00:00:00", "9999-12-31T00:00:00", {"from", "to"}),
        ("house_ban", "9999-12-25T00:00:00", "9999-12-30T00:00:00", {"from", "to"}),
        ("court_order", "0001-01-01T00:00:00", "9999-12-31T23:59:59", {"from", "to"}),
        ("house_ban", "0001-01-01T00:30:00", "0001-01-02T00:00:00", {"from", "to"}),
        ("court_order", "2020-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00", {"to"}),
        ("court_order", "1999-12-31T23:00:00", "2101-01-01T00:00:00", {"from", "to"}),
    ],
)
def test_a_date_outside_the_years_2000_to_2100_is_refused_by_field_in_dutch(
    client, clock, chef, kind, start, end, wrong
):
    body = order_body(clock, kind=kind, valid_from=start, valid_to=end)
    response = client.post(ORDERS, json=body, headers=chef)
    assert response.status_code == 422, response.get_json()
    fields = response.get_json()["fields"]
    for name in ("valid_from", "valid_to"):
        named = name.removeprefix("valid_") in wrong
        assert ("tussen de jaren 2000 en 2100" in fields.get(name, "")) is named, fields
    assert client.get(f"{ORDERS}?include=expired", headers=chef).get_json()["items"] == []


def test_an_order_until_the_last_day_of_2100_is_accepted(client, clock, chef):
    until = {"kind": "court_order", "valid_to": "2100-12-31T23:59:00"}
    assert client.post(ORDERS, json=order_body(clock, **until), headers=chef).status_code == 201
