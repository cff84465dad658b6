"""`flask handover build`: idempotent, refuses a handover time still to come; the acceptance run."""

from __future__ import annotations

import datetime as dt

from tests.handover.helpers import CAW, NOTE, incident, local, packet_contents, people, write
from tests.triage.helpers import new_incident


def test_build_twice_changes_nothing(app, runner, clock):
    people(app)
    note = write(app, incident(app), local(2026, 11, 20, 2, 0))
    clock.set(local(2026, 11, 20, 8, 0))
    first = runner.invoke(args=["handover", "build"])
    assert first.exit_code == 0, first.output
    assert "handover 2026-11-20: built 3 packet(s), 0 already existed" in first.output
    second = runner.invoke(args=["handover", "build", "--date", "2026-11-20"])
    assert second.exit_code == 0
    assert "built 0 packet(s), 3 already existed" in second.output
    assert packet_contents(app)[(CAW, dt.date(2026, 11, 20))] == [note]
    assert len(packet_contents(app)) == 3


def test_build_refuses_a_handover_time_still_to_come(app, runner, clock):
    people(app)
    clock.set(local(2026, 11, 20, 6, 59))
    result = runner.invoke(args=["handover", "build", "--date", "2026-11-20"])
    assert result.exit_code != 0
    assert "2026-11-20 07:00:00 CET, which has not passed yet" in result.output
    assert packet_contents(app) == {}
    bad = runner.invoke(args=["handover", "build", "--date", "20-11-2026"])
    assert bad.exit_code != 0 and "does not match the format" in bad.output


def test_acceptance_note_packet_pickup_and_isolation(app, client, runner, clock):
    clock.set(local(2026, 11, 20, 6, 58))
    who = people(app)
    inc = new_incident(client, who["an"])
    url = f"/api/v1/incidents/{inc['id']}/handover-notes"
    note = client.post(url, json=NOTE, headers=who["an"]).get_json()
    refused = client.post(url, json={**NOTE, "legal_basis": None}, headers=who["an"])
    assert refused.status_code == 422 and "legal_basis" in refused.get_json()["fields"]
    early = runner.invoke(args=["handover", "build"])
    assert "handover 2026-11-19: built 3 packet(s)" in early.output  # yesterday's, empty
    clock.advance(minutes=2)  # 07:00 has passed
    first = runner.invoke(args=["handover", "build"])
    second = runner.invoke(args=["handover", "build"])
    assert first.exit_code == second.exit_code == 0, first.output + second.output
    assert "built 3 packet(s)" in first.output and "built 0 packet(s)" in second.output
    assert "handover 2026-11-20:" in first.output
    day = "2026-11-20"
    listed = client.get(f"/api/v1/handover-packets?date={day}", headers=who["sw-caw"]).get_json()
    assert len(listed["items"]) == 1 and listed["items"][0]["note_count"] == 1
    pid = listed["items"][0]["id"]
    packet = client.get(f"/api/v1/handover-packets/{pid}", headers=who["sw-caw"]).get_json()
    assert [n["id"] for n in packet["notes"]] == [note["id"]]
    ack = client.post(f"/api/v1/handover-packets/{pid}/acknowledge", headers=who["sw-caw"])
    assert ack.status_code == 200 and ack.get_json()["acknowledged_by"] == "sw-caw"
    assert client.get(f"/api/v1/handover-packets/{pid}", headers=who["sw-vh"]).status_code == 404
