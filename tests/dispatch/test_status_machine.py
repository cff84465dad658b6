"""The unit status state machine: every allowed and forbidden transition, through the API."""

from __future__ import annotations

import pytest

from dispatch.models import UnitStatus
from dispatch.service import TransitionError, check_transition
from tests.dispatch.helpers import board, incident_with_unit, make_unit, unit_status

# Written out by hand, not computed from the table under test: row = current status,
# column = requested status, "y" = allowed (a unit in a row from `assigned` down is on an incident).
EXPECTED = """
                off_duty  available  assigned  acknowledged  en_route  on_scene  transporting
off_duty           .          y          .           .           .         .          .
available          y          .          y           .           .         .          .
assigned           .          y          .           y           y         y          .
acknowledged       .          y          .           .           y         y          .
en_route           .          y          .           .           .         y          .
on_scene           .          y          .           .           .         .          y
transporting       .          y          .           .           .         y          .
"""


def _expected() -> dict[tuple[str, str], bool]:
    header, *rows = [line.split() for line in EXPECTED.strip().splitlines()]
    return {
        (row[0], requested): mark == "y"
        for row in rows
        for requested, mark in zip(header, row[1:], strict=True)
    }


CASES = _expected()


def test_the_expected_table_covers_every_pair_of_states():
    assert set(CASES) == {(a.value, b.value) for a in UnitStatus for b in UnitStatus}
    assert sum(CASES.values()) == 16


@pytest.mark.parametrize(("current", "requested"), list(CASES))
def test_transition_table(current, requested):
    on_incident = current not in ("off_duty", "available")
    if CASES[(current, requested)]:
        check_transition(UnitStatus(current), UnitStatus(requested), on_incident)
    else:
        with pytest.raises(TransitionError):
            check_transition(UnitStatus(current), UnitStatus(requested), on_incident)


def test_off_duty_only_when_not_on_an_incident():
    check_transition(UnitStatus.AVAILABLE, UnitStatus.OFF_DUTY, has_assignment=False)
    with pytest.raises(TransitionError):
        check_transition(UnitStatus.ON_SCENE, UnitStatus.OFF_DUTY, has_assignment=True)


def test_invalid_transition_is_409_naming_both_states(app, client):
    headers = board(app)
    unit_id = make_unit(app, status=UnitStatus.OFF_DUTY)
    response = client.post(
        f"/api/v1/units/{unit_id}/status", json={"status": "on_scene"}, headers=headers
    )
    assert response.status_code == 409
    body = response.get_json()
    assert "buiten dienst" in body["message"] and "ter plaatse" in body["message"]
    assert unit_status(app, unit_id) == "off_duty"


def test_assigned_is_reached_only_through_an_assignment(app, client):
    headers = board(app)
    unit_id = make_unit(app)
    response = client.post(
        f"/api/v1/units/{unit_id}/status", json={"status": "assigned"}, headers=headers
    )
    assert response.status_code == 409 and unit_status(app, unit_id) == "available"


def test_full_night_through_the_console_is_on_the_timeline(app, client):
    headers = board(app)
    incident, unit_id, _ = incident_with_unit(app, client, headers)
    for status in ("acknowledged", "en_route", "on_scene", "transporting", "available", "off_duty"):
        response = client.post(
            f"/api/v1/units/{unit_id}/status", json={"status": status}, headers=headers
        )
        assert response.status_code == 200, (status, response.get_json())
        assert response.get_json()["status"] == status
    detail = client.get(f"/api/v1/incidents/{incident['id']}", headers=headers).get_json()
    moves = [
        (e["from_state"], e["to_state"], e["source"])
        for e in detail["timeline"]
        if e["kind"] == "unit.status"
    ]
    assert moves[0] == ("available", "assigned", "api")
    assert moves[-1] == ("transporting", "available", "api")
    assert detail["status"] == "cleared"
    assert all(
        e["actor"].startswith("an") for e in detail["timeline"] if e["kind"] == "unit.status"
    )
