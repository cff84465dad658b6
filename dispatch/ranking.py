"""Rank available units for an incident: a pure function over plain data (no Flask, no DB).

Match class: 0..3 -- 2 if the unit lacks a required skill, +1 if the victim's language is
known and the unit does not speak it. Skills outrank language: lacking a skill costs two
steps, not speaking the language one.

Order, chosen by ``RankingParams.skill_margin_s`` (the margin of the incident's priority):

* ``None`` (unlimited; P3/P4 by default): match class strictly first, then travel time.
* a number m >= 0 (P1/P2): effective time = ETA + m x class, smallest first; equal effective
  times go to the better class. So the nearest unit comes first unless a better-matched one
  is at most m per step of match farther away. One number per unit makes it a total order: a
  pairwise "within the margin" rule could cycle (A beats B beats C beats A).

Ties break on distance, call sign, then unit id. A unit without a known position has no ETA:
with an unlimited margin it comes after the positioned units of its class (as travel time
never outranked the match there); with a margin it cannot be shown to be within any margin,
so it comes after every positioned unit, by class. Without an incident location there are
no ETAs and both orders are class, then call sign.

Every ranked unit carries the rule that placed it (``RankedUnit.rule``) and its facts
(``RankedUnit.reasons``) as structured ``Reason`` codes, rendered by the caller in the user's
language. Rules, relative to the nearest unit (smallest ETA; the best class among equals):
``match_first`` (unlimited margin), ``nearest``, ``within_margin`` (better matched, ahead of
the nearest: ``gap_s`` farther, at most ``margin_s`` = m x steps), ``beyond_margin`` (better
matched but more than ``margin_s`` farther, so after it), ``farther`` (not better matched),
``position_unknown_last`` and ``no_travel_times`` (no unit or incident position known).
Facts: ``incident_location_unknown``, ``unit_position_unknown``, ``travel`` (``distance_m``,
``eta_s``), ``position_age`` (``age_s``), ``position_stale`` (``age_s`` when known),
``has_skill``/``lacks_skill`` (``skill``), ``speaks``/``does_not_speak`` (``language``).

Whether a position is too old to rank by is the caller's rule (``dispatch.positions``): it
passes a stale unit without coordinates (``position_stale``), so it ranks as one whose position
is unknown everywhere, the spherical prefilter included, and says why.

ETA is distance x detour factor / speed, the same for every unit, so ordering by exact
geodesic distance within a class is ordering by ETA. The fast path computes the exact WGS-84
geodesic (geopy) only for units that spherical bounds (``dispatch.prefilter``) cannot rule
out of the top ``limit`` -- with a margin, per class, also bounded by the effective time of
the current ``limit``-th unit -- or out of being the nearest; ``rank_units_bruteforce`` is the
reference it must always agree with.
"""

from __future__ import annotations

import heapq
import math
from bisect import insort
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from operator import itemgetter

from geopy.distance import geodesic

from dispatch.prefilter import Point, candidates, latitude_band, lowest_m, nearby

__all__ = [
    "RankedUnit",
    "RankingParams",
    "Reason",
    "UnitCandidate",
    "eta_seconds",
    "rank_units",
    "rank_units_bruteforce",
]

Param = str | float
SortKey = tuple[float, int, bool, float, str, int]
Nearest = tuple[float, int]  # distance of the nearest unit and the best class at that distance


@dataclass(frozen=True, slots=True)
class UnitCandidate:
    """A unit the caller already found available; lat/lon is its last known position (None when
    unknown or stale), ``position_age_s`` how old it is (None: unknown)."""

    unit_id: int
    call_sign: str
    lat: float | None
    lon: float | None
    skills: frozenset[str] = frozenset()
    languages: frozenset[str] = frozenset()
    position_age_s: float | None = None
    position_stale: bool = False

    def __post_init__(self) -> None:
        """Reject a stale position that still has coordinates (it would be ranked by them)."""
        if self.position_stale and (self.lat is not None or self.lon is not None):
            raise ValueError("a stale position is passed without lat/lon")


@dataclass(frozen=True, slots=True)
class Reason:
    """One line of why, as a code and its parameters; the caller words it for the user."""

    code: str
    params: tuple[tuple[str, Param], ...] = ()

    @property
    def args(self) -> dict[str, Param]:
        """Return the parameters as a dict."""
        return dict(self.params)


@dataclass(frozen=True, slots=True)
class RankedUnit:
    """One recommendation with the facts, the rule that placed it and the facts' reasons."""

    unit_id: int
    call_sign: str
    distance_m: float | None
    eta_s: float | None
    matched: tuple[str, ...]
    missing: tuple[str, ...]
    language_match: bool | None
    rule: Reason
    reasons: tuple[Reason, ...]


