"""Geocode Antwerp addresses offline from shipped centroids, or through a self-hosted Nominatim.

Quality says how far to trust a point, best first: "exact" (house number, online only),
"street", "postcode", "district" (a district or named sub-area) and "unverified" (no point, or
nothing in Antwerp): the dispatcher pins the map. Geocoding never raises to the caller.
"""

from __future__ import annotations

import functools
import json
import logging
import math
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from geopy.extra.rate_limiter import RateLimiter
from geopy.geocoders import Nominatim

log = logging.getLogger(__name__)

QUALITIES = ("exact", "street", "postcode", "district", "unverified")  # best -> worst
DATA_PATH = Path(__file__).resolve().parent / "data" / "antwerp.json"
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


# --- normalisation -------------------------------------------------------------------------

_FOLD = str.maketrans({"æ": "ae", "ø": "o", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "ı": "i"})
_NON_WORD = re.compile(r"[^a-z0-9]+")
_WORDS = (  # abbreviation -> word; also Antwerp's other names
    {"str": "straat", "stw": "steenweg", "stwg": "steenweg", "stnwg": "steenweg", "ln": "laan"}
    | {"bn": "baan", "st": "sint", "gen": "generaal", "burg": "burgemeester", "kol": "kolonel"}
    | {"kon": "koning", "kard": "kardinaal", "antwerp": "antwerpen", "anvers": "antwerpen"}
)
_SUFFIXES = (("stwg", "steenweg"), ("str", "straat"), ("ln", "laan"))
# Street-type words written apart ("Vlaamse Kaai", "carnot str.") are glued to the name.
_GLUE = frozenset(
    {"straat", "laan", "steenweg", "lei", "plein", "plaats", "baan", "kaai", "vest", "dreef"}
    | {"weg", "dijk"}
)
_FILLER = frozenset({"nr", "belgie", "belgium", "belgique", "belgien"})
_COUNTRY_PREFIX = frozenset({"b", "be"})


def normalise_address(text: str) -> str:
    """Return a canonical, idempotent form of address text (the cache key material)."""
    folded = unicodedata.normalize("NFKD", text.casefold().translate(_FOLD))
    ascii_only = "".join(c for c in folded if not unicodedata.combining(c)).casefold()
    tokens = [_expand(t) for t in _NON_WORD.sub(" ", ascii_only).split()]
    tokens = _drop_country_prefix([t for t in tokens if t not in _FILLER])
    return " ".join(_glue_street_types(tokens))


def _expand(token: str) -> str:
    """Expand one abbreviated word ("str" -> "straat", "carnotstr" -> "carnotstraat")."""
    if token in _WORDS:
        return _WORDS[token]
    for short, full in _SUFFIXES:
        if token.isalpha() and len(token) > len(short) + 1 and token.endswith(short):
            return token[: -len(short)] + full
    return token


def _drop_country_prefix(tokens: list[str]) -> list[str]:
    """Drop "B"/"BE" in front of a postcode ("B-2060" -> "2060")."""
    kept: list[str] = []
    for token in reversed(tokens):
        if token in _COUNTRY_PREFIX and kept and _is_postcode_like(kept[-1]):
            continue
        kept.append(token)
    return kept[::-1]


def _glue_street_types(tokens: list[str]) -> list[str]:
    """Join a separate street-type word to the name before it."""
    out: list[str] = []
    for token in tokens:
        if token in _GLUE and out and out[-1].isalpha():
            out[-1] += token
        else:
            out.append(token)
    return out


def _is_postcode_like(token: str) -> bool:
    return len(token) == 4 and token.isdigit()


# --- shipped data --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Entry:
    """A named thing the offline geocoder can match: street, place or district."""

    kind: str  # "street" | "place" | "district"
    name: str
    tokens: tuple[str, ...]
    lat: float
    lon: float
    district: str
    postcode: str | None = None
    locality: str | None = None


