"""A handover note carries the incident's motives and whether its children are at risk, as the
incident had them when the note was written, and only where the legal basis allows the full note."""

from __future__ import annotations

import datetime as dt

import pytest

from handover import packets
from tests.conftest import login
from tests.dispatch.helpers import board
from tests.handover.helpers import CAW, NOTE, local, packet_id, people, write
from tests.triage.helpers import new_incident

D = dt.date(2026, 11, 20)
NIGHT = local(2026, 11, 20, 2, 0)
CHILDREN = {"count": 2, "ages": [4, 7], "present": False, "at_risk": True}
RACISM_NL = "racisme of discriminatie"


@pytest.fixture
def night(app, client, clock):
    """A call with a discrimination motive and children at risk, a note under consent and one
    under art. 458bis, both to CAW, and the packets built at 07:00."""
    clock.set(local(2026, 11, 20, 1, 30))
    who = people(app)
    inc = new_incident(client, who["an"], motives=["racism_discrimination"], children=CHILDREN)
    minimal = {"legal_basis": "report_458bis", "consent": "not_asked"}
    ids = {
        "consent": write(app, inc["id"], NIGHT),
        "458bis": write(app, inc["id"], NIGHT, **minimal),
    }
    with app.app_context():
        packets.build_date(D, local(2026, 11, 20, 7, 0))
    clock.set(local(2026, 11, 20, 8, 0))
    return who, inc, ids


def test_the_police_read_the_motives_and_children_at_risk_in_the_note(client, night):
    who, _, ids = night
    note = client.get(f"/api/v1/handover-notes/{ids['consent']}", headers=who["an"]).get_json()
    assert note["motives"] == ["racism_discrimination"] and note["children_at_risk"] is True


def test_the_packet_carries_them_only_under_a_full_basis(app, client, night):
    who, _, ids = night
    pid = packet_id(app, CAW, D)
    shared = client.get(f"/api/v1/handover-packets/{pid}", headers=who["sw-caw"]).get_json()
    by_id = {n["id"]: n for n in shared["notes"]}
    full, minimal = by_id[ids["consent"]], by_id[ids["458bis"]]
    assert full["motives"] == ["racism_discrimination"] and full["children_at_risk"] is True
    assert minimal["motives"] is None and minimal["children_at_risk"] is None
    assert {"motives", "children_at_risk"} <= set(minimal["withheld"])

    login(client, "sw-caw")
    for path in (f"/handover/packets/{pid}", f"/handover/packets/{pid}/print"):
        html = client.get(path).get_data(as_text=True)
        assert html.count(RACISM_NL) == 1  # the consent note's, by name; not the 458bis one's
        assert "racism_discrimination" not in html
        assert "Kinderen in gevaar" in html
        assert "motieven" in html  # named among what the 458bis note withheld


def test_a_note_keeps_the_facts_of_its_writing_and_a_correction_takes_the_new(app, client, night):
    who, inc, ids = night
    changed = client.patch(
        f"/api/v1/incidents/{inc['id']}",
        json={"motives": ["anti_lgbt"], "children": {"count": 2, "at_risk": False}},
        headers=who["an"],
    )
    assert changed.status_code == 200
    url = f"/api/v1/handover-notes/{ids['consent']}"
    assert client.get(url, headers=who["an"]).get_json()["motives"] == ["racism_discrimination"]
    corrected = client.post(f"{url}/versions", json=NOTE, headers=who["an"]).get_json()
    assert corrected["motives"] == ["anti_lgbt"] and corrected["children_at_risk"] is False


def test_the_note_form_shows_the_facts_it_will_carry(client, night):
    _, inc, _ = night
    login(client, "an")
    html = client.get(f"/incidents/{inc['id']}/note").get_data(as_text=True)
    assert f"Motieven: {RACISM_NL}" in html and "Kinderen in gevaar: ja" in html


def test_a_restricted_incidents_facts_stay_with_those_who_may_see_it(app, client, night):
    who, inc, _ = night
    restricted = client.post(
        f"/api/v1/incidents/{inc['id']}/restriction",
        json={"reason": "collega betrokken"},
        headers=who["els"],
    )
    assert restricted.status_code == 200
    written = client.post(
        f"/api/v1/incidents/{inc['id']}/handover-notes", json=NOTE, headers=who["els"]
    )
    assert written.status_code == 201 and written.get_json()["motives"] == ["racism_discrimination"]
    note_id = written.get_json()["id"]
    other = board(app, "d2")  # a dispatcher of the night who is not involved in the case
    login(client, "d2")
    for path in (f"/incidents/{inc['id']}/note", f"/incidents/{inc['id']}/note?correct={note_id}"):
        page = client.get(path)
        assert page.status_code == 404 and RACISM_NL not in page.get_data(as_text=True)
    note = client.get(f"/api/v1/handover-notes/{note_id}", headers=other)
    assert note.status_code == 404 and "racism" not in note.get_data(as_text=True)
