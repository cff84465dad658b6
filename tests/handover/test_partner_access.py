"""Partner organisations see only their own packets and notes, only what the legal basis allows.

A social worker of organisation A can never see B's packet or note through any route or
socket event: B's objects answer 404, exactly like objects that do not exist.
"""

from __future__ import annotations

import datetime as dt

import pytest

from core import clock as core_clock
from core.realtime import NAMESPACE
from handover import jobs, settings
from handover.window import packet_date_for
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
NIGHT = local(2026, 11, 20, 2, 0)


@pytest.fixture
def night(app, clock):
    """Three notes of one night, one per legal basis, and the packets built at 07:00."""
    clock.set(local(2026, 11, 20, 8, 0))  # the social workers read them that morning
    who = people(app)
    inc = incident(app, received_at=local(2026, 11, 20, 1, 30))
    ids = {
        "consent": write(app, inc, NIGHT, organisations=[CAW]),
        "458ter": write(
            app,
            inc,
            NIGHT,
            legal_basis="case_consultation_458ter",
            consent="no",
            organisations=[CAW, VH],
        ),  # fmt: skip
        "458bis": write(
            app,
            inc,
            NIGHT,
            legal_basis="report_458bis",
            consent="not_asked",
            organisations=[SH, CAW],
        ),  # fmt: skip
    }
    with app.app_context():
        jobs.tick(app, local(2026, 11, 20, 7, 0))
    return who, ids


def packet(client, headers, slug=None, pid=None):
    pid = pid or packet_id(client.application, slug, D)
    return client.get(f"/api/v1/handover-packets/{pid}", headers=headers)


def test_each_organisation_gets_what_its_legal_basis_allows(app, client, night):
    who, ids = night
    caw = packet(client, who["sw-caw"], CAW).get_json()
    assert [n["id"] for n in caw["notes"]] == [ids["consent"], ids["458ter"], ids["458bis"]]
    full = caw["notes"][0]
    assert full["persons"][0]["name"] == "Marie Peeters" and full["withheld"] == []
    assert full["children"] == NOTE["children"] and full["follow_up"] == NOTE["follow_up"]
    assert full["actions"]["arrest"] is True and full["consent"] == "yes"
    assert caw["notes"][1]["persons"] and caw["notes"][1]["withheld"] == []
    minimal = caw["notes"][2]
    assert minimal["summary"] == NOTE["summary"] and minimal["priority"] == "P3"
    assert minimal["reference"].startswith("NW-") and minimal["incident_date"] == "2026-11-20"
    for field in ("persons", "children", "instruments", "actions", "follow_up", "consent"):
        assert minimal[field] is None and field in minimal["withheld"]
    assert "Marie" not in str(minimal)
    sh = packet(client, who["sw-sh"], SH).get_json()
    assert [n["id"] for n in sh["notes"]] == [ids["458bis"]]
    vh = packet(client, who["sw-vh"], VH).get_json()
    assert [n["id"] for n in vh["notes"]] == [ids["458ter"]]
    assert "organisations" not in vh["notes"][0]  # other addressees are never shown


def test_another_organisations_packet_is_404_on_every_route(app, client, night):
    who, _ = night
    theirs = packet_id(app, VH, D)
    missing = client.get("/api/v1/handover-packets/999999", headers=who["sw-caw"])
    for response in (
        client.get(f"/api/v1/handover-packets/{theirs}", headers=who["sw-caw"]),
        client.post(f"/api/v1/handover-packets/{theirs}/acknowledge", headers=who["sw-caw"]),
    ):
        assert response.status_code == 404
        assert response.get_json() == missing.get_json()  # indistinguishable from absent
    login(client, "sw-caw")
    for path in (f"/handover/packets/{theirs}", f"/handover/packets/{theirs}/print"):
        assert client.get(path).status_code == 404
    page = client.get("/handover").get_data(as_text=True)
    assert f"/handover/packets/{theirs}" not in page
    assert f"/handover/packets/{packet_id(app, CAW, D)}" in page


def test_packet_lists_show_only_the_own_organisation(app, client, night):
    who, _ = night
    listed = client.get("/api/v1/handover-packets?date=2026-11-20", headers=who["sw-vh"]).get_json()
    assert [p["organisation"] for p in listed["items"]] == [VH]
    assert listed["items"][0]["note_count"] == 1
    other_day = client.get("/api/v1/handover-packets?date=2026-11-19", headers=who["sw-vh"])
    assert [p["organisation"] for p in other_day.get_json()["items"]] == [VH]
    bad = client.get("/api/v1/handover-packets?date=tomorrow", headers=who["sw-vh"])
    assert bad.status_code == 422 and "date" in bad.get_json()["fields"]


def test_supervisors_list_every_packet_without_content(app, client, night):
    who, _ = night
    items = client.get("/api/v1/handover-packets?date=2026-11-20", headers=who["els"]).get_json()[
        "items"
    ]
    assert sorted(p["organisation"] for p in items) == sorted([CAW, VH, SH])
    assert all("notes" not in p for p in items)
    pid = items[0]["id"]
    assert client.get(f"/api/v1/handover-packets/{pid}", headers=who["els"]).status_code == 403


