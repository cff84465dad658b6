"""Geocode Antwerp addresses offline from shipped centroids, or through a self-hosted Nominatim.

Quality says how far to trust a point, best first: "exact" (house number, online only),
"street", "postcode", "district" (a district or named sub-area) and "unverified" (no point, or
nothing in Antwerp): the dispatcher pins the map. Geocoding never raises to the caller.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

from geopy.extra.rate_limiter import RateLimiter
from geopy.geocoders import Nominatim

from triage import fuzzy
from triage.gazetteer import (  # noqa: F401 - DATA_PATH and the data functions are re-exported
    DATA_PATH,
    Entry,
    antwerp_districts,
    antwerp_postcodes,
    contains,
    find_postcode,
    match_area,
    normalise_address,
    streets,
)
from triage.gazetteer import data as _data

log = logging.getLogger(__name__)

QUALITIES = ("exact", "street", "postcode", "district", "unverified")  # best -> worst
USER_AGENT = "nachtwacht"
DISTRICT_RADIUS_KM = 6.0
MAX_QUERY_CHARS = 255
# Addresses of victims are police data: never send them to the public OSM service.
PUBLIC_NOMINATIM = "nominatim.openstreetmap.org"


@dataclass(frozen=True)
class GeoResult:
    """A geocoded point (or none) with its quality and what was matched."""

    lat: float | None
    lon: float | None
    quality: str
    normalised: str
    postcode: str | None = None
    district: str | None = None
    display: str | None = None
    street: str | None = None  # the official street name matched, if any


class Geocoder(Protocol):
    """Anything that turns address text into a GeoResult without raising."""

    name: str

    def geocode(self, address: str) -> GeoResult:
        """Geocode one free-text address."""
        ...


def antwerp_bbox() -> dict[str, float]:
    """The Antwerp area's bounding box: south, north, west, east (degrees)."""
    return dict(_data()["bbox"])


def _in_bbox(lat: float, lon: float) -> bool:
    box = _data()["bbox"]
    return box["south"] <= lat <= box["north"] and box["west"] <= lon <= box["east"]


def _distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(a))


def district_for_point(lat: float, lon: float) -> str | None:
    """Return the nearest district whose centroid is within ~6 km, else None (a rough label)."""
    if not (math.isfinite(lat) and math.isfinite(lon)):
        return None
    km = {n: _distance_km(lat, lon, d["lat"], d["lon"]) for n, d in _data()["districts"].items()}
    name = min(km, key=km.__getitem__)
    return name if km[name] <= DISTRICT_RADIUS_KM else None


# --- offline geocoder ----------------------------------------------------------------------


def _match_street(tokens: Sequence[str], postcode: str | None) -> Entry | None:
    """Find the street named in the text; None if absent, contradicted or ambiguous.

    Spelled as shipped first; failing that, a fuzzy match (triage.fuzzy) that is unambiguous.
    A street named exactly but contradicted or ambiguous is never replaced by a fuzzy guess.
    """
    found = [s for s in streets() if contains(tokens, s.tokens)]
    if not found:
        return fuzzy.unambiguous(fuzzy.scored_streets(tokens, postcode), match_area(tokens))
    longest = max(len(s.tokens) for s in found)
    found = [s for s in found if len(s.tokens) == longest]
    if postcode is not None:
        found = [s for s in found if s.postcode == postcode]
    elif len(found) > 1 and (area := match_area(tokens)) is not None:
        found = [s for s in found if s.district == area.district]
    return found[0] if len(found) == 1 else None


class OfflineGeocoder:
    """Resolve streets, postcodes and districts to shipped centroids; never "exact"."""

    name = "offline"

    def geocode(self, address: str) -> GeoResult:
        """Geocode by street, then postcode, then district or place name."""
        norm = normalise_address(address)
        tokens = norm.split()
        postcode = find_postcode(tokens)
        if postcode is not None and postcode not in _data()["postcodes"]:
            name = _data()["other_postcodes"][postcode]
            return GeoResult(None, None, "unverified", norm, postcode, None, f"{postcode} {name}")
        street = _match_street(tokens, postcode)
        if street is not None:
            return self._street(norm, street)
        area = match_area(tokens)
        if postcode is not None:
            return self._postcode(norm, postcode, area)
        if area is not None:
            a = area
            return GeoResult(a.lat, a.lon, "district", norm, a.postcode, a.district, a.name)
        return GeoResult(None, None, "unverified", norm)

    @staticmethod
    def _street(norm: str, street: Entry) -> GeoResult:
        """Build a street-quality result."""
        code = street.postcode or ""
        locality = street.locality or _data()["postcodes"][code]["name"]
        display = f"{street.name}, {code} {locality}"
        return GeoResult(
            street.lat, street.lon, "street", norm, code, street.district, display, street.name
        )

    @staticmethod
    def _postcode(norm: str, code: str, area: Entry | None) -> GeoResult:
        """Build a postcode-quality result; a named sub-area of that postcode refines it."""
        info = _data()["postcodes"][code]
        lat, lon, district, label = info["lat"], info["lon"], info["district"], info["name"]
        if area is not None and area.kind == "place" and area.postcode == code:
            lat, lon, district, label = area.lat, area.lon, area.district, area.name
        return GeoResult(lat, lon, "postcode", norm, code, district, f"{code} {label}")


