"""Corrected notes (issue 15, finding 7): a partner reads only the latest version of a note, only
while that version is addressed to it with a basis that allows it; a correction that takes a
note away from an organisation that had it is withdrawn live from that organisation's room.
"""

from __future__ import annotations

import datetime as dt

import pytest

from core import clock as core_clock
from core.realtime import NAMESPACE
from handover import packets
from tests.conftest import login, make_app
from tests.handover.helpers import (
    CAW,
    NOTE,
    SH,
    VH,
    audits,
    incident,
    local,
    packet_id,
    people,
    write,
)

D = dt.date(2026, 11, 20)
NIGHT, MORNING = local(2026, 11, 20, 2, 0), local(2026, 11, 20, 9, 0)
CONSENT_WITHDRAWN = {"consent": "no", "legal_basis": "report_458bis", "organisations": [VH]}


@pytest.fixture
def delivered(app, clock):
    """A note to CAW and VH, delivered in their 07:00 packets; the clock stands at 09:30."""
    clock.set(local(2026, 11, 20, 9, 30))
    who = people(app)
    inc = incident(app)
    v1 = write(app, inc, NIGHT, organisations=[CAW, VH])
    build(app, D)
    return who, inc, v1


def build(app, day):
    with app.app_context():
        packets.build_date(day, local(day.year, day.month, day.day, 7, 0))


def note(client, headers, note_id):
    return client.get(f"/api/v1/partner-notes/{note_id}", headers=headers)


def packet(client, headers, slug=CAW, day=D):
    pid = packet_id(client.application, slug, day)
    return client.get(f"/api/v1/handover-packets/{pid}", headers=headers).get_json()


@pytest.mark.parametrize(
    "correction",
    [{"organisations": [VH]}, CONSENT_WITHDRAWN],
    ids=["wrong-addressee", "consent-withdrawn"],
)
def test_a_correction_that_drops_an_organisation_takes_the_note_away_from_it(
    app, client, delivered, correction
):
    who, inc, v1 = delivered
    assert note(client, who["sw-caw"], v1).status_code == 200  # CAW got version 1
    v2 = write(app, inc, MORNING, previous=v1, **correction)
    missing = note(client, who["sw-caw"], 999999)
    for version in (v1, v2):
        response = note(client, who["sw-caw"], version)
        assert response.status_code == 404 and response.get_json() == missing.get_json()
    shown = packet(client, who["sw-caw"])
    assert shown["notes"] == [] and shown["withdrawn"] == [
        {"id": v1, "reference": f"NW-2026-{inc:06d}"}
    ]
    assert (shown["note_count"], shown["withdrawn_count"]) == (0, 1)
    assert "Marie" not in str(shown) and NOTE["summary"] not in str(shown)
    # The supervisors keep every version (the audit trail); VH reads the latest one.
    assert client.get(f"/api/v1/handover-notes/{v1}", headers=who["els"]).status_code == 200
    assert note(client, who["sw-vh"], v2).status_code == 200
    assert note(client, who["sw-vh"], v1).status_code == 404
    login(client, "sw-caw")
    for path in (f"/handover/packets/{shown['id']}", f"/handover/packets/{shown['id']}/print"):
        html = client.get(path).get_data(as_text=True)
        assert f'class="hnote hnote-withdrawn" data-note-id="{v1}"' in html
        assert "Marie Peeters" not in html and NOTE["summary"] not in html


def test_a_correction_that_keeps_an_organisation_replaces_what_it_reads(app, client, delivered):
    who, inc, v1 = delivered
    reduced = {"consent": "no", "legal_basis": "report_458bis", "organisations": [CAW, VH]}
    v2 = write(app, inc, MORNING, previous=v1, summary="Gecorrigeerd.", **reduced)
    assert note(client, who["sw-caw"], v1).status_code == 404  # superseded, though delivered
    latest = note(client, who["sw-caw"], v2)
    assert latest.status_code == 200  # at once: CAW already got this note
    body = latest.get_json()
    assert body["summary"] == "Gecorrigeerd." and body["persons"] is None
    shown = packet(client, who["sw-caw"])
    assert [(n["id"], n["packet_note_id"], n["version"]) for n in shown["notes"]] == [(v2, v1, 2)]
    assert shown["withdrawn"] == [] and "Marie" not in str(shown)
    views = audits(app, "view", "handover_packet")
    assert views[-1].object_ids == [v2]  # the version whose content was shown


def test_a_correction_that_adds_an_organisation_reaches_it_with_its_next_packet(
    app, client, delivered
):
    who, inc, v1 = delivered
    v2 = write(app, inc, MORNING, previous=v1, organisations=[CAW, SH], legal_basis="consent")
    assert note(client, who["sw-caw"], v2).status_code == 200
    assert note(client, who["sw-sh"], v2).status_code == 404  # new to SH: not delivered yet
    build(app, D + dt.timedelta(days=1))
    assert note(client, who["sw-sh"], v2).status_code == 200
    assert [
        n["id"] for n in packet(client, who["sw-sh"], SH, D + dt.timedelta(days=1))["notes"]
    ] == [v2]


