"""Unit positions: kept current, aged, and a stale one ranked as unknown and marked on the board;
a new position reaches the board live, but not where the unit serves a restricted incident."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import update

from core.db import db
from core.realtime import NAMESPACE
from dispatch import positions
from dispatch.models import Unit
from dispatch.ranking import RankingParams, Reason, UnitCandidate, rank_units
from tests.conftest import FROZEN_AT, bearer, ctx, make_token
from tests.dispatch.helpers import board, incident_with_unit, make_unit
from tests.dispatch.test_recommendations_api import (
    POINT,
    SKILLS,
    incident_with_priority,
    recommendations,
    unit_at,
)

ON_SCENE = (51.23017, 4.42029)  # where a restricted incident's unit reports from (the home)


def received(sock, name: str) -> list[dict]:
    """The payloads of the events of that name a test socket got."""
    return [e["args"][0] for e in sock.get_received(NAMESPACE) if e["name"] == name]


def by_call_sign(items: list[dict]) -> dict[str, dict]:
    """Key a list of units or recommendations by call sign."""
    return {item["call_sign"]: item for item in items}


# --- the rule, pure ---------------------------------------------------------------------------


def test_a_position_is_stale_after_the_limit_and_one_of_unknown_time_is_stale():
    assert not positions.is_stale(FROZEN_AT - dt.timedelta(seconds=900), FROZEN_AT, 900)
    assert positions.is_stale(FROZEN_AT - dt.timedelta(seconds=901), FROZEN_AT, 900)
    assert positions.is_stale(None, FROZEN_AT, 900)


def test_the_core_ranks_a_stale_unit_as_unknown_and_says_how_old_its_position_is():
    there = (POINT[0] + 0.01, POINT[1])
    fresh = UnitCandidate(1, "NT-51", *there, position_age_s=125.0)
    stale = UnitCandidate(2, "NT-21", None, None, position_age_s=1500.0, position_stale=True)
    first, second = rank_units(*POINT, [stale, fresh], params=RankingParams(skill_margin_s=120))
    assert (first.unit_id, second.unit_id) == (1, 2)
    assert [r.code for r in first.reasons[:2]] == ["travel", "position_age"]
    assert (second.rule.code, second.distance_m) == ("position_unknown_last", None)
    assert second.reasons[0] == Reason("position_stale", (("age_s", 1500.0),))
    with pytest.raises(ValueError):  # coordinates of a stale position would still be ranked by
        UnitCandidate(3, "NT-31", *there, position_stale=True)


# --- ranking through the API ------------------------------------------------------------------


def test_a_fresh_position_ranks_by_distance_and_says_how_old_it_is(app, client, clock):
    headers = board(app)
    unit_at(app, "NT-51", "+32470000051", 6, SKILLS)
    unit_at(app, "NT-21", "+32470000021", 1, SKILLS)
    incident = incident_with_priority(client, headers, "P1")
    clock.advance(minutes=14, seconds=59)  # within UNIT_POSITION_STALE_S (15 min)
    first, second = recommendations(client, headers, incident)["items"]
    assert [first["call_sign"], second["call_sign"]] == ["NT-21", "NT-51"]
    assert first["rule"] == "nearest" and first["distance_m"] == pytest.approx(500, rel=0.05)
    assert first["reasons"][1:3] == ["0,5 km, ~1 min", "positie 14 min oud"]


@pytest.mark.parametrize("priority, rule", [("P1", "position_unknown_last"), ("P3", "match_first")])
def test_a_stale_position_ranks_as_unknown_after_the_positioned_units(
    app, client, clock, priority, rule
):
    app.config["UNIT_POSITION_STALE_S"] = 600
    headers = board(app)
    unit_at(app, "NT-21", "+32470000021", 1, SKILLS)  # the nearest, when it last said so
    clock.advance(minutes=11)
    unit_at(app, "NT-51", "+32470000051", 6, SKILLS)
    unit_at(app, "NT-52", "+32470000052", 9, SKILLS)
    incident = incident_with_priority(client, headers, priority)
    items = recommendations(client, headers, incident)["items"]
    assert [r["call_sign"] for r in items] == ["NT-51", "NT-52", "NT-21"]
    stale = items[2]
    assert (stale["rule"], stale["distance_m"], stale["eta_s"]) == (rule, None, None)
    assert stale["reasons"][1] == "positie verouderd (11 min oud)"
    english = recommendations(client, headers, incident, "?lang=en")["items"][2]
    assert english["reasons"][1] == "position stale (11 min old)"


def test_a_position_set_without_a_time_is_stale(app, client, clock):
    headers = board(app)
    unit_at(app, "NT-21", "+32470000021", 1, SKILLS)
    unit_at(app, "NT-51", "+32470000051", 6, SKILLS)
    with ctx(app):
        db.session.execute(update(Unit).where(Unit.call_sign == "NT-21").values(position_at=None))
    incident = incident_with_priority(client, headers, "P1")
    items = by_call_sign(recommendations(client, headers, incident)["items"])
    assert items["NT-21"]["rule"] == "position_unknown_last"
    assert items["NT-21"]["reasons"][1] == "positie verouderd (tijdstip onbekend)"


# --- recording and the board ------------------------------------------------------------------


def test_record_position_stores_where_when_and_how_accurate(app, clock):
    unit_id = make_unit(app, lat=None, lon=None)
    clock.advance(minutes=3)
    with ctx(app):
        positions.record_position(db.session.get(Unit, unit_id), 51.2301, 4.4102, 12.5, clock.now())
    with app.app_context():
        unit = db.session.get(Unit, unit_id)
        stored = (unit.lat, unit.lon, unit.position_accuracy_m, unit.position_at)
    assert stored == (51.2301, 4.4102, 12.5, FROZEN_AT + dt.timedelta(minutes=3))


def test_the_unit_list_and_the_board_say_which_positions_are_stale(app, client, clock):
    headers = board(app)
    make_unit(app, "NT-21", "+32470000021")
    clock.advance(minutes=16)
    make_unit(app, "NT-51", "+32470000051")
    make_unit(app, "NT-61", "+32470000061", lat=None, lon=None)  # unknown: nothing to mark
    expected = {"NT-21": True, "NT-51": False, "NT-61": False}
    units = client.get("/api/v1/units", headers=headers).get_json()["items"]
    assert {c: u["position_stale"] for c, u in by_call_sign(units).items()} == expected
    snapshot = client.get("/api/v1/board", headers=headers).get_json()
    assert {c: u["position_stale"] for c, u in by_call_sign(snapshot["units"]).items()} == expected
    assert snapshot["unit_position_stale_s"] == 900


def test_a_new_position_reaches_the_board_live(app, client, clock, socket_client):
    headers = board(app)
    unit_id = make_unit(app, lat=None, lon=None)
    sock = socket_client(app, "an")
    sock.get_received(NAMESPACE)
    clock.advance(minutes=2)
    with ctx(app):  # what the phone's route does
        positions.record_position(db.session.get(Unit, unit_id), 51.2301, 4.4102, 8.0, clock.now())
    [event] = received(sock, "unit.position")
    assert event == {
        "id": unit_id,
        "call_sign": "NT-11",
        "lat": 51.2301,
        "lon": 4.4102,
        "position_at": clock.now().isoformat(),
        "accuracy_m": 8.0,
        "stale": False,
    }
    status = {"status": "off_duty", "lat": 51.2302, "lon": 4.4103}  # the console's way, too
    sent = client.post(f"/api/v1/units/{unit_id}/status", json=status, headers=headers)
    assert sent.status_code == 200, sent.get_json()
    [moved] = received(sock, "unit.position")
    assert (moved["lat"], moved["lon"], moved["accuracy_m"]) == (51.2302, 4.4103, None)


def test_the_position_of_a_unit_on_a_restricted_incident_stays_with_those_who_may_see_it(
    app, client, clock, socket_client
):
    taker, chief = board(app), board(app, "chef", "supervisor")
    board(app, "d2", "dispatcher")
    incident, unit_id, _ = incident_with_unit(app, client, taker)
    restricted = client.post(
        f"/api/v1/incidents/{incident['id']}/restriction",
        json={"reason": "Betrokkene is een politiemedewerker"},
        headers=chief,
    )
    assert restricted.status_code == 200, restricted.get_json()
    other, supervisor = socket_client(app, "d2"), socket_client(app, "chef")
    on_scene = {"status": "on_scene", "lat": ON_SCENE[0], "lon": ON_SCENE[1]}
    sent = client.post(f"/api/v1/units/{unit_id}/status", json=on_scene, headers=taker)
    assert sent.status_code == 200, sent.get_json()
    got = other.get_received(NAMESPACE)
    [hidden] = [e["args"][0] for e in got if e["name"] == "unit.position"]
    assert (hidden["id"], hidden["lat"], hidden["lon"], hidden["position_at"]) == (
        unit_id,
        None,
        None,
        None,
    )
    assert hidden["restricted"] is True
    assert str(ON_SCENE[0]) not in json.dumps([e["args"] for e in got])
    whole = [e for e in received(supervisor, "unit.position") if not e["redacted"]]
    assert [(e["lat"], e["lon"]) for e in whole] == [ON_SCENE]
    clock.advance(minutes=16)  # even its age stays with them
    listed = client.get("/api/v1/units", headers=bearer(make_token(app, "d2"))).get_json()
    unit = by_call_sign(listed["items"])["NT-11"]
    assert (unit["lat"], unit["position_at"], unit["position_stale"]) == (None, None, False)