# --- Nominatim -----------------------------------------------------------------------------

_ROAD_KEYS = ("road", "pedestrian", "square", "footway", "path", "cycleway", "service")
_PLACE_KEYS = ("city_district", "suburb", "town", "city")


def _split_url(url: str) -> tuple[str, str]:
    """Split a Nominatim base URL into (scheme, domain-with-path) for geopy."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"GEOCODER_URL must be an http(s) URL, got {url!r}")
    if parts.hostname == PUBLIC_NOMINATIM:
        raise ValueError("the public Nominatim must not receive police addresses; self-host it")
    return parts.scheme, parts.netloc + parts.path.rstrip("/")


class NominatimGeocoder:
    """Geocode through a self-hosted Nominatim; fall back to offline on any failure."""

    name = "nominatim"

    def __init__(
        self,
        url: str,
        timeout: float = 2.0,
        *,
        min_delay: float = 1.0,
        offline: OfflineGeocoder | None = None,
        adapter_factory: Callable[..., Any] | None = None,
    ) -> None:
        scheme, domain = _split_url(url)
        extra = {} if adapter_factory is None else {"adapter_factory": adapter_factory}
        self._client = Nominatim(
            domain=domain, scheme=scheme, user_agent=USER_AGENT, timeout=timeout, **extra
        )
        # No retries: a second try would blow the 2 s budget; the offline result is the retry.
        limits = {"max_retries": 0, "error_wait_seconds": min_delay, "swallow_exceptions": False}
        self._geocode = RateLimiter(self._client.geocode, min_delay_seconds=min_delay, **limits)
        self._offline = offline or OfflineGeocoder()

    def geocode(self, address: str) -> GeoResult:
        """Geocode online; on error, no hit or a hit outside Antwerp, return the offline result."""
        fallback = self._offline.geocode(address)
        outside = fallback.postcode is not None and fallback.postcode not in _data()["postcodes"]
        if not fallback.normalised or outside:
            return fallback
        try:
            location = self._geocode(fallback.normalised[:MAX_QUERY_CHARS], **self._query_args())
            return _from_location(location, fallback)
        except Exception as exc:  # noqa: BLE001 - any failure must degrade, never raise
            # The address itself is sensitive: log only the kind of failure.
            log.warning("nominatim failed (%s); using offline result", type(exc).__name__)
            return fallback

    def _query_args(self) -> dict[str, Any]:
        """Bias and bound the search to Antwerp."""
        box = _data()["bbox"]
        return {
            "exactly_one": True,
            "addressdetails": True,
            "country_codes": "be",
            "viewbox": [(box["south"], box["west"]), (box["north"], box["east"])],
            "bounded": True,
            "language": "nl",
        }


def _from_location(location: Any, fallback: GeoResult) -> GeoResult:
    """Turn a geopy Location into a result, or keep the fallback if it is not trustworthy."""
    if location is None:
        return fallback
    address = (getattr(location, "raw", None) or {}).get("address") or {}
    lat, lon = float(location.latitude), float(location.longitude)
    code = _postcode_of(address)
    if not _in_bbox(lat, lon) or (code is not None and code not in _data()["postcodes"]):
        return fallback
    if address.get("house_number"):
        quality = "exact"
    elif any(address.get(k) for k in _ROAD_KEYS):
        quality = "street"
    else:  # an area hit: the offline centroids say as much, with a known quality
        return fallback
    code = code or fallback.postcode
    district = _data()["postcodes"][code]["district"] if code else district_for_point(lat, lon)
    display = _display(address, code)
    road = next((str(address[k]) for k in _ROAD_KEYS if address.get(k)), None)
    return GeoResult(lat, lon, quality, fallback.normalised, code, district, display, road)


def _postcode_of(address: dict[str, Any]) -> str | None:
    """Return the 4-digit postcode of a Nominatim address, if any."""
    match = re.search(r"\b\d{4}\b", str(address.get("postcode") or ""))
    return match.group(0) if match else None


def _display(address: dict[str, Any], code: str | None) -> str:
    """Build a short label like "Carnotstraat 12, 2060 Antwerpen"."""
    road = next((str(address[k]) for k in _ROAD_KEYS if address.get(k)), "")
    street = f"{road} {address.get('house_number', '')}".strip()
    place = next((str(address[k]) for k in _PLACE_KEYS if address.get(k)), "")
    return ", ".join(p for p in (street, f"{code or ''} {place}".strip()) if p)


def make_geocoder(
    backend: str = "offline", url: str | None = None, timeout: float = 2.0
) -> Geocoder:
    """Build the configured geocoder (GEOCODER, GEOCODER_URL); ValueError if misconfigured."""
    kind = (backend or "").strip().lower()
    if not (isinstance(timeout, (int, float)) and 0 < timeout <= 30):
        raise ValueError(f"geocoder timeout must be in (0, 30] seconds, got {timeout!r}")
    if kind == "offline":
        return OfflineGeocoder()
    if kind == "nominatim":
        if not url:
            raise ValueError("GEOCODER=nominatim needs GEOCODER_URL (a self-hosted Nominatim)")
        return NominatimGeocoder(url, timeout=timeout)
    raise ValueError(f"unknown GEOCODER backend {backend!r}; use 'offline' or 'nominatim'")