def test_partner_notes_are_404_unless_delivered_or_urgent_and_addressed(app, client, night):
    who, ids = night
    later = write(app, incident(app), local(2026, 11, 20, 9, 0), organisations=[CAW, VH])
    urgent = write(app, incident(app), local(2026, 11, 20, 9, 5), organisations=[CAW], urgent=True)

    def status(who_, note_id):
        return client.get(f"/api/v1/partner-notes/{note_id}", headers=who[who_]).status_code

    assert status("sw-caw", ids["consent"]) == 200  # delivered in CAW's packet
    assert status("sw-vh", ids["consent"]) == 404  # not addressed to VH
    assert status("sw-sh", ids["458ter"]) == 404
    assert status("sw-caw", later) == 404  # not urgent, not delivered yet
    assert status("sw-caw", urgent) == 200 and status("sw-vh", urgent) == 404
    pending = client.get("/api/v1/partner-notes", headers=who["sw-caw"]).get_json()["items"]
    assert [n["id"] for n in pending] == [urgent]
    assert client.get("/api/v1/partner-notes", headers=who["sw-vh"]).get_json()["items"] == []


def test_every_read_of_a_packet_or_note_is_audited(app, client, night):
    who, ids = night
    pid = packet_id(app, CAW, D)
    client.get("/api/v1/handover-packets", headers=who["sw-caw"])
    client.get(f"/api/v1/handover-packets/{pid}", headers=who["sw-caw"])
    client.get(f"/api/v1/partner-notes/{ids['consent']}", headers=who["sw-caw"])
    login(client, "sw-caw")
    client.get(f"/handover/packets/{pid}/print")
    client.get(f"/handover/packets/{pid}")
    lists = audits(app, "list", "handover_packet")
    assert lists[0].username == "sw-caw" and pid in lists[0].object_ids
    views = audits(app, "view", "handover_packet")
    assert [(v.object_id, v.username, v.organisation) for v in views] == [(pid, "sw-caw", CAW)] * 2
    assert views[0].object_ids == [ids["consent"], ids["458ter"], ids["458bis"]]
    assert views[0].occurred_at is not None
    prints = audits(app, "print", "handover_packet")
    assert [(p.object_id, p.username) for p in prints] == [(pid, "sw-caw")]
    notes = audits(app, "view", "handover_note")
    assert [(n.object_id, n.username) for n in notes] == [(ids["consent"], "sw-caw")]


def test_refused_reads_are_not_logged_as_views(app, client, night):
    who, _ = night
    client.get(f"/api/v1/handover-packets/{packet_id(app, VH, D)}", headers=who["sw-caw"])
    assert audits(app, "view", "handover_packet") == []


@pytest.fixture
def live_app(app):
    """A fresh app on the same database, so the Socket.IO server is bound to it; its clock
    stands at 03:00 on the night of D."""
    live = make_app(app.config["SQLALCHEMY_DATABASE_URI"])
    core_clock.install(live, core_clock.FrozenClock(local(2026, 11, 20, 3, 0)))
    return live


def _events(sock):
    return [(e["name"], e["args"][0]) for e in sock.get_received(NAMESPACE)]


def test_socket_events_reach_only_the_addressed_organisation(live_app, socket_client):
    who = people(live_app)
    inc = incident(live_app)
    socks = {name: socket_client(live_app, name) for name in ("sw-caw", "sw-vh", "els")}
    assert all(sock.is_connected(NAMESPACE) for sock in socks.values())
    client = live_app.test_client()
    url = f"/api/v1/incidents/{inc}/handover-notes"
    client.post(url, json={**NOTE, "urgent": True, "organisations": [CAW]}, headers=who["an"])
    client.post(url, json={**NOTE, "organisations": [CAW, VH]}, headers=who["an"])
    with live_app.app_context():
        day = packet_date_for(core_clock.now(), settings.handover_time(), settings.zone())
        assert day == D
        jobs.tick(live_app, local(day.year, day.month, day.day, 11, 0))  # build, then remind
    vh_packet = packet_id(live_app, VH, day)
    client.post(f"/api/v1/handover-packets/{vh_packet}/acknowledge", headers=who["sw-vh"])
    caw, vh, sup = (_events(socks[n]) for n in ("sw-caw", "sw-vh", "els"))
    assert vh == []  # VH's only note was not urgent; reminders and pickups go to supervisors
    assert [name for name, _ in caw] == ["handover.note"]
    assert caw[0][1]["organisations"] == [CAW] and caw[0][1]["urgent"] is True
    assert "summary" not in caw[0][1]
    assert [name for name, _ in sup].count("handover.note") == 2
    assert {p["detail"]["organisation"] for n, p in sup if n == "alarm.raised"} == {CAW, VH}
    assert [p["packet_id"] for n, p in sup if n == "handover.acknowledged"] == [vh_packet]
