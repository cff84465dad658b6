"""Rank available units for an incident: a pure function over plain data (no Flask, no DB).

Order: units holding every required skill first, then (when the victim's language is known)
units speaking it, then by estimated travel time; units without a known position come after
the positioned units of their class; ties break on call sign, then unit id.

ETA is distance x detour factor / speed, the same for every unit, so ordering by exact
geodesic distance is ordering by ETA. The fast path computes the cheap spherical haversine
for every unit and the exact WGS-84 geodesic (geopy) only for units that can still reach the
top ``limit``; ``rank_units_bruteforce`` is the reference it must always agree with.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from geopy.distance import geodesic

__all__ = [
    "RankedUnit",
    "RankingParams",
    "UnitCandidate",
    "eta_seconds",
    "rank_units",
    "rank_units_bruteforce",
]

EARTH_RADIUS_M = 6_371_008.8  # IUGG mean radius used for the haversine prefilter
# On WGS-84 the radii of curvature lie in [6 335 439 m, 6 399 594 m], i.e. within
# [0.9944, 1.0045] of EARTH_RADIUS_M, so ellipsoidal / spherical distance between the same
# coordinates lies in that range too (path-length argument). 1 % plus 1 m of slack is safe.
_SPHERE_LOW = 0.99
_SPHERE_HIGH = 1.01
_SLACK_M = 1.0
_DEG = math.pi / 180.0
_HALF_DEG = _DEG / 2.0

Point = tuple[float, float]


@dataclass(frozen=True, slots=True)
class UnitCandidate:
    """A unit the caller already found available; lat/lon is its last known position."""

    unit_id: int
    call_sign: str
    lat: float | None
    lon: float | None
    skills: frozenset[str] = frozenset()
    languages: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class RankedUnit:
    """One recommendation with the facts and one-line reasons behind its place."""

    unit_id: int
    call_sign: str
    distance_m: float | None
    eta_s: float | None
    matched: tuple[str, ...]
    missing: tuple[str, ...]
    language_match: bool | None
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RankingParams:
    """Travel model and result size for a ranking."""

    speed_kmh: float = 40.0
    detour_factor: float = 1.3
    limit: int = 10

    def __post_init__(self) -> None:
        """Reject parameters that would make ETAs meaningless."""
        if not self.speed_kmh > 0 or not math.isfinite(self.speed_kmh):
            raise ValueError("speed_kmh must be a positive finite number")
        if not self.detour_factor > 0 or not math.isfinite(self.detour_factor):
            raise ValueError("detour_factor must be a positive finite number")
        if self.limit < 0:
            raise ValueError("limit must not be negative")


@dataclass(frozen=True, slots=True)
class _Query:
    """Normalised request shared by the fast path and the reference."""

    origin: Point | None
    required: frozenset[str]
    language: str | None
    params: RankingParams


def eta_seconds(distance_m: float, params: RankingParams) -> float:
    """Return the travel time in seconds for a straight-line distance in metres."""
    return distance_m * params.detour_factor / (params.speed_kmh / 3.6)


def rank_units(
    lat: float | None,
    lon: float | None,
    units: Sequence[UnitCandidate],
    required_skills: Iterable[str] = (),
    language: str | None = None,
    params: RankingParams = RankingParams(),
) -> list[RankedUnit]:
    """Return at most ``params.limit`` units, best first (same result as the brute force)."""
    query = _make_query(lat, lon, required_skills, language, params)
    picked: list[tuple[UnitCandidate, float | None]] = []
    for group in _by_class(units, query):
        remaining = params.limit - len(picked)
        if remaining <= 0:
            break
        picked.extend(_best_of_class(group, remaining, query.origin))
    return [_ranked(unit, dist, query) for unit, dist in picked]


def rank_units_bruteforce(
    lat: float | None,
    lon: float | None,
    units: Sequence[UnitCandidate],
    required_skills: Iterable[str] = (),
    language: str | None = None,
    params: RankingParams = RankingParams(),
) -> list[RankedUnit]:
    """Rank by geodesic distance to every unit and a full sort: the reference ``rank_units``."""
    query = _make_query(lat, lon, required_skills, language, params)
    scored = [(unit, _exact(query.origin, unit)) for unit in units]
    scored.sort(key=lambda pair: _sort_key(pair[0], pair[1], query))
    return [_ranked(unit, dist, query) for unit, dist in scored[: params.limit]]


def _make_query(
    lat: float | None,
    lon: float | None,
    required_skills: Iterable[str],
    language: str | None,
    params: RankingParams,
) -> _Query:
    """Normalise the request: no origin unless both coordinates are known."""
    origin = None if lat is None or lon is None else (float(lat), float(lon))
    return _Query(origin, frozenset(required_skills), language or None, params)


def _class_of(unit: UnitCandidate, query: _Query) -> int:
    """Return 0..3: 2 if the unit lacks a required skill, +1 if it lacks the language."""
    lacks = not query.required <= unit.skills
    mismatch = query.language is not None and query.language not in unit.languages
    return 2 * lacks + mismatch


def _has_position(unit: UnitCandidate) -> bool:
    """Return whether the unit's last position is known."""
    return unit.lat is not None and unit.lon is not None


