"""Locating a call: fuzzy address candidates, the candidates endpoint, a point pinned on the map."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import func, select

from core.db import db
from tests.conftest import bearer, make_token, make_user
from tests.triage.helpers import new_incident
from triage import fuzzy
from triage.geocoding import OfflineGeocoder, antwerp_bbox
from triage.models import GeocodeCacheEntry

# --- fuzzy candidates (pure) ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "street", "number", "postcode"),
    [
        ("Carnottstraat 45", "Carnotstraat", "45", "2060"),
        ("carnot str 45", "Carnotstraat", "45", "2060"),
        ("CARNOT  45", "Carnotstraat", "45", "2060"),
        ("Lange Beeldekenstraat 20 2060", "Lange Beeldekensstraat", "20", "2060"),
        ("Bisschoppenhofln 5", "Bisschoppenhoflaan", "5", "2100"),
        ("Sint-Bernardse stwg 12 bus 3", "Sint-Bernardsesteenweg", "12", "2020"),
        ("Itali\u00eblei 3", "Itali\u00eblei", "3", "2000"),
        ("Kronstraat 5, 2140 Borgerhout", "Kroonstraat", "5", "2140"),
    ],
)
def test_a_mistyped_address_finds_its_street_first(typed, street, number, postcode):
    best = fuzzy.candidates(typed)[0]
    assert (best.street, best.house_number, best.postcode) == (street, number, postcode)
    assert best.quality == "street" and best.score >= fuzzy.MIN_SCORE


def test_a_box_is_read_with_the_number():
    best = fuzzy.candidates("Sint-Bernardse stwg 12 bus 3")[0]
    assert (best.house_number, best.box) == ("12", "3")
    assert best.display == "Sint-Bernardsesteenweg 12 bus 3, 2020 Antwerpen"


def test_same_named_streets_both_come_back_and_a_district_orders_them():
    plain = fuzzy.candidates("Turnhoutsbaan 12")
    assert {(c.street, c.postcode) for c in plain[:2]} == {
        ("Turnhoutsebaan", "2100"),
        ("Turnhoutsebaan", "2140"),
    }
    in_borgerhout = fuzzy.candidates("Turnhoutsbaan 12 Borgerhout")
    assert (in_borgerhout[0].street, in_borgerhout[0].district) == ("Turnhoutsebaan", "Borgerhout")


def test_the_postcode_and_district_are_offered_after_the_streets():
    found = fuzzy.candidates("Onbekendestraat 5, 2140 Borgerhout")
    assert [c.quality for c in found] == ["postcode", "district"]
    assert found[0].display == "2140 Borgerhout" and found[1].district == "Borgerhout"


def test_a_wrong_postcode_does_not_hide_the_street_but_lowers_it():
    found = fuzzy.candidates("Carnottstraat 45, 2600")
    street = next(c for c in found if c.street == "Carnotstraat")
    assert (
        street.postcode == "2060" and street.score < fuzzy.candidates("Carnottstraat 45")[0].score
    )
    assert found[0].quality == "street"


@pytest.mark.parametrize("typed", ["", "qwerty zxcv", "Rue de la Loi 16", "Meir 5, 2900 Schoten"])
def test_nothing_in_antwerp_gives_no_street(typed):
    assert [c for c in fuzzy.candidates(typed) if c.quality == "street"] == []


def test_candidates_are_bounded_and_never_exact():
    found = fuzzy.candidates("straat 1", limit=50)
    assert len(found) <= fuzzy.MAX_CANDIDATES
    assert all(c.quality != "exact" for c in found)


# --- the single-result geocoder uses an unambiguous fuzzy street ----------------------------


def test_intake_geocoder_takes_an_unambiguous_typo_as_street_quality():
    result = OfflineGeocoder().geocode("Carnottstraat 45")
    assert (result.quality, result.street, result.postcode) == ("street", "Carnotstraat", "2060")


def test_intake_geocoder_does_not_guess_between_same_named_streets():
    assert OfflineGeocoder().geocode("Turnhoutsbaan 12").quality == "unverified"
    deurne = OfflineGeocoder().geocode("Turnhoutsbaan 12 Deurne")
    assert (deurne.quality, deurne.postcode) == ("street", "2100")


def test_intake_geocoder_keeps_a_contradicting_postcode():
    result = OfflineGeocoder().geocode("Carnottstraat 45, 2600 Berchem")
    assert (result.quality, result.postcode) == ("postcode", "2600")


# --- GET /api/v1/geocode -------------------------------------------------------------------


@pytest.fixture
def headers(app):
    make_user(app, "an", "dispatcher")
    return bearer(make_token(app, "an"))


def test_dispatcher_gets_candidates_as_json(client, headers):
    response = client.get(
        "/api/v1/geocode", query_string={"q": "Carnottstraat 45"}, headers=headers
    )
    assert response.status_code == 200
    first = response.get_json()["items"][0]
    assert first["street"] == "Carnotstraat" and first["house_number"] == "45"
    assert first["quality"] == "street" and 51.1 < first["lat"] < 51.4
    assert set(first) >= {"postcode", "district", "lon", "score", "display"}


def test_candidates_text_is_neither_stored_nor_logged(app, client, headers, caplog):
    caplog.set_level(logging.DEBUG)
    text = "Carnottstraat 45"
    client.get("/api/v1/geocode", query_string={"q": text}, headers=headers)
    assert "Carnottstraat" not in caplog.text
    with app.app_context():
        assert db.session.execute(select(func.count(GeocodeCacheEntry.address_index))).scalar() == 0


def test_candidates_query_is_validated(client, headers):
    response = client.get("/api/v1/geocode", query_string={"q": ""}, headers=headers)
    assert response.status_code == 422 and "q" in response.get_json()["fields"]


@pytest.mark.parametrize("who", ["social_worker", "officer", "intake_token"])
def test_others_may_not_look_up_addresses(app, client, who):
    if who == "intake_token":
        make_user(app, "telefonie", "dispatcher")
        auth = bearer(make_token(app, "telefonie", scopes=["intake"]))
    else:
        make_user(app, who, who)
        auth = bearer(make_token(app, who))
    response = client.get("/api/v1/geocode", query_string={"q": "Meir 1"}, headers=auth)
    assert response.status_code == 403


def test_candidates_need_a_login(client):
    assert client.get("/api/v1/geocode", query_string={"q": "Meir 1"}).status_code == 401


# --- a point pinned on the map -------------------------------------------------------------

PIN = {"lat": 51.1695, "lon": 4.3958, "location_source": "manual"}  # Bist, Wilrijk


def test_a_pinned_point_is_manual_quality_and_on_the_timeline(client, headers):
    incident = new_incident(client, headers, address="Nergensstraat 45")
    assert incident["location_quality"] == "unverified" and incident["lat"] is None
    response = client.patch(f"/api/v1/incidents/{incident['id']}", json=PIN, headers=headers)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["lat"], body["lon"], body["location_quality"]) == (51.1695, 4.3958, "manual")
    assert body["district"] == "Wilrijk"  # the address had none: the point gives it
    detail = client.get(f"/api/v1/incidents/{incident['id']}", headers=headers).get_json()
    line = detail["timeline"][-1]
    assert (line["kind"], line["from_state"], line["to_state"]) == (
        "location.manual",
        "unverified",
        "manual",
    )
    assert "51.1695" not in str(detail["timeline"])  # the point is case data, not history


def test_a_pin_with_other_corrections_keeps_both(client, headers):
    incident = new_incident(client, headers)
    body = {**PIN, "narrative": "Achterdeur open."}
    response = client.patch(f"/api/v1/incidents/{incident['id']}", json=body, headers=headers)
    assert response.get_json()["location_quality"] == "manual"
    assert response.get_json()["narrative"] == "Achterdeur open."
    detail = client.get(f"/api/v1/incidents/{incident['id']}", headers=headers).get_json()
    kinds = [e["kind"] for e in detail["timeline"]]
    assert kinds[-2:] == ["location.manual", "incident.corrected"]


@pytest.mark.parametrize(
    ("point", "fields"),
    [
        ({"lat": 50.85, "lon": 4.35}, {"lat"}),  # Brussels
        ({"lat": 51.22, "lon": 3.22}, {"lon"}),  # Bruges
        ({"lat": 0.0, "lon": 0.0}, {"lat", "lon"}),
    ],
)
def test_a_pin_outside_antwerp_is_refused_per_field(client, headers, point, fields):
    incident = new_incident(client, headers)
    body = {**point, "location_source": "manual"}
    response = client.patch(f"/api/v1/incidents/{incident['id']}", json=body, headers=headers)
    assert response.status_code == 422
    assert set(response.get_json()["fields"]) == fields
    assert response.get_json()["message"] == "Het punt ligt niet in de regio Antwerpen."  # nl
    after = client.get(f"/api/v1/incidents/{incident['id']}", headers=headers).get_json()
    assert after["location_quality"] == incident["location_quality"]


def test_manual_without_a_point_is_refused(client, headers):
    incident = new_incident(client, headers)
    body = {"location_source": "manual"}
    response = client.patch(f"/api/v1/incidents/{incident['id']}", json=body, headers=headers)
    assert response.status_code == 422


def test_a_pin_publishes_the_update_after_commit(app, client, headers, monkeypatch):
    from triage import events

    sent = []
    monkeypatch.setattr(events, "publish_about", lambda name, *a, **k: sent.append(name))
    incident = new_incident(client, headers)
    sent.clear()
    client.patch(f"/api/v1/incidents/{incident['id']}", json=PIN, headers=headers)
    assert sent == ["incident.updated"]


def test_the_bounds_are_the_shipped_antwerp_box():
    box = antwerp_bbox()
    assert box["south"] < PIN["lat"] < box["north"] and box["west"] < PIN["lon"] < box["east"]


# --- shipped street data -------------------------------------------------------------------


def test_every_built_street_geocodes_to_itself():
    import json

    from triage.gazetteer import STREETS_PATH

    built = json.loads(STREETS_PATH.read_text(encoding="utf-8"))["streets"]
    assert len(built) >= 30
    for street in built:
        result = OfflineGeocoder().geocode(f"{street['name']} 1, {street['postcode']}")
        assert (result.street, result.quality) == (street["name"], "street"), street["name"]


def test_a_best_address_file_gives_one_point_per_street_on_the_street(tmp_path):
    from tools import build_antwerp_streets as build

    rows = [
        "EPSG:4326_lat,EPSG:4326_lon,house_number,postcode,streetname_nl,status",
        "51.2190,4.4270,1,2060,Carnotstraat,current",
        "51.2192,4.4280,45,2060,Carnotstraat,current",
        "51.2194,4.4290,90,2060,Carnotstraat,current",
        "51.2100,4.4000,3,2060,Carnotstraat,retired",
        "51.0500,3.7300,1,9000,Veldstraat,current",
    ]
    path = tmp_path / "openaddress-bevlg.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    doc = build.build(path)
    assert doc["coverage"]["streets"] == 1
    (street,) = doc["streets"]
    assert (street["name"], street["postcode"], street["lat"], street["lon"]) == (
        "Carnotstraat",
        "2060",
        51.2192,
        4.428,
    )
    assert "Informatie Vlaanderen" in doc["_source"]["data"]
