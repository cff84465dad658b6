"""PIDF-LO (RFC 4119, 5491, 5139): the location documents EIDO carries, written and read.

Pure. Written: a circle (or a point) in WGS 84 with its radius in metres, the method and time of
the fix, and the civic address (street, number, box, postcode, district). Read: the same, from
a received document; any XML with a DOCTYPE or over MAX_XML characters is ignored unread (no
entity expansion from a message), and a location by reference is never fetched.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any

METHOD = {"aml": "Handset", "network": "Cell", "caller": "Manual", "dispatcher": "Manual"}
METHOD |= {"geocoder": "Derived"}
NS = {
    "": "urn:ietf:params:xml:ns:pidf",
    "gp": "urn:ietf:params:xml:ns:pidf:geopriv10",
    "dm": "urn:ietf:params:xml:ns:pidf:data-model",
    "gml": "http://www.opengis.net/gml",
    "gs": "http://www.opengis.net/pidflo/1.0",
    "ca": "urn:ietf:params:xml:ns:pidf:geopriv10:civicAddr",
}
METRES = "urn:ogc:def:uom:EPSG::9001"
WGS84 = "urn:ogc:def:crs:EPSG::4326"
MAX_XML = 20_000
# A fix older than this is a wrong clock or a made-up value, not a caller's position.
EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
for _prefix, _uri in NS.items():  # the prefixes written out (ElementTree keeps one global map)
    ET.register_namespace(_prefix, _uri)


@dataclass(frozen=True)
class Place:
    """Where: the point with its fix, and the structured address."""

    lat: float | None = None
    lon: float | None = None
    accuracy_m: float | None = None
    located_at: dt.datetime | None = None
    source: str | None = None
    street: str | None = None
    number: str | None = None
    box: str | None = None
    postcode: str | None = None
    district: str | None = None


def stamp(moment: dt.datetime) -> str:
    """An RFC 3339 date-time in UTC with its offset (what `format: date-time` reads)."""
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds")


def write(place: Place, entity: str) -> str:
    """A PIDF-LO document: a circle (or point) with the fix's method and time, and the civic
    address (street, number, box, postcode, district) when known."""
    root = ET.Element(_q("", "presence"), entity=f"pres:{entity}")
    device = ET.SubElement(root, _q("dm", "device"), id="incident")
    geopriv = ET.SubElement(device, _q("gp", "geopriv"))
    info = ET.SubElement(geopriv, _q("gp", "location-info"))
    if place.lat is not None and place.lon is not None:
        _shape(info, place)
    _civic(info, place)
    ET.SubElement(geopriv, _q("gp", "usage-rules"))
    if place.source in METHOD:
        ET.SubElement(geopriv, _q("gp", "method")).text = METHOD[place.source]
    if place.located_at is not None:
        ET.SubElement(device, _q("dm", "timestamp")).text = stamp(place.located_at)
    return ET.tostring(root, encoding="unicode")


def _q(prefix: str, name: str) -> str:
    return f"{{{NS[prefix]}}}{name}"


def _shape(info: ET.Element, place: Place) -> None:
    if place.accuracy_m:
        shape = ET.SubElement(info, _q("gs", "Circle"), srsName=WGS84)
    else:
        shape = ET.SubElement(info, _q("gml", "Point"), srsName=WGS84)
    ET.SubElement(shape, _q("gml", "pos")).text = f"{place.lat} {place.lon}"
    if place.accuracy_m:
        radius = ET.SubElement(shape, _q("gs", "radius"), uom=METRES)
        radius.text = f"{place.accuracy_m:g}"


def _civic(info: ET.Element, place: Place) -> None:
    parts: list[tuple[str, str | None]] = [
        ("A4", place.district),
        ("RD", place.street),
        ("HNO", place.number),
        ("UNIT", place.box),
        ("PC", place.postcode),
    ]
    if not any(value for _, value in parts):
        return
    civic = ET.SubElement(info, _q("ca", "civicAddress"))
    ET.SubElement(civic, _q("ca", "country")).text = "BE"
    for name, value in parts:
        if value:
            ET.SubElement(civic, _q("ca", name)).text = value


def read(text: str) -> tuple[Place, str | None] | None:
    """A received PIDF-LO's place and its city (civic A3); None when unreadable or refused."""
    if not text or len(text) > MAX_XML or "<!DOCTYPE" in text.upper():
        return None
    try:
        root = ET.fromstring(text)
    except (ET.ParseError, ValueError):  # ValueError: text that has no UTF-8 (a lone surrogate)
        return None
    values = {_local(e.tag): (e.text or "").strip() for e in root.iter()}
    point = _point(values.get("pos", ""))
    radius = _radius(root)
    civic = {k: values.get(k) or None for k in ("PRD", "RD", "STS", "POD", "HNO", "UNIT")}
    civic |= {k: values.get(k) or None for k in ("PC", "A3", "A4")}
    street = " ".join(civic[k] or "" for k in ("PRD", "RD", "STS", "POD")).split()
    place = Place(
        lat=point[0] if point else None,
        lon=point[1] if point else None,
        accuracy_m=radius if point else None,
        located_at=_time(values.get("timestamp")) if point else None,
        source="network" if point else None,
        street=" ".join(street) or None,
        number=civic["HNO"],
        box=civic["UNIT"],
        postcode=civic["PC"],
        district=civic["A4"],
    )
    return place, civic["A3"]


def _local(tag: Any) -> str:
    return str(tag).rpartition("}")[2]


def _point(text: str) -> tuple[float, float] | None:
    try:
        lat, lon = (float(v) for v in text.split()[:2])
    except ValueError:
        return None
    return (lat, lon) if -90 <= lat <= 90 and -180 <= lon <= 180 else None


def _radius(root: ET.Element) -> float | None:
    for element in root.iter():
        if _local(element.tag) == "radius" and element.get("uom", METRES) == METRES:
            try:
                value = float((element.text or "").strip())
            except ValueError:
                return None
            return value if 0 < value <= 100_000 else None
    return None


def _time(text: str | None) -> dt.datetime | None:
    """The fix's time in UTC; None when absent, unreadable, without an offset, or before
    EARLIEST (year 1 with an offset does not even fit in UTC)."""
    try:
        moment = dt.datetime.fromisoformat((text or "").replace("Z", "+00:00"))
        if moment.tzinfo is None:
            return None
        moment = moment.astimezone(dt.UTC)
    except (ValueError, OverflowError):
        return None
    return moment if moment >= EARLIEST else None
