"""Locating an incident: phone point, cached geocoding, offline fallback; never blocks intake."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from flask import Flask, current_app
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from core import clock, crypto
from core.db import db
from triage import canonical
from triage.geocoding import (
    Geocoder,
    GeoResult,
    OfflineGeocoder,
    antwerp_bbox,
    district_for_point,
    make_geocoder,
    normalise_address,
)
from triage.models import GeocodeCacheEntry, LocationQuality

log = logging.getLogger(__name__)
EXTENSION = "nachtwacht.geocoder"
OUTSIDE_AREA = "outside_area"  # a system flag: the given point lies outside the service area


@dataclass(frozen=True)
class Location:
    """Where an incident is, and how well that is known."""

    lat: float | None
    lon: float | None
    quality: LocationQuality
    normalised: str | None
    postcode: str | None
    district: str | None
    street: str | None = None  # the geocoder's official street name, if it matched one
    outside: bool = False  # a given point outside the service area (flag `outside_area`)


def init_geocoder(app: Flask) -> None:
    """Build the configured geocoder once per app."""
    app.extensions[EXTENSION] = make_geocoder(
        app.config.get("GEOCODER") or "offline", app.config.get("GEOCODER_URL"), timeout=2.0
    )


def geocoder() -> Geocoder:
    """The app's geocoder."""
    return current_app.extensions[EXTENSION]


def address_key(address: str | None) -> tuple[str | None, str | None]:
    """Normalised address and its blind index: the geocode cache's key (not the repeat key)."""
    if not address or not address.strip():
        return None, None
    normalised = normalise_address(address)
    return normalised, crypto.blind_index(normalised, purpose="address")


def canonical_index(address: str | None) -> str | None:
    """The blind index a typed address is matched by (repeats, duplicates, search, orders).

    The same index intake stores in `Incident.address_index` for that text: the canonical key
    (triage.canonical) built from the street and postcode intake's geocoding gave the text (its
    cached result, read only), else from the offline gazetteer. Never calls an online geocoder.
    """
    return crypto.blind_index(canonical_text(address), purpose="address_key")


def canonical_text(address: str | None) -> str | None:
    """The canonical key string of a typed address (see `canonical_index`), or None."""
    if not address or not address.strip():
        return None
    street, postcode = _known_street(address)
    return canonical.canonical_key(address, street=street, postcode=postcode)


def _known_street(address: str) -> tuple[str | None, str | None]:
    """The official street and postcode a typed address resolves to, without going online."""
    _, index = address_key(address)
    hit = db.session.execute(
        select(GeocodeCacheEntry.street, GeocodeCacheEntry.postcode).where(
            GeocodeCacheEntry.address_index == index
        )
    ).first()
    if hit is not None:
        return hit.street, hit.postcode
    result = OfflineGeocoder().geocode(address)
    return result.street, result.postcode


def incident_key(
    text: str | None,
    street: str | None,
    number: str | None,
    box: str | None,
    postcode: str | None,
) -> tuple[str | None, str | None]:
    """An incident's canonical key and its blind index, from its typed text and structured
    address (the geocoder's or a form's street, number, box; the located postcode)."""
    key = canonical.canonical_key(text, street=street, number=number, box=box, postcode=postcode)
    return key, crypto.blind_index(key, purpose="address_key")


def _cached(index: str) -> GeocodeCacheEntry | None:
    """A cached result younger than GEOCODE_CACHE_DAYS; an older one is dropped here already."""
    entry = db.session.execute(
        select(GeocodeCacheEntry).where(GeocodeCacheEntry.address_index == index)
    ).scalar_one_or_none()
    days = int(current_app.config.get("GEOCODE_CACHE_DAYS", 30))
    if entry is not None and entry.created_at < clock.now() - dt.timedelta(days=days):
        db.session.delete(entry)
        db.session.flush()
        return None
    return entry


def _store(index: str, backend: str, result: GeoResult) -> None:
    """Remember a usable result; a concurrent identical insert is simply ignored."""
    dialect = db.session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    values = {
        "address_index": index,
        "backend": backend,
        "quality": result.quality,
        "lat": result.lat,
        "lon": result.lon,
        "postcode": result.postcode,
        "district": result.district,
        "street": result.street,
        "created_at": clock.now(),
    }
    db.session.execute(insert(GeocodeCacheEntry).values(**values).on_conflict_do_nothing())


def geocode_address(address: str) -> Location:
    """Geocode through the cache; failures give an `unverified` location, never an error."""
    normalised, index = address_key(address)
    if index is None:
        return Location(None, None, LocationQuality.UNVERIFIED, None, None, None)
    hit = _cached(index)
    if hit is not None:
        quality = LocationQuality(hit.quality)
        return Location(
            hit.lat, hit.lon, quality, normalised, hit.postcode, hit.district, hit.street
        )
    coder = geocoder()
    try:
        result = coder.geocode(address)
    except Exception:  # noqa: BLE001 - geocoding must never block intake
        log.warning("geocoder %s failed", getattr(coder, "name", "?"))
        return Location(None, None, LocationQuality.UNVERIFIED, normalised, None, None)
    if result.quality != LocationQuality.UNVERIFIED:
        _store(index, getattr(coder, "name", "unknown"), result)
    quality = LocationQuality(result.quality)
    return Location(
        result.lat, result.lon, quality, normalised, result.postcode, result.district, result.street
    )


# A given point's radius → how well it is known: a house (GPS, Wi-Fi), a street, a postcode
# area, a district (a phone mast's cell). Without a radius a given point counts as exact.
RADIUS_QUALITY = (
    (50.0, LocationQuality.EXACT),
    (300.0, LocationQuality.STREET),
    (2000.0, LocationQuality.POSTCODE),
)


def point_quality(accuracy_m: float | None) -> LocationQuality:
    """How well a point inside the area is known, from its accuracy radius (metres)."""
    if accuracy_m is None:
        return LocationQuality.EXACT
    for limit, quality in RADIUS_QUALITY:
        if accuracy_m <= limit:
            return quality
    return LocationQuality.DISTRICT


def locate(
    address: str | None, lat: float | None, lon: float | None, accuracy_m: float | None = None
) -> Location:
    """A phone's point (advanced mobile location) wins; else the geocoded address.

    A given point is as good as its radius says (`point_quality`: ± 120 m is a street, not a
    house). A point outside the service area (Antwerp's bounds, or no district near it) is kept
    but is never `exact`: it gets the quality the address gives, else `unverified`, and
    `outside`.
    """
    by_address = geocode_address(address) if address else None
    if lat is not None and lon is not None:
        near = district_for_point(lat, lon)
        district = near or (by_address.district if by_address else None)
        postcode = by_address.postcode if by_address else None
        normalised = by_address.normalised if by_address else None
        street = by_address.street if by_address else None
        outside = near is None or not in_area(lat, lon)
        quality = point_quality(accuracy_m)
        if outside:
            quality = by_address.quality if by_address else LocationQuality.UNVERIFIED
            quality = LocationQuality.UNVERIFIED if quality == "exact" else quality
        return Location(lat, lon, quality, normalised, postcode, district, street, outside)
    return by_address or Location(None, None, LocationQuality.UNVERIFIED, None, None, None)


def in_area(lat: float, lon: float) -> bool:
    """Whether a point lies inside the service area's bounding box (triage.geocoding)."""
    box = antwerp_bbox()
    return box["south"] <= lat <= box["north"] and box["west"] <= lon <= box["east"]
