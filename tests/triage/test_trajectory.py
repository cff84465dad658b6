"""The risk trajectory (issue 19): earlier screens of the same person records and address beside
the new one, item by item, with what changed, the level and score over time, the victim's own
fear, and stable facts offered as suggestions, never copied."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from core.audit import AuditEvent
from core.db import db
from tests.conftest import FROZEN_AT, bearer, make_token, make_user
from tests.triage.helpers import DASH_ITEMS, LAP, assess, new_incident
from tests.triage.test_search import statements
from triage import links
from triage.models import Person, PersonRecord

LOOKUP = "/api/v1/trajectory/lookup"
HOME = "Carnotstraat 12, 2060 Antwerpen"
ELSEWHERE = "Turnhoutsebaan 10, 2140 Borgerhout"


def headers(app, name="an", role="dispatcher", scopes=None):
    make_user(app, name, role)
    return bearer(make_token(app, name, scopes))


def dash(*yes: str, **others: str) -> dict[str, str]:
    """A full DASH answer set: the named items yes, `others` as given, the rest no."""
    return {item: "yes" if item in yes else others.get(item, "no") for item in DASH_ITEMS}


def screened(client, h, clock, days_ago: int, answer_map: dict, **call) -> dict:
    """An incident received `days_ago` before the frozen night, screened with DASH then."""
    clock.set(FROZEN_AT - dt.timedelta(days=days_ago))
    extra = {k: call.pop(k) for k in ("victim_fear",) if k in call}
    incident = new_incident(client, h, **call)
    made = assess(client, h, incident["id"], "dash", answer_map, **extra)
    assert made.status_code == 201, made.get_json()
    return incident


def trajectory(client, h, incident_id: int):
    return client.get(f"/api/v1/incidents/{incident_id}/trajectory", headers=h)


def row(table: dict, item: str) -> list[tuple[str | None, bool]]:
    [found] = [r for r in table["rows"] if r["item"] == item]
    return [(cell["answer"], cell["changed"]) for cell in found["cells"]]


def audits(app, action: str, object_type: str) -> list[AuditEvent]:
    with app.app_context():
        return list(
            db.session.execute(
                select(AuditEvent)
                .where(AuditEvent.action == action, AuditEvent.object_type == object_type)
                .order_by(AuditEvent.id)
            ).scalars()
        )


def test_earlier_screens_at_the_address_stand_beside_the_new_one_with_changes_marked(
    app, client, clock
):
    an = headers(app)
    first = screened(client, an, clock, 60, dash("current_injury", "isolated"), victim_fear=4)
    second = screened(
        client,
        an,
        clock,
        30,
        dash("current_injury", "isolated", "recent_separation", "stalking_harassment"),
        victim_fear=6,
    )
    screened(client, an, clock, 20, dash(*DASH_ITEMS), address=ELSEWHERE, caller_phone=None)
    now = screened(
        client,
        an,
        clock,
        0,
        dash(
            "isolated",
            "recent_separation",
            "stalking_harassment",
            "strangulation",
            current_injury="unknown",
        ),
        victim_fear=8,
    )

    response = trajectory(client, an, now["id"])
    assert response.status_code == 200, response.get_json()
    data = response.get_json()
    # The incidents shown: newest first, the one elsewhere left out.
    assert [(i["reference"], i["matched_on"]) for i in data["incidents"]] == [
        (second["reference"], ["address"]),
        (first["reference"], ["address"]),
    ]
    [table] = data["instruments"]
    assert table["instrument"] == "dash" and table["title"].startswith("Risicoscreening")
    assert [(c["reference"], c["current"]) for c in table["columns"]] == [
        (first["reference"], False),
        (second["reference"], False),
        (now["reference"], True),
    ]
    assert [r["item"] for r in table["rows"]] == [*DASH_ITEMS, "victim_fear"]
    changed = {
        r["item"]: [n for n, cell in enumerate(r["cells"]) if cell["changed"]]
        for r in table["rows"]
        if any(cell["changed"] for cell in r["cells"])
    }
    assert changed == {
        "recent_separation": [1],
        "stalking_harassment": [1],
        "current_injury": [2],
        "strangulation": [2],
        "victim_fear": [1, 2],
    }
    assert row(table, "current_injury") == [("yes", False), ("yes", False), ("unknown", True)]
    assert row(table, "victim_fear") == [("4", False), ("6", True), ("8", True)]
    isolated = next(r for r in table["rows"] if r["item"] == "isolated")
    assert isolated["text"].startswith("Staat het slachtoffer los van familie")
    assert table["rows"][-1]["text"].startswith("Eigen angst van het slachtoffer")
    # The third incident in 12 months at the address: the repeat pattern raised the level.
    assert [(p["reference"], p["score"], p["level"]) for p in data["series"]] == [
        (first["reference"], 2, "standard"),
        (second["reference"], 4, "standard"),
        (now["reference"], 4, "high"),
    ]
    assert [c["level_label"] for c in table["columns"]] == ["standaard", "standaard", "hoog"]
    [seen] = audits(app, "view", "trajectory")
    assert seen.object_id == now["id"]
    assert seen.object_ids == [second["id"], first["id"]]


def test_a_stable_fact_answered_yes_earlier_is_suggested_while_it_is_valid(app, client, clock):
    an = headers(app)
    screened(client, an, clock, 730, dash("pregnancy_or_new_baby"))  # too long ago (365 days)
    recent = screened(
        client,
        an,
        clock,
        90,
        dash("recent_separation", "abuser_criminal_history", "child_contact_conflict", "isolated"),
    )
    later = dict.fromkeys(DASH_ITEMS, "unknown") | {"child_contact_conflict": "no"}
    screened(client, an, clock, 30, later)  # a later "no" ends a fact; "don't know" does not
    now = screened(
        client, an, clock, 0, dash("abuser_criminal_history", recent_separation="unknown")
    )

    data = trajectory(client, an, now["id"]).get_json()
    assert [(s["instrument"], s["item"]) for s in data["suggestions"]] == [
        ("dash", "recent_separation")
    ]
    [hint] = data["suggestions"]
    assert hint["reference"] == recent["reference"]
    assert hint["text"].startswith("Zijn slachtoffer en pleger het voorbije jaar uit elkaar")
    at = dt.datetime.fromisoformat(hint["at"])
    assert at == FROZEN_AT - dt.timedelta(days=90)
    assert dt.datetime.fromisoformat(hint["valid_until"]) == at + dt.timedelta(days=365)
    # Suggested, never copied: this incident's own screen still says "don't know".
    [table] = data["instruments"]
    assert row(table, "recent_separation")[-1][0] == "unknown"
    stable = {r["item"] for r in table["rows"] if r["stable"]}
    assert {"recent_separation", "pregnancy_or_new_baby"} <= stable
    assert "isolated" not in stable and "current_injury" not in stable


def test_the_same_person_elsewhere_is_part_of_the_trajectory(app, client, clock):
    an = headers(app)
    before = screened(client, an, clock, 40, dash("recent_separation"), address=ELSEWHERE)
    now = screened(client, an, clock, 0, dash(), caller_phone="0499 11 22 33")
    assert trajectory(client, an, now["id"]).get_json()["incidents"] == []
    with app.app_context():  # what the person linking does once a dispatcher confirmed it
        record = PersonRecord()
        db.session.add(record)
        db.session.flush()
        for incident in (before, now):
            victim = db.session.get(Person, incident["persons"][0]["id"])
            victim.record_id = record.id
        db.session.commit()
    data = trajectory(client, an, now["id"]).get_json()
    assert [(i["reference"], i["matched_on"]) for i in data["incidents"]] == [
        (before["reference"], ["person"])
    ]
    assert [s["item"] for s in data["suggestions"]] == ["recent_separation"]


def test_a_restricted_earlier_incident_is_left_out_for_those_who_may_not_see_it(app, client, clock):
    an, other = headers(app), headers(app, "d2")
    chief = headers(app, "chef", "supervisor")
    first = screened(client, an, clock, 60, dash("isolated"))
    hidden = screened(client, an, clock, 30, dash("isolated", "recent_separation"))
    restrict = {"reason": "Betrokkene is een politiemedewerker"}
    shut = client.post(
        f"/api/v1/incidents/{hidden['id']}/restriction", json=restrict, headers=chief
    )
    assert shut.status_code == 200, shut.get_json()
    now = screened(client, other, clock, 0, dash("isolated"))

    for_other = trajectory(client, other, now["id"]).get_json()
    assert [i["reference"] for i in for_other["incidents"]] == [first["reference"]]
    [table] = for_other["instruments"]
    assert [c["reference"] for c in table["columns"]] == [first["reference"], now["reference"]]
    assert for_other["suggestions"] == []  # the separation was learnt on the hidden one
    assert hidden["reference"] not in str(for_other)

    for_chief = trajectory(client, chief, now["id"]).get_json()
    assert [(i["reference"], i["restricted"]) for i in for_chief["incidents"]] == [
        (hidden["reference"], True),
        (first["reference"], False),
    ]
    assert [s["reference"] for s in for_chief["suggestions"]] == [hidden["reference"]]
    # Nor in the lookup before saving.
    asked = client.post(LOOKUP, json={"address": HOME}, headers=other).get_json()
    assert hidden["reference"] not in str(asked)


def test_the_lookup_before_saving_finds_the_address_and_the_phone_and_is_audited(
    app, client, clock
):
    an = headers(app)
    before = screened(client, an, clock, 50, dash("recent_separation"), victim_fear=7)
    clock.set(FROZEN_AT - dt.timedelta(days=50))
    lap = {item.id: "yes" if item.id == "gun_access" else "no" for item in LAP.items}
    assert assess(client, an, before["id"], "lap", lap).status_code == 201
    clock.set(FROZEN_AT)

    typed = {"address": "carnotstraat 12, 2060 antwerpen"}
    by_address = client.post(LOOKUP, json=typed, headers=an)
    assert by_address.status_code == 200, by_address.get_json()
    data = by_address.get_json()
    assert data["incident_id"] is None
    assert [(i["reference"], i["matched_on"]) for i in data["incidents"]] == [
        (before["reference"], ["address"])
    ]
    assert [t["instrument"] for t in data["instruments"]] == ["dash", "lap"]
    dash_table = data["instruments"][0]
    assert [(c["reference"], c["current"]) for c in dash_table["columns"]] == [
        (before["reference"], False)
    ]
    assert row(dash_table, "victim_fear") == [("7", False)]
    assert [(s["instrument"], s["item"]) for s in data["suggestions"]] == [
        ("dash", "recent_separation"),
        ("lap", "gun_access"),
    ]
    by_phone = client.post(LOOKUP, json={"caller_phone": "+32 470 12 34 56"}, headers=an)
    assert by_phone.get_json()["incidents"][0]["matched_on"] == ["caller_phone"]
    nothing = client.post(LOOKUP, json={"address": "Kiel 5, 2020 Antwerpen"}, headers=an)
    assert nothing.get_json() | {"limit": 0} == {
        "incident_id": None,
        "limit": 0,
        "incidents": [],
        "instruments": [],
        "series": [],
        "suggestions": [],
    }
    searched = audits(app, "search", "trajectory_by_address")
    assert [e.object_ids for e in searched] == [[before["id"]], []]
    assert [e.object_ids for e in audits(app, "search", "trajectory_by_phone")] == [[before["id"]]]


def test_bad_input_is_a_field_error_and_a_sweep_is_limited(app, client, monkeypatch):
    from core.extensions import limiter

    limiter.reset()
    monkeypatch.setitem(app.config, "LOOKUP_RATE_LIMIT", "3 per minute")
    an = headers(app)
    bad = client.post(LOOKUP, json={"caller_phone": "bel me"}, headers=an)
    assert bad.status_code == 422 and "caller_phone" in bad.get_json()["fields"]
    for n in range(2):
        miss = client.post(LOOKUP, json={"caller_phone": f"0499 00 00 0{n}"}, headers=an)
        assert miss.status_code == 200 and miss.get_json()["incidents"] == []
    sweep = client.post(LOOKUP, json={"caller_phone": "0499 00 00 09"}, headers=an)
    assert sweep.status_code == 429
    limiter.reset()


def test_an_invisible_incident_is_404_and_an_intake_token_is_refused(app, client, clock):
    an, other = headers(app), headers(app, "d2")
    chief = headers(app, "chef", "supervisor")
    phone = headers(app, "telefonie", scopes=["intake"])
    hidden = screened(client, an, clock, 0, dash())
    client.post(
        f"/api/v1/incidents/{hidden['id']}/restriction",
        json={"reason": "Betrokkene is een politiemedewerker"},
        headers=chief,
    )
    missing = trajectory(client, other, 999999)
    assert missing.status_code == 404
    refused = trajectory(client, other, hidden["id"])
    assert refused.status_code == 404 and refused.get_json() == missing.get_json()
    assert trajectory(client, chief, hidden["id"]).status_code == 200
    assert trajectory(client, phone, hidden["id"]).status_code == 403
    assert client.post(LOOKUP, json={"address": HOME}, headers=phone).status_code == 403
    officer = headers(app, "agent", "officer")
    assert trajectory(client, officer, hidden["id"]).status_code == 403
    assert audits(app, "search", "trajectory_by_address") == []


def test_instruments_list_their_stable_facts():
    from tests.triage.helpers import INSTRUMENTS

    assert INSTRUMENTS["dash"].stable_days()["recent_separation"] == 365
    assert {"gun_access", "child_not_abusers", "separated_after_cohabiting"} <= set(
        LAP.stable_days()
    )
    assert INSTRUMENTS["immediate-danger"].stable_items == ()


def test_the_lookup_while_typing_looks_back_only_over_the_repeat_window(
    app, client, clock, monkeypatch
):
    an = headers(app)
    monkeypatch.setitem(app.config, "REPEAT_WINDOW_DAYS", 365)
    long_ago = screened(client, an, clock, 3 * 365, dash("recent_separation"))
    this_year = screened(client, an, clock, 300, dash(), caller_phone="0499 00 11 22")
    clock.set(FROZEN_AT)
    data = client.post(LOOKUP, json={"address": HOME}, headers=an).get_json()
    assert [i["reference"] for i in data["incidents"]] == [this_year["reference"]]
    by_phone = client.post(LOOKUP, json={"caller_phone": "0470 12 34 56"}, headers=an)
    assert by_phone.get_json()["incidents"] == []  # only the old call came from that phone
    # The incident page's trajectory still shows the person's and the address's whole past.
    later = new_incident(client, an)
    shown = trajectory(client, an, later["id"]).get_json()["incidents"]
    assert [i["reference"] for i in shown] == [this_year["reference"], long_ago["reference"]]
    assert audits(app, "search", "trajectory_by_phone")[0].object_ids == []


def test_a_hidden_restricted_incident_at_the_address_is_never_read(app, client, clock):
    with app.app_context():
        if not hasattr(links.assignments(), "involved_condition"):
            pytest.skip("dispatch does not answer involved_condition yet")
    an, other = headers(app), headers(app, "d2")
    chief = headers(app, "chef", "supervisor")
    hidden = screened(client, an, clock, 10, dash())
    restrict = {"reason": "Betrokkene is een politiemedewerker"}
    url = f"/api/v1/incidents/{hidden['id']}/restriction"
    assert client.post(url, json=restrict, headers=chief).status_code == 200
    clock.set(FROZEN_AT)

    def ask(address):
        return client.post(LOOKUP, json={"address": address}, headers=other).get_json()

    sent = statements(app, lambda: ask(HOME))
    miss = statements(app, lambda: ask(ELSEWHERE))
    assert len(sent) == len(miss)
    assert ask(HOME) == ask(ELSEWHERE)
    seen = client.post(LOOKUP, json={"address": HOME}, headers=chief).get_json()
    assert [i["reference"] for i in seen["incidents"]] == [hidden["reference"]]
