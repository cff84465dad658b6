"""The phone form for notes, the social worker's packet pages and the print view."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from core.db import db
from handover import packets
from handover.models import HandoverNote
from tests.conftest import csrf_token, login
from tests.handover.helpers import (
    CAW,
    VH,
    assign,
    audits,
    incident,
    local,
    packet_id,
    people,
    write,
)
from tests.triage.helpers import new_incident

D = dt.date(2026, 11, 20)
FORM = {
    "summary": "Slachtoffer opgevangen bij familie.",
    "person-0-role": "victim",
    "person-0-name": "Marie Peeters",
    "person-0-age": "34",
    "children": "Geen kinderen aanwezig.",
    "actions": ["shelter", "medical"],
    "consent": "yes",
    "legal_basis": "consent",
    "organisations": [CAW],
    "follow_up": "Bellen na 9 uur.",
}


@pytest.fixture
def officer_case(app, client):
    who = people(app)
    inc = new_incident(client, who["an"])
    assign(app, inc["id"], "sarah")
    login(client, "sarah")
    return inc


def notes(app):
    with app.app_context():
        rows = db.session.execute(select(HandoverNote).order_by(HandoverNote.id)).scalars()
        return [(n, [o.slug for o in n.organisations]) for n in rows]


def test_an_officer_writes_a_note_from_the_phone_form(app, client, officer_case):
    url = f"/incidents/{officer_case['id']}/note"
    page = client.get(url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert officer_case["reference"] in html and 'value="Marie Peeters"' in html
    assert audits(app, "view", "incident")[-1].username == "sarah"
    response = client.post(url, data={**FORM, "csrf_token": csrf_token(client, url)})
    assert response.status_code == 302
    [(note, slugs)] = notes(app)
    assert note.author_id is not None and note.legal_basis == "consent"
    assert note.content["persons"] == [
        {"role": "victim", "name": "Marie Peeters", "age": 34, "remarks": None}
    ]
    assert note.content["actions"]["shelter"] and not note.content["actions"]["arrest"]
    assert slugs == [CAW]
    assert f"?correct={note.id}" in client.get(url).get_data(as_text=True)  # listed, correctable


def test_the_form_refuses_a_share_without_legal_basis_and_keeps_the_input(
    app, client, officer_case
):
    url = f"/incidents/{officer_case['id']}/note"
    form = {**FORM, "csrf_token": csrf_token(client, url)}
    del form["legal_basis"]
    response = client.post(url, data=form)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="err-legal_basis"' in html and FORM["summary"] in html
    consent_no = client.post(url, data={**form, "legal_basis": "consent", "consent": "no"})
    assert consent_no.status_code == 422 and 'id="err-consent"' in consent_no.get_data(as_text=True)
    assert notes(app) == []


def test_the_form_corrects_the_latest_version(app, client, officer_case):
    url = f"/incidents/{officer_case['id']}/note"
    client.post(url, data={**FORM, "csrf_token": csrf_token(client, url)})
    [(first, _)] = notes(app)
    correct = f"{url}?correct={first.id}"
    page = client.get(correct).get_data(as_text=True)
    assert FORM["follow_up"] in page and f'name="correct" value="{first.id}"' in page
    client.post(
        correct, data={**FORM, "summary": "Gecorrigeerd.", "csrf_token": csrf_token(client, url)}
    )
    assert [(n.version, n.supersedes_id) for n, _ in notes(app)] == [(1, None), (2, first.id)]
    assert notes(app)[1][0].content["persons"][0]["name"] == "Marie Peeters"
    stale = client.post(correct, data={**FORM, "csrf_token": csrf_token(client, url)})
    assert stale.status_code == 302 and len(notes(app)) == 2


def test_a_correction_keeps_what_the_form_was_filled_with(app, client, officer_case):
    # Remarks on a person (also written through the API) survive a correction on the phone form.
    url = f"/incidents/{officer_case['id']}/note"
    form = {
        **FORM,
        "person-0-remarks": "Spreekt enkel Pools.",
        "csrf_token": csrf_token(client, url),
    }
    client.post(url, data=form)
    [(first, _)] = notes(app)
    correct = f"{url}?correct={first.id}"
    page = client.get(correct).get_data(as_text=True)
    assert 'value="Spreekt enkel Pools."' in page
    fields = {k: v for k, v in form.items() if k != "person-0-remarks"}
    fields["person-0-remarks"] = "Spreekt enkel Pools."  # what the pre-filled form posts back
    client.post(correct, data={**fields, "summary": "Gecorrigeerd."})
    latest = notes(app)[-1][0]
    assert latest.version == 2
    assert latest.content["persons"][0]["remarks"] == "Spreekt enkel Pools."


def test_an_officer_of_another_unit_gets_404_as_for_a_missing_incident(app, client):
    who = people(app)
    inc = new_incident(client, who["an"])
    login(client, "sarah")
    assert client.get(f"/incidents/{inc['id']}/note").status_code == 404
    assert client.get("/incidents/999999/note").status_code == 404


@pytest.fixture
def delivered(app, clock):
    clock.set(local(2026, 11, 20, 8, 0))  # the morning the packets were delivered
    who = people(app)
    inc = incident(app)
    ids = [
        write(app, inc, local(2026, 11, 20, 1, 0), summary="<script>alert(1)</script> & co"),
        write(app, inc, local(2026, 11, 20, 2, 0), organisations=[VH]),
    ]
    with app.app_context():
        packets.build_date(D, local(2026, 11, 20, 7, 0))
    return who, ids


def test_the_packet_pages_show_escaped_content_and_print_cleanly(app, client, delivered):
    login(client, "sw-caw")
    pid = packet_id(app, CAW, D)
    for path in (f"/handover/packets/{pid}", f"/handover/packets/{pid}/print"):
        html = client.get(path).get_data(as_text=True)
        assert "<script>alert(1)" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in html
        assert "Marie Peeters" in html
        assert "handover.css" in html and "onclick" not in html
    printed = client.get(f"/handover/packets/{pid}/print").get_data(as_text=True)
    assert "data-print" in printed and 'name="csrf-token"' not in printed


def test_the_packets_page_lists_own_packets_and_pending_urgent_notes(app, client, clock, delivered):
    urgent = write(app, incident(app), clock.now(), urgent=True, summary="Dringend!")
    login(client, "sw-caw")
    html = client.get("/handover").get_data(as_text=True)
    assert f'data-packet-id="{packet_id(app, CAW, D)}"' in html
    assert f'data-packet-id="{packet_id(app, VH, D)}"' not in html
    assert f'data-note-id="{urgent}"' in html and "Dringend!" in html
    assert 'name="csrf-token"' in html and "js/handover.js" in html