@dataclass(frozen=True, slots=True)
class RankingParams:
    """Travel model, skill margin (None: match class strictly first) and result size."""

    speed_kmh: float = 40.0
    detour_factor: float = 1.3
    limit: int = 10
    skill_margin_s: float | None = None

    def __post_init__(self) -> None:
        """Reject parameters that would make ETAs or effective times meaningless."""
        if not self.speed_kmh > 0 or not math.isfinite(self.speed_kmh):
            raise ValueError("speed_kmh must be a positive finite number")
        if not self.detour_factor > 0 or not math.isfinite(self.detour_factor):
            raise ValueError("detour_factor must be a positive finite number")
        if self.limit < 0:
            raise ValueError("limit must not be negative")
        margin = self.skill_margin_s
        if margin is not None and not (margin >= 0 and math.isfinite(margin)):
            raise ValueError("skill_margin_s must be None (unlimited) or a finite number >= 0")


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
    if params.limit == 0:
        return []
    if params.skill_margin_s is None or query.origin is None:
        picked, nearest = _class_first(units, query), None
    else:
        picked, nearest = _effective_time_first(units, query, query.origin)
    return [_ranked(unit, dist, query, nearest) for unit, dist in picked]


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
    placed = [(d, _class_of(u, query)) for u, d in scored if d is not None]
    nearest = min(placed) if placed and params.skill_margin_s is not None else None
    scored.sort(key=lambda pair: _sort_key(pair[0], pair[1], query))
    return [_ranked(unit, dist, query, nearest) for unit, dist in scored[: params.limit]]


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


def _effective_s(dist: float, cls: int, margin: float, params: RankingParams) -> float:
    """Return ETA plus the margin for every match step below the best class."""
    return eta_seconds(dist, params) + margin * cls


def _sort_key(unit: UnitCandidate, dist: float | None, query: _Query) -> SortKey:
    """Return the total order: class or effective time, class, unplaced last, distance, name."""
    cls = _class_of(unit, query)
    margin = query.params.skill_margin_s
    if margin is None:
        primary = float(cls)
    elif dist is None:
        primary = math.inf
    else:
        primary = _effective_s(dist, cls, margin, query.params)
    return (primary, cls, dist is None, dist or 0.0, unit.call_sign, unit.unit_id)


def _by_class(units: Sequence[UnitCandidate], query: _Query) -> list[list[UnitCandidate]]:
    """Split units into the four skill/language classes, best class first."""
    if not query.required and query.language is None:
        return [list(units)]
    groups: list[list[UnitCandidate]] = [[], [], [], []]
    required, language = query.required, query.language
    asked = language is not None
    for unit in units:  # _class_of inlined: this loop runs over every unit of the province
        cls = 2 * (not required <= unit.skills) + (asked and language not in unit.languages)
        groups[cls].append(unit)
    return groups


def _class_first(
    units: Sequence[UnitCandidate], query: _Query
) -> list[tuple[UnitCandidate, float | None]]:
    """Return the best units for an unlimited margin: whole classes in turn."""
    picked: list[tuple[UnitCandidate, float | None]] = []
    for group in _by_class(units, query):
        remaining = query.params.limit - len(picked)
        if remaining <= 0:
            break
        picked.extend(_best_of_class(group, remaining, query.origin))
    return picked


def _best_of_class(
    group: list[UnitCandidate], k: int, origin: Point | None
) -> list[tuple[UnitCandidate, float | None]]:
    """Return the k best units of one class with their exact distances, best first."""
    if origin is None:
        return [(u, None) for u in heapq.nsmallest(k, group, key=_name_key)]
    exact = candidates(origin, group, k, math.inf)
    exact.sort(key=lambda pair: (pair[0], pair[1].call_sign, pair[1].unit_id))
    best: list[tuple[UnitCandidate, float | None]] = [(u, float(d)) for d, u in exact[:k]]
    if len(best) < k:
        unplaced = [u for u in group if not _has_position(u)]
        best.extend((u, None) for u in heapq.nsmallest(k - len(best), unplaced, key=_name_key))
    return best