def test_an_organisation_added_back_after_a_withdrawal_waits_for_its_next_packet(
    app, client, delivered
):
    who, inc, v1 = delivered
    v2 = write(app, inc, MORNING, previous=v1, organisations=[VH])
    v3 = write(app, inc, local(2026, 11, 20, 9, 15), previous=v2, organisations=[CAW, VH])
    assert note(client, who["sw-caw"], v3).status_code == 404
    shown = packet(client, who["sw-caw"])
    assert shown["notes"] == [] and [w["id"] for w in shown["withdrawn"]] == [v1]
    build(app, D + dt.timedelta(days=1))
    assert note(client, who["sw-caw"], v3).status_code == 200
    assert [n["id"] for n in packet(client, who["sw-caw"])["notes"]] == [v3]


def test_pending_urgent_notes_show_only_the_latest_version(app, client, clock):
    clock.set(local(2026, 11, 20, 4, 0))
    who = people(app)
    inc = incident(app)
    v1 = write(app, inc, NIGHT, urgent=True)
    v2 = write(app, inc, local(2026, 11, 20, 3, 0), previous=v1, urgent=True, summary="Nieuw.")
    pending = client.get("/api/v1/partner-notes", headers=who["sw-caw"]).get_json()["items"]
    assert [n["id"] for n in pending] == [v2]
    assert note(client, who["sw-caw"], v1).status_code == 404
    v3 = write(app, inc, local(2026, 11, 20, 3, 30), previous=v2, urgent=True, **CONSENT_WITHDRAWN)
    assert client.get("/api/v1/partner-notes", headers=who["sw-caw"]).get_json()["items"] == []
    login(client, "sw-caw")
    html = client.get("/handover").get_data(as_text=True)
    assert "Nieuw." not in html and f'data-note-id="{v3}"' not in html


@pytest.fixture
def live_app(app):
    """A fresh app on the same database (the Socket.IO server binds to it), at 03:00 on D."""
    live = make_app(app.config["SQLALCHEMY_DATABASE_URI"])
    core_clock.install(live, core_clock.FrozenClock(local(2026, 11, 20, 3, 0)))
    return live


def test_a_withdrawal_is_pushed_to_the_room_of_the_organisation_that_had_the_note(
    live_app, socket_client
):
    who = people(live_app)
    inc = incident(live_app)
    socks = {name: socket_client(live_app, name) for name in ("sw-caw", "sw-vh", "sw-sh")}
    assert all(sock.is_connected(NAMESPACE) for sock in socks.values())
    client = live_app.test_client()
    url = f"/api/v1/incidents/{inc}/handover-notes"
    urgent = {**NOTE, "urgent": True, "organisations": [CAW, VH]}
    v1 = client.post(url, json=urgent, headers=who["an"]).get_json()["id"]
    quiet = client.post(url, json={**NOTE, "organisations": [CAW, SH]}, headers=who["an"])
    for previous, body in ((v1, {**urgent, **CONSENT_WITHDRAWN}), (quiet.get_json()["id"], NOTE)):
        corrected = client.post(
            f"/api/v1/handover-notes/{previous}/versions", json=body, headers=who["an"]
        )
        assert corrected.status_code == 201
    received = {n: sock.get_received(NAMESPACE) for n, sock in socks.items()}
    withdrawn = {
        n: [e["args"][0] for e in r if e["name"] == "handover.withdrawn"]
        for n, r in received.items()
    }
    assert withdrawn["sw-caw"] == [{"note_ids": [v1], "reference": f"NW-2026-{inc:06d}"}]
    assert withdrawn["sw-vh"] == []  # still addressed: VH reads the correction
    assert withdrawn["sw-sh"] == []  # SH never got its note: its removal reveals nothing


def test_consent_withdrawn_altogether_takes_the_note_from_every_partner(app, client, delivered):
    who, inc, v1 = delivered
    versions = f"/api/v1/handover-notes/{v1}/versions"
    nobody = {**NOTE, "consent": "no", "organisations": []}
    fresh = client.post(f"/api/v1/incidents/{inc}/handover-notes", json=nobody, headers=who["els"])
    assert fresh.status_code == 422 and "organisations" in fresh.get_json()["fields"]
    withdrawn = client.post(versions, json=nobody, headers=who["els"])
    assert withdrawn.status_code == 201, withdrawn.get_json()
    v2 = withdrawn.get_json()["id"]
    for reader in ("sw-caw", "sw-vh"):
        for version in (v1, v2):
            assert note(client, who[reader], version).status_code == 404
    assert packet(client, who["sw-caw"])["withdrawn_count"] == 1
    assert packet(client, who["sw-vh"], VH)["withdrawn_count"] == 1
    kept = client.get(f"/api/v1/handover-notes/{v2}", headers=who["els"])
    assert kept.status_code == 200 and kept.get_json()["organisations"] == []