@functools.cache
def _data() -> dict[str, Any]:
    """Load the shipped Antwerp data once."""
    with DATA_PATH.open(encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    return data


def antwerp_postcodes() -> dict[str, dict]:
    """Return postcode -> {district, lat, lon, name} for every Antwerp postcode."""
    return {code: dict(info) for code, info in _data()["postcodes"].items()}


def antwerp_districts() -> dict[str, dict]:
    """Return district -> {lat, lon} for every Antwerp district."""
    return {name: {"lat": d["lat"], "lon": d["lon"]} for name, d in _data()["districts"].items()}


def _entry(kind: str, name: str, alias: str, rec: dict[str, Any]) -> _Entry:
    """Build one index entry from a JSON record."""
    tokens = tuple(normalise_address(alias).split())
    fields: dict[str, Any] = {key: rec.get(key) for key in ("lat", "lon", "postcode", "locality")}
    return _Entry(kind, name, tokens, district=rec.get("district", name), **fields)


@functools.cache
def _streets() -> tuple[_Entry, ...]:
    """Index the demo streets by normalised name tokens."""
    return tuple(_entry("street", s["name"], s["name"], s) for s in _data()["streets"])


@functools.cache
def _areas() -> tuple[_Entry, ...]:
    """Index places and districts; longest name first, "Antwerpen" (the city too) last."""
    entries = [
        _entry(kind, name, alias, rec)
        for kind, key in (("place", "places"), ("district", "districts"))
        for name, rec in _data()[key].items()
        for alias in [name, *rec["aliases"]]
    ]
    return tuple(sorted(entries, key=lambda e: (e.name == "Antwerpen", -len(e.tokens))))


def _contains(tokens: Sequence[str], needle: tuple[str, ...]) -> bool:
    """Tell whether needle occurs as a contiguous run of tokens."""
    n = len(needle)
    return any(tuple(tokens[i : i + n]) == needle for i in range(len(tokens) - n + 1))


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


def _find_postcode(tokens: Sequence[str]) -> str | None:
    """Return the last token that is a Belgian postcode (it follows the house number)."""
    known = _data()["postcodes"].keys() | _data()["other_postcodes"].keys()
    return next((t for t in reversed(tokens) if _is_postcode_like(t) and t in known), None)


def _match_street(tokens: Sequence[str], postcode: str | None) -> _Entry | None:
    """Find the demo street named in the text; None if absent, contradicted or ambiguous."""
    found = [s for s in _streets() if _contains(tokens, s.tokens)]
    if not found:
        return None
    longest = max(len(s.tokens) for s in found)
    found = [s for s in found if len(s.tokens) == longest]
    if postcode is not None:
        found = [s for s in found if s.postcode == postcode]
    elif len(found) > 1 and (area := _match_area(tokens)) is not None:
        found = [s for s in found if s.district == area.district]
    return found[0] if len(found) == 1 else None


def _match_area(tokens: Sequence[str]) -> _Entry | None:
    """Find the most specific place or district named in the text."""
    return next((a for a in _areas() if _contains(tokens, a.tokens)), None)


class OfflineGeocoder:
    """Resolve streets, postcodes and districts to shipped centroids; never "exact"."""

    name = "offline"

    def geocode(self, address: str) -> GeoResult:
        """Geocode by street, then postcode, then district or place name."""
        norm = normalise_address(address)
        tokens = norm.split()
        postcode = _find_postcode(tokens)
        if postcode is not None and postcode not in _data()["postcodes"]:
            name = _data()["other_postcodes"][postcode]
            return GeoResult(None, None, "unverified", norm, postcode, None, f"{postcode} {name}")
        street = _match_street(tokens, postcode)
        if street is not None:
            return self._street(norm, street)
        area = _match_area(tokens)
        if postcode is not None:
            return self._postcode(norm, postcode, area)
        if area is not None:
            a = area
            return GeoResult(a.lat, a.lon, "district", norm, a.postcode, a.district, a.name)
        return GeoResult(None, None, "unverified", norm)

    @staticmethod
    def _street(norm: str, street: _Entry) -> GeoResult:
        """Build a street-quality result."""
        code = street.postcode or ""
        locality = street.locality or _data()["postcodes"][code]["name"]
        display = f"{street.name}, {code} {locality}"
        return GeoResult(
            street.lat, street.lon, "street", norm, code, street.district, display, street.name
        )

    @staticmethod
    def _postcode(norm: str, code: str, area: _Entry | None) -> GeoResult:
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
