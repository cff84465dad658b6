"""Spherical bounds that spare the ranking most exact WGS-84 geodesics (pure, no Flask).

The exact geodesic (geopy) costs ~0.07 ms a unit; a haversine on the mean sphere or a latitude
comparison costs far less. On WGS-84 the radii of curvature lie in [6 335 439 m, 6 399 594 m],
i.e. within [0.9944, 1.0045] of EARTH_RADIUS_M, so ellipsoidal / spherical distance between the
same coordinates lies in that range too (path-length argument); 1 % plus 1 m of slack is safe.
Haversine terms are monotone in distance, so comparisons run on them without asin/sqrt per unit.
"""

from __future__ import annotations

import heapq
import math
from operator import itemgetter
from typing import Protocol, TypeVar

from geopy.distance import geodesic

EARTH_RADIUS_M = 6_371_008.8  # IUGG mean radius
_SPHERE_LOW = 0.99
_SPHERE_HIGH = 1.01
_SLACK_M = 1.0
_DEG = math.pi / 180.0
_HALF_DEG = _DEG / 2.0

Point = tuple[float, float]


class Positioned(Protocol):
    """Anything with a last known position (a unit candidate); a stale one comes with lat/lon
    None, so no band or bound below takes it for a far-away unit: it is left to the caller's
    position-unknown path."""

    @property
    def lat(self) -> float | None: ...

    @property
    def lon(self) -> float | None: ...


U = TypeVar("U", bound=Positioned)


def latitude_band(group: list[U], lat0: float, reach_m: float) -> list[U]:
    """Keep the units whose latitude alone does not put them more than ``reach_m`` away.

    A great circle is at least R x |latitude difference| long: one comparison per unit.
    """
    half_deg = math.degrees((reach_m + _SLACK_M) / _SPHERE_LOW / EARTH_RADIUS_M) * 1.000001
    low, high = lat0 - half_deg, lat0 + half_deg
    return [u for u in group if u.lat is not None and low <= u.lat <= high]


def candidates(origin: Point, group: list[U], k: int, cap_m: float) -> list[tuple[float, U]]:
    """Return exact distances of every positioned unit that may be among the group's k nearest
    within ``cap_m`` metres, or its nearest."""
    return [
        (geodesic(origin, (u.lat, u.lon)).meters, u) for _, u in nearby(origin, group, k, cap_m)
    ]


def nearby(origin: Point, group: list[U], k: int, cap_m: float) -> list[tuple[float, U]]:
    """Return (haversine term, unit) of every positioned unit that may be among the group's k
    nearest within ``cap_m`` metres, or its nearest; nearest first.

    The k-th smallest spherical distance bounds the k-th smallest geodesic from above; a unit
    whose lowest possible geodesic exceeds that bound (or ``cap_m``) cannot be in the top k.
    """
    hav = havs(origin, group)
    smallest = heapq.nsmallest(k, hav)
    if not smallest or smallest[0] == math.inf:
        return []
    bound_m = cap_m + _SLACK_M  # float rounding of the caller's cap
    if len(hav) > k:
        bound_m = min(bound_m, _hav_to_m(smallest[-1]) * _SPHERE_HIGH + _SLACK_M)
    nearest_m = _hav_to_m(smallest[0]) * _SPHERE_HIGH + _SLACK_M
    limit = _m_to_hav((max(bound_m, nearest_m) + _SLACK_M) / _SPHERE_LOW)
    # limit <= 1.0 < inf: units without a position never pass
    kept = [(h, u) for h, u in zip(hav, group, strict=True) if h <= limit]
    kept.sort(key=itemgetter(0))
    return kept


def lowest_m(hav: float) -> float:
    """Return a lower bound of the geodesic in metres for a haversine term."""
    return _hav_to_m(hav) * _SPHERE_LOW - _SLACK_M


def havs(origin: Point, group: list[U]) -> list[float]:
    """Return each unit's haversine term from the origin (inf without a position).

    Only floats are allocated per unit: they are not tracked by the garbage collector, so a
    ranking does not trigger collections that would walk the whole heap.
    """
    lat0, lon0 = origin
    cos0 = math.cos(lat0 * _DEG)
    sin, cos = math.sin, math.cos
    return [
        sin((u.lat - lat0) * _HALF_DEG) ** 2
        + cos0 * cos(u.lat * _DEG) * sin((u.lon - lon0) * _HALF_DEG) ** 2
        if u.lat is not None and u.lon is not None
        else math.inf
        for u in group
    ]


def _hav_to_m(hav: float) -> float:
    """Return the spherical distance in metres for a haversine term."""
    return 2.0 * EARTH_RADIUS_M * math.asin(math.sqrt(min(1.0, max(0.0, hav))))


def _m_to_hav(metres: float) -> float:
    """Return the haversine term of a spherical distance (1.0, i.e. everything, if too far)."""
    half_angle = metres / (2.0 * EARTH_RADIUS_M)
    return 1.0 if half_angle >= math.pi / 2 else math.sin(half_angle) ** 2
