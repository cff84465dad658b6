"""A caller's point with how sure it is: radius, time of the fix and source, stored encrypted,
validated field by field, flagged outside the service area, worded in the ranking's reasons."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from sqlalchemy import text

from core.db import db
from tests.conftest import bearer, make_token, make_user
from tests.dispatch.helpers import make_unit
from tests.triage.helpers import new_incident
from triage import retention
from triage.models import Incident

MEIR = {"lat": 51.2181, "lon": 4.4101}
BRUSSELS = {"lat": 50.8467, "lon": 4.3525}


@pytest.fixture
def headers(app):
    make_user(app, "an", "dispatcher")
    return bearer(make_token(app, "an"))


def fix(clock, minutes: float = 2, accuracy: float = 35, source: str = "aml") -> dict:
    """A point on the Meir with a radius, fixed `minutes` before the frozen now."""
    at = clock.now() - dt.timedelta(minutes=minutes)
    return {**MEIR, "accuracy_m": accuracy, "located_at": at.isoformat(), "location_source": source}


def test_a_fix_is_stored_encrypted_and_read_back(app, client, clock, headers):
    incident = new_incident(client, headers, **fix(clock, accuracy=35.5))
    assert incident["location_accuracy_m"] == 35.5
    assert incident["location_source"] == "aml"
    located = dt.datetime.fromisoformat(incident["location_at"])
    assert located == clock.now() - dt.timedelta(minutes=2)
    assert incident["location_quality"] == "exact" and "outside_area" not in incident["flags"]
    with app.app_context():
        raw = db.session.execute(
            text("SELECT location_accuracy_m FROM incident WHERE id = :id"), {"id": incident["id"]}
        ).scalar_one()
    assert "35.5" not in raw


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"accuracy_m": 0}, "accuracy_m"),
        ({"accuracy_m": 100_001}, "accuracy_m"),
        ({"location_source": "satellite"}, "location_source"),
        ({"lat": None, "lon": None}, "accuracy_m"),
    ],
)
def test_a_bad_fix_is_refused_naming_the_field(client, clock, headers, change, field):
    body = {"address": "Meir 1, 2000 Antwerpen", **fix(clock), **change}
    response = client.post("/api/v1/incidents", json=body, headers=headers)
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["fields"]


def test_a_fix_from_the_future_is_refused_in_dutch(client, clock, headers):
    body = fix(clock, minutes=-5)
    response = client.post("/api/v1/incidents", json=body, headers=headers)
    assert response.status_code == 422
    assert response.get_json()["fields"]["located_at"] == (
        "Het punt kan niet in de toekomst bepaald zijn."
    )


@pytest.mark.parametrize("located_at", ["0001-01-01T00:00:00+14:00", "2001-01-01T00:00:00+00:00"])
def test_a_fix_from_long_ago_is_a_field_error_on_intake_and_correction(
    client, clock, headers, located_at
):
    body = {**fix(clock), "located_at": located_at}
    response = client.post("/api/v1/incidents", json=body, headers=headers)
    assert response.status_code == 422
    assert response.get_json()["fields"]["located_at"].startswith("Een positie van meer dan")
    incident = new_incident(client, headers)
    for source in ("network", "manual"):
        changed = {**body, "location_source": source}
        patched = client.patch(f"/api/v1/incidents/{incident['id']}", json=changed, headers=headers)
        assert patched.status_code == 422 and "located_at" in patched.get_json()["fields"]


def test_a_fix_without_the_point_says_so_in_dutch(client, clock, headers):
    incident = new_incident(client, headers)
    response = client.patch(
        f"/api/v1/incidents/{incident['id']}", json={"accuracy_m": 20}, headers=headers
    )
    assert response.status_code == 422
    assert response.get_json()["fields"]["accuracy_m"] == "Enkel samen met lat en lon."


def test_a_minute_of_clock_skew_is_accepted(client, clock, headers):
    incident = new_incident(client, headers, **fix(clock, minutes=-0.5))
    assert incident["location_source"] == "aml"


def test_a_point_in_brussels_is_kept_but_flagged_and_never_exact(client, clock, headers):
    incident = new_incident(client, headers, **{**fix(clock), **BRUSSELS})
    assert (incident["lat"], incident["lon"]) == (50.8467, 4.3525)
    assert "outside_area" in incident["flags"]
    assert incident["location_quality"] != "exact"


@pytest.mark.parametrize(
    "accuracy,quality",
    [(8, "exact"), (50, "exact"), (120, "street"), (1500, "postcode"), (4000, "district")],
)
def test_a_point_is_only_as_exact_as_its_radius(client, clock, headers, accuracy, quality):
    incident = new_incident(client, headers, **fix(clock, accuracy=accuracy, source="network"))
    assert incident["location_quality"] == quality
    assert (incident["lat"], incident["lon"]) == (MEIR["lat"], MEIR["lon"])  # the point is kept


def test_a_coarse_point_corrected_to_a_house_fix_becomes_exact(client, clock, headers):
    incident = new_incident(client, headers, **fix(clock, accuracy=3000, source="network"))
    assert incident["location_quality"] == "district"
    response = client.patch(
        f"/api/v1/incidents/{incident['id']}", json=fix(clock, accuracy=12), headers=headers
    )
    assert response.get_json()["location_quality"] == "exact"


def test_outside_area_is_a_system_flag_clients_cannot_set(client, headers):
    response = client.post(
        "/api/v1/incidents",
        json={"address": "Meir 1, 2000 Antwerpen", "flags": ["outside_area"]},
        headers=headers,
    )
    assert response.status_code == 422 and "flags" in response.get_json()["fields"]


def test_a_point_moved_back_inside_loses_the_flag(client, clock, headers):
    incident = new_incident(client, headers, **BRUSSELS)
    response = client.patch(f"/api/v1/incidents/{incident['id']}", json=fix(clock), headers=headers)
    body = response.get_json()
    assert response.status_code == 200, body
    assert "outside_area" not in body["flags"] and body["location_quality"] == "exact"
    assert body["location_accuracy_m"] == 35


def test_a_new_point_without_a_fix_clears_the_old_one(client, clock, headers):
    incident = new_incident(client, headers, **fix(clock))
    response = client.patch(f"/api/v1/incidents/{incident['id']}", json=MEIR, headers=headers)
    body = response.get_json()
    assert (body["location_accuracy_m"], body["location_at"], body["location_source"]) == (
        None,
        None,
        None,
    )


def test_a_pin_on_the_map_still_works_and_is_the_dispatchers(client, clock, headers):
    incident = new_incident(client, headers, **fix(clock))
    pin = {"lat": 51.1695, "lon": 4.3958, "location_source": "manual"}
    response = client.patch(f"/api/v1/incidents/{incident['id']}", json=pin, headers=headers)
    body = response.get_json()
    assert response.status_code == 200, body
    assert body["location_quality"] == "manual" and body["location_source"] == "dispatcher"
    assert body["location_accuracy_m"] is None


def test_the_ranking_says_how_sure_the_point_is(app, client, clock, headers):
    make_unit(app, "NT-21", "+32470000021", 51.2200, 4.4101)
    incident = new_incident(client, headers, **fix(clock))
    url = f"/api/v1/incidents/{incident['id']}/recommendations"
    reasons = client.get(url, headers=headers).get_json()["items"][0]["reasons"]
    assert "locatie ± 35 m, 2 min oud" in reasons
    english = client.get(f"{url}?lang=en", headers=headers).get_json()
    assert "location ± 35 m, 2 min old" in english["items"][0]["reasons"]


def test_anonymisation_clears_radius_and_time_with_the_point(app, client, clock, headers):
    incident = new_incident(client, headers, **fix(clock))
    with app.app_context():
        row = db.session.get(Incident, incident["id"])
        retention.anonymise(row, clock.now(), Counter())
        db.session.commit()
        row = db.session.get(Incident, incident["id"])
        assert (row.lat, row.location_accuracy_m, row.location_at) == (None, None, None)