def _exact(origin: Point | None, unit: UnitCandidate) -> float | None:
    """Return the WGS-84 geodesic distance in metres, or None when either end is unknown."""
    if origin is None or unit.lat is None or unit.lon is None:
        return None
    return float(geodesic(origin, (unit.lat, unit.lon)).meters)


def _sort_key(
    unit: UnitCandidate, dist: float | None, query: _Query
) -> tuple[int, bool, float, str, int]:
    """Return the total order: class, unpositioned last, distance (= ETA order), call sign."""
    return (_class_of(unit, query), dist is None, dist or 0.0, unit.call_sign, unit.unit_id)


def _by_class(units: Sequence[UnitCandidate], query: _Query) -> list[list[UnitCandidate]]:
    """Split units into the four skill/language classes, best class first."""
    if not query.required and query.language is None:
        return [list(units)]
    groups: list[list[UnitCandidate]] = [[], [], [], []]
    for unit in units:
        groups[_class_of(unit, query)].append(unit)
    return groups


def _best_of_class(
    group: list[UnitCandidate], k: int, origin: Point | None
) -> list[tuple[UnitCandidate, float | None]]:
    """Return the k best units of one class with their exact distances, best first."""
    if origin is None:
        return [(u, None) for u in heapq.nsmallest(k, group, key=_name_key)]
    placed = _prefilter(origin, group, k) if len(group) > k else group
    exact = [
        (geodesic(origin, (u.lat, u.lon)).meters, u)
        for u in placed
        if u.lat is not None and u.lon is not None
    ]
    exact.sort(key=lambda pair: (pair[0], pair[1].call_sign, pair[1].unit_id))
    best: list[tuple[UnitCandidate, float | None]] = [(u, float(d)) for d, u in exact[:k]]
    if len(best) < k:
        unplaced = [u for u in group if not _has_position(u)]
        best.extend((u, None) for u in heapq.nsmallest(k - len(best), unplaced, key=_name_key))
    return best


def _name_key(unit: UnitCandidate) -> tuple[str, int]:
    """Order units by call sign, then id."""
    return (unit.call_sign, unit.unit_id)


def _prefilter(origin: Point, group: list[UnitCandidate], k: int) -> list[UnitCandidate]:
    """Keep every positioned unit whose geodesic distance could be among the k smallest.

    The k-th smallest spherical distance bounds the k-th smallest geodesic from above; a unit
    whose lowest possible geodesic exceeds that bound cannot be in the top k. Haversine terms
    are monotone in distance, so the comparison runs on them without asin/sqrt per unit.
    Only floats are allocated per unit: they are not tracked by the garbage collector, so a
    ranking does not trigger collections that would walk the whole heap.
    """
    lat0, lon0 = origin
    cos0 = math.cos(lat0 * _DEG)
    sin, cos = math.sin, math.cos
    hav = [
        sin((u.lat - lat0) * _HALF_DEG) ** 2
        + cos0 * cos(u.lat * _DEG) * sin((u.lon - lon0) * _HALF_DEG) ** 2
        if u.lat is not None and u.lon is not None
        else math.inf
        for u in group
    ]
    kth_upper = _hav_to_m(heapq.nsmallest(k, hav)[-1]) * _SPHERE_HIGH + _SLACK_M
    limit = _m_to_hav((kth_upper + _SLACK_M) / _SPHERE_LOW)
    return [u for h, u in zip(hav, group, strict=True) if h <= limit]


def _hav_to_m(hav: float) -> float:
    """Return the spherical distance in metres for a haversine term."""
    return 2.0 * EARTH_RADIUS_M * math.asin(math.sqrt(min(1.0, max(0.0, hav))))


def _m_to_hav(metres: float) -> float:
    """Return the haversine term of a spherical distance (1.0, i.e. everything, if too far)."""
    half_angle = metres / (2.0 * EARTH_RADIUS_M)
    return 1.0 if half_angle >= math.pi / 2 else math.sin(half_angle) ** 2


def _ranked(unit: UnitCandidate, dist: float | None, query: _Query) -> RankedUnit:
    """Build the public result for one unit, with its reasons."""
    matched = tuple(sorted(query.required & unit.skills))
    missing = tuple(sorted(query.required - unit.skills))
    speaks = None if query.language is None else query.language in unit.languages
    eta = None if dist is None else eta_seconds(dist, query.params)
    reasons = [_travel_reason(dist, eta, query.origin is None)]
    reasons += [f"has {skill}" for skill in matched]
    reasons += [f"lacks {skill}" for skill in missing]
    if speaks is not None:
        reasons.append(f"speaks {query.language}" if speaks else f"does not speak {query.language}")
    return RankedUnit(
        unit.unit_id, unit.call_sign, dist, eta, matched, missing, speaks, tuple(reasons)
    )


def _travel_reason(dist: float | None, eta: float | None, incident_unknown: bool) -> str:
    """Return the travel line, e.g. '2.3 km, ~4 min'."""
    if incident_unknown:
        return "incident location unknown"
    if dist is None or eta is None:
        return "unit position unknown"
    return f"{dist / 1000:.1f} km, ~{max(1, round(eta / 60))} min"