def _effective_time_first(
    units: Sequence[UnitCandidate], query: _Query, origin: Point
) -> tuple[list[tuple[UnitCandidate, float | None]], Nearest | None]:
    """Return the best units by effective time, and the nearest unit's distance and class.

    Classes go best first, each unit nearest first. Once k units are in, a unit can still
    enter only if its effective time can be at most the k-th's, or be the nearest only if it
    can be nearer than the nearest so far: a latitude band drops most of a worse class before
    any haversine, and the exact geodesics stop where the spherical lower bound passes both.
    """
    k, margin = query.params.limit, query.params.skill_margin_s or 0.0
    best: list[tuple[SortKey, UnitCandidate, float]] = []
    nearest: Nearest | None = None
    for cls, group in enumerate(_by_class(units, query)):
        if len(best) >= k and nearest is not None:
            reach_m = max(_cap_m(best[k - 1][0][0], margin * cls, query), nearest[0])
            group = latitude_band(group, origin[0], reach_m)
        for hav, unit in nearby(origin, group, k, math.inf):
            if len(best) >= k and nearest is not None:
                low_m = lowest_m(hav)
                if low_m > nearest[0] and low_m > _cap_m(best[k - 1][0][0], margin * cls, query):
                    break  # the rest of the class is farther still
            dist = float(geodesic(origin, (unit.lat, unit.lon)).meters)
            insort(best, (_sort_key(unit, dist, query), unit, dist), key=itemgetter(0))
            del best[k:]
            nearest = min(nearest or (math.inf, cls), (dist, cls))
    picked: list[tuple[UnitCandidate, float | None]] = [(u, d) for _, u, d in best]
    if len(picked) < k:
        unplaced = [u for u in units if not _has_position(u)]
        by_class = sorted(unplaced, key=lambda u: (_class_of(u, query), *_name_key(u)))
        picked.extend((u, None) for u in by_class[: k - len(picked)])
    return picked, nearest


def _cap_m(kth_s: float, penalty_s: float, query: _Query) -> float:
    """Return the farthest a unit with this penalty may be and still tie the k-th unit."""
    params = query.params
    return (kth_s - penalty_s) * (params.speed_kmh / 3.6) / params.detour_factor + 1.0


def _name_key(unit: UnitCandidate) -> tuple[str, int]:
    """Order units by call sign, then id."""
    return (unit.call_sign, unit.unit_id)


def _reason(code: str, **params: Param) -> Reason:
    """Build a reason with its parameters in a stable order."""
    return Reason(code, tuple(sorted(params.items())))


def _ranked(
    unit: UnitCandidate, dist: float | None, query: _Query, nearest: Nearest | None
) -> RankedUnit:
    """Build the public result for one unit, with its rule and reasons."""
    matched = tuple(sorted(query.required & unit.skills))
    missing = tuple(sorted(query.required - unit.skills))
    speaks = None if query.language is None else query.language in unit.languages
    eta = None if dist is None else eta_seconds(dist, query.params)
    reasons = _where(unit, _travel_reason(dist, eta, query.origin is None))
    reasons += [_reason("has_skill", skill=skill) for skill in matched]
    reasons += [_reason("lacks_skill", skill=skill) for skill in missing]
    if speaks is not None and query.language is not None:
        code = "speaks" if speaks else "does_not_speak"
        reasons.append(_reason(code, language=query.language))
    rule = _rule(unit, dist, query, nearest)
    return RankedUnit(
        unit.unit_id, unit.call_sign, dist, eta, matched, missing, speaks, rule, tuple(reasons)
    )


def _rule(
    unit: UnitCandidate, dist: float | None, query: _Query, nearest: Nearest | None
) -> Reason:
    """Return the rule that placed the unit, relative to the nearest unit."""
    margin = query.params.skill_margin_s
    if margin is None:
        return _reason("match_first")
    if nearest is None:
        return _reason("no_travel_times")
    if dist is None:
        return _reason("position_unknown_last")
    near_dist, near_cls = nearest
    if dist == near_dist:
        return _reason("nearest", margin_s=margin)
    cls, params = _class_of(unit, query), query.params
    gap_s = eta_seconds(dist, params) - eta_seconds(near_dist, params)
    if cls >= near_cls:
        return _reason("farther", gap_s=gap_s)
    # Ahead of the nearest exactly when the sort key says so (equal times: better class).
    ahead = _effective_s(dist, cls, margin, params) <= _effective_s(
        near_dist, near_cls, margin, params
    )
    code = "within_margin" if ahead else "beyond_margin"
    return _reason(code, gap_s=gap_s, margin_s=margin * (near_cls - cls))


def _where(unit: UnitCandidate, travel: Reason) -> list[Reason]:
    """Return the travel fact and the position's age; a stale position replaces "unknown"."""
    age = unit.position_age_s
    if unit.position_stale:
        stale = _reason("position_stale") if age is None else _reason("position_stale", age_s=age)
        return [stale] if travel.code == "unit_position_unknown" else [travel, stale]
    if age is None or not _has_position(unit):
        return [travel]
    return [travel, _reason("position_age", age_s=age)]


def _travel_reason(dist: float | None, eta: float | None, incident_unknown: bool) -> Reason:
    """Return the travel fact: distance and ETA, or which position is unknown."""
    if incident_unknown:
        return _reason("incident_location_unknown")
    if dist is None or eta is None:
        return _reason("unit_position_unknown")
    return _reason("travel", distance_m=dist, eta_s=eta)
