"""An assignment records the unit's first en route and first on scene report (the statistics
read them): a later report of the same step, or one after the unit was released, changes
nothing."""

from __future__ import annotations

import datetime as dt

from core.db import db
from dispatch.models import Assignment
from tests.conftest import ctx
from tests.dispatch.helpers import board, incident_with_unit
from tests.triage.helpers import new_incident


def _move(client, headers, unit_id: int, status: str) -> None:
    moved = client.post(f"/api/v1/units/{unit_id}/status", json={"status": status}, headers=headers)
    assert moved.status_code == 200, moved.get_json()


def _times(app, assignment_id: int) -> tuple[dt.datetime | None, ...]:
    with ctx(app):
        found = db.session.get(Assignment, assignment_id)
        return found.acknowledged_at, found.en_route_at, found.on_scene_at


def test_the_first_en_route_and_on_scene_reports_are_kept(app, client, clock):
    headers = board(app)
    _, unit_id, assignment = incident_with_unit(app, client, headers)
    assigned = clock.now()
    assert _times(app, assignment["id"]) == (None, None, None)

    steps = [(40, "en_route"), (300, "on_scene"), (600, "transporting"), (60, "on_scene")]
    for seconds, status in steps:
        clock.advance(seconds=seconds)
        _move(client, headers, unit_id, status)

    en_route = assigned + dt.timedelta(seconds=40)
    on_scene = en_route + dt.timedelta(seconds=300)  # not the second one, after transporting
    assert _times(app, assignment["id"]) == (en_route, en_route, on_scene)


def test_after_a_release_the_reports_go_to_the_next_assignment(app, client, clock):
    headers = board(app)
    _, unit_id, first = incident_with_unit(app, client, headers)
    clock.advance(seconds=30)
    _move(client, headers, unit_id, "acknowledged")
    released = client.post(
        f"/api/v1/assignments/{first['id']}/release",
        json={"reason": "Andere ploeg is dichterbij."},
        headers=headers,
    )
    assert released.status_code == 200, released.get_json()
    other = new_incident(client, headers)
    clock.advance(seconds=60)
    second = client.post(
        f"/api/v1/incidents/{other['id']}/assignments", json={"unit_id": unit_id}, headers=headers
    )
    assert second.status_code == 201, second.get_json()
    clock.advance(seconds=45)
    _move(client, headers, unit_id, "en_route")

    assert _times(app, first["id"])[1:] == (None, None)  # released before it was en route
    assert _times(app, second.get_json()["id"])[1:] == (clock.now(), None)


def test_the_board_counts_from_the_first_unit_sent_not_from_a_later_one(app, client, clock):
    headers = board(app)
    incident, unit_id, first = incident_with_unit(app, client, headers)
    sent = clock.now()

    def dispatched_at() -> str | None:
        read = client.get(f"/api/v1/incidents/{incident['id']}", headers=headers)
        return read.get_json()["dispatched_at"]

    assert dt.datetime.fromisoformat(dispatched_at()) == sent
    clock.advance(minutes=5)
    released = client.post(
        f"/api/v1/assignments/{first['id']}/release",
        json={"reason": "Andere ploeg is dichterbij."},
        headers=headers,
    )
    assert released.status_code == 200, released.get_json()
    clock.advance(minutes=3)
    again = client.post(
        f"/api/v1/incidents/{incident['id']}/assignments",
        json={"unit_id": unit_id},
        headers=headers,
    )
    assert again.status_code == 201, again.get_json()
    assert dt.datetime.fromisoformat(dispatched_at()) == sent  # the timer did not restart
