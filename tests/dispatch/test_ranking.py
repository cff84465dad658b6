"""Tests for the pure unit-ranking core."""

from __future__ import annotations

import dataclasses

import pytest
from geopy.distance import geodesic
from hypothesis import given, settings
from hypothesis import strategies as st

from dispatch.ranking import (
    RankedUnit,
    RankingParams,
    UnitCandidate,
    eta_seconds,
    rank_units,
    rank_units_bruteforce,
)

CENTRE = (51.2194, 4.4025)
SKILLS = ("child_interviewing", "female_officer", "shelter_transport")
LANGUAGES = ("nl", "fr", "en", "ar", "tr", "pl")
ALL = RankingParams(limit=10_000)


def unit(
    unit_id: int,
    lat: float | None,
    lon: float | None,
    skills: tuple[str, ...] = (),
    languages: tuple[str, ...] = ("nl",),
    call_sign: str | None = None,
) -> UnitCandidate:
    """Build a unit; the call sign defaults to one derived from the id."""
    sign = call_sign or f"NW{unit_id:03d}"
    return UnitCandidate(unit_id, sign, lat, lon, frozenset(skills), frozenset(languages))


def ids(ranked: list[RankedUnit]) -> list[int]:
    """Return the unit ids of a ranking, in order."""
    return [r.unit_id for r in ranked]


def reference_ids(
    origin: tuple[float, float] | None,
    units: list[UnitCandidate],
    required: frozenset[str],
    language: str | None,
    limit: int,
) -> list[int]:
    """Order units straight from the specification, independently of the module."""

    def key(u: UnitCandidate) -> tuple[bool, bool, bool, float, str, int]:
        placed = origin is not None and u.lat is not None and u.lon is not None
        dist = geodesic(origin, (u.lat, u.lon)).meters if placed else 0.0
        mismatch = language is not None and language not in u.languages
        return (not required <= u.skills, mismatch, not placed, dist, u.call_sign, u.unit_id)

    return [u.unit_id for u in sorted(units, key=key)[:limit]]


# --- strategies -------------------------------------------------------------------------

ANTWERP = (st.floats(51.15, 51.30), st.floats(4.30, 4.50))
PROVINCE = (st.floats(51.0, 51.5), st.floats(4.1, 5.3))


@st.composite
def positions(draw: st.DrawFn) -> tuple[float, float] | None:
    """Draw a city or province position, or None for an unknown one."""
    kind = draw(st.sampled_from(["city", "province", "none"]))
    if kind == "none":
        return None
    lat_s, lon_s = ANTWERP if kind == "city" else PROVINCE
    return (draw(lat_s), draw(lon_s))


@st.composite
def unit_lists(draw: st.DrawFn, max_size: int = 40) -> list[UnitCandidate]:
    """Draw units with unique ids, shared call signs and repeated positions to force ties."""
    pool = draw(st.lists(positions(), min_size=1, max_size=8))
    count = draw(st.integers(0, max_size))
    units = []
    for uid in range(count):
        pos = draw(st.one_of(st.sampled_from(pool), positions()))
        lat, lon = pos if pos is not None else (None, None)
        skills = draw(st.frozensets(st.sampled_from(SKILLS)))
        langs = draw(st.frozensets(st.sampled_from(LANGUAGES), max_size=3))
        sign = draw(st.sampled_from(["NW01", "NW02", "NW03", f"NW{uid:03d}"]))
        units.append(UnitCandidate(uid, sign, lat, lon, skills, langs))
    return units


requests = st.tuples(
    positions(),
    st.frozensets(st.sampled_from(SKILLS), max_size=2),
    st.one_of(st.none(), st.sampled_from(LANGUAGES)),
    st.integers(0, 15),
)


# --- fast path equals brute force ---------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(units=unit_lists(), request=requests)
def test_fast_path_equals_bruteforce(units: list[UnitCandidate], request: tuple) -> None:
    origin, required, language, limit = request
    lat, lon = origin if origin is not None else (None, None)
    params = RankingParams(limit=limit)
    fast = rank_units(lat, lon, units, required, language, params)
    assert fast == rank_units_bruteforce(lat, lon, units, required, language, params)
    assert ids(fast) == reference_ids(origin, units, required, language, limit)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    origin=st.tuples(*PROVINCE),
    limit=st.integers(1, 12),
)
def test_fast_path_equals_bruteforce_on_a_dense_province(
    seed: int, origin: tuple[float, float], limit: int
) -> None:
    import random

    rng = random.Random(seed)
    units = [
        unit(i, rng.uniform(51.0, 51.5), rng.uniform(4.1, 5.3), tuple(rng.sample(SKILLS, 1)))
        for i in range(400)
    ]
    params = RankingParams(limit=limit)
    args = (origin[0], origin[1], units, {"female_officer"}, None, params)
    assert rank_units(*args) == rank_units_bruteforce(*args)


def test_ellipsoid_decides_when_sphere_disagrees() -> None:
    # On a sphere the east unit is ~26 m closer; on WGS-84 the north unit is ~0.4 m closer.
    north = unit(1, CENTRE[0] + 0.09, CENTRE[1])
    east = unit(2, CENTRE[0], CENTRE[1] + 0.14332)
    far = [unit(10 + i, 51.45, 5.0 + i / 100) for i in range(20)]
    ranked = rank_units(*CENTRE, [east, *far, north], params=RankingParams(limit=1))
    assert ids(ranked) == [1]


# --- ordering -----------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(units=unit_lists(), origin=st.tuples(*PROVINCE))
def test_closer_unit_with_same_skills_never_ranks_below_farther(
    units: list[UnitCandidate], origin: tuple[float, float]
) -> None:
    ranked = rank_units(origin[0], origin[1], units, {"female_officer"}, "ar", ALL)
    place = {r.unit_id: i for i, r in enumerate(ranked)}
    dist = {r.unit_id: r.distance_m for r in ranked}
    for a in units:
        for b in units:
            same = (a.skills, a.languages) == (b.skills, b.languages)
            da, db = dist[a.unit_id], dist[b.unit_id]
            if same and da is not None and (db is None or da < db):
                assert place[a.unit_id] < place[b.unit_id]


def test_units_lacking_a_required_skill_come_after_those_that_have_it() -> None:
    near_without = unit(1, 51.2200, 4.4030, skills=("shelter_transport",))
    far_with = unit(2, 51.4000, 5.1000, skills=("female_officer", "shelter_transport"))
    ranked = rank_units(*CENTRE, [near_without, far_with], ["female_officer"])
    assert ids(ranked) == [2, 1]
    assert ranked[0].matched == ("female_officer",) and ranked[0].missing == ()
    assert ranked[1].matched == () and ranked[1].missing == ("female_officer",)
    assert "lacks female_officer" in ranked[1].reasons
    assert "has female_officer" in ranked[0].reasons


def test_matched_and_missing_are_sorted() -> None:
    u = unit(1, *CENTRE, skills=("shelter_transport", "female_officer"))
    required = ["shelter_transport", "female_officer", "child_interviewing"]
    (ranked,) = rank_units(*CENTRE, [u], required)
    assert ranked.matched == ("female_officer", "shelter_transport")
    assert ranked.missing == ("child_interviewing",)


def test_speaker_of_victims_language_ranks_before_closer_non_speaker() -> None:
    near_nl = unit(1, 51.2200, 4.4030, languages=("nl", "fr"))
    far_ar = unit(2, 51.3000, 4.6000, languages=("nl", "ar"))
    ranked = rank_units(*CENTRE, [near_nl, far_ar], language="ar")
    assert ids(ranked) == [2, 1]
    assert [r.language_match for r in ranked] == [True, False]
    assert "speaks ar" in ranked[0].reasons


def test_skills_outrank_language() -> None:
    speaks_only = unit(1, 51.2200, 4.4030, languages=("ar",))
    skilled_only = unit(2, 51.3000, 4.6000, skills=("female_officer",))
    ranked = rank_units(*CENTRE, [speaks_only, skilled_only], ["female_officer"], "ar")
    assert ids(ranked) == [2, 1]


def test_without_requested_language_languages_do_not_matter() -> None:
    far_ar = unit(1, 51.3000, 4.6000, languages=("ar",))
    near_nl = unit(2, 51.2200, 4.4030, languages=("nl",))
    ranked = rank_units(*CENTRE, [far_ar, near_nl])
    assert ids(ranked) == [2, 1]
    assert all(r.language_match is None for r in ranked)
    assert not any("speak" in reason for r in ranked for reason in r.reasons)


def test_equal_distance_ties_break_on_call_sign() -> None:
    units = [unit(1, 51.25, 4.45, call_sign="NW-B"), unit(2, 51.25, 4.45, call_sign="NW-A")]
    assert ids(rank_units(*CENTRE, units)) == [2, 1]


# --- positions ----------------------------------------------------------------------------


def test_unit_without_position_comes_after_positioned_units_of_its_class() -> None:
    lost = unit(1, None, None, call_sign="NW-A")
    far = unit(2, 51.4900, 5.2900, call_sign="NW-Z")
    lost_unskilled = unit(3, None, 4.4, skills=(), call_sign="NW-0")
    lost_skilled = unit(4, None, None, skills=("female_officer",), call_sign="NW-Y")
    ranked = rank_units(*CENTRE, [lost, far, lost_unskilled, lost_skilled], ["female_officer"])
    assert ids(ranked) == [4, 2, 3, 1]  # both unplaced and unskilled: "NW-0" < "NW-A"
    assert ranked[0].distance_m is None and ranked[0].eta_s is None
    assert "unit position unknown" in ranked[0].reasons


def test_incident_without_position_ranks_by_skills_language_then_call_sign() -> None:
    units = [
        unit(1, 51.22, 4.40, skills=("female_officer",), languages=("nl",), call_sign="NW-A"),
        unit(2, 51.40, 5.00, skills=("female_officer",), languages=("tr",), call_sign="NW-C"),
        unit(3, None, None, skills=("female_officer",), languages=("tr",), call_sign="NW-B"),
        unit(4, 51.22, 4.40, skills=(), languages=("tr",), call_sign="NW-0"),
    ]
    ranked = rank_units(None, 4.4, units, ["female_officer"], "tr")
    assert ids(ranked) == [3, 2, 1, 4]
    assert all(r.distance_m is None and r.eta_s is None for r in ranked)
    assert all(r.reasons[0] == "incident location unknown" for r in ranked)


# --- limit, eta and reasons ---------------------------------------------------------------


@pytest.mark.parametrize("limit", [0, 1, 3, 5, 8])
def test_limit_returns_the_best_prefix(limit: int) -> None:
    units = [unit(i, 51.2194 + i / 100, 4.4025) for i in range(5)]
    ranked = rank_units(*CENTRE, units, params=RankingParams(limit=limit))
    assert ids(ranked) == list(range(min(limit, 5)))


def test_default_limit_is_ten() -> None:
    units = [unit(i, 51.0 + i / 100, 4.5) for i in range(30)]
    assert len(rank_units(*CENTRE, units)) == 10


def test_empty_unit_list_gives_empty_ranking() -> None:
    assert rank_units(*CENTRE, []) == []


def test_eta_is_distance_times_detour_over_speed() -> None:
    params = RankingParams(speed_kmh=36.0, detour_factor=1.5)
    assert eta_seconds(1000.0, params) == pytest.approx(150.0)
    assert eta_seconds(0.0, params) == 0.0
    assert eta_seconds(2000.0, RankingParams()) == pytest.approx(2000 * 1.3 / (40 / 3.6))


def test_ranked_unit_reports_geodesic_distance_eta_and_travel_reason() -> None:
    target = (51.2394, 4.4225)
    params = RankingParams(speed_kmh=30.0, detour_factor=1.2)
    (ranked,) = rank_units(*CENTRE, [unit(7, *target)], params=params)
    expected = geodesic(CENTRE, target).meters
    assert ranked.distance_m == pytest.approx(expected)
    assert ranked.eta_s == pytest.approx(eta_seconds(expected, params))
    assert ranked.reasons[0] == f"{expected / 1000:.1f} km, ~{round(ranked.eta_s / 60)} min"
    assert ranked.reasons[0] == "2.6 km, ~6 min"


@pytest.mark.parametrize(
    "changes",
    [{"speed_kmh": 0.0}, {"speed_kmh": -5.0}, {"detour_factor": 0.0}, {"limit": -1}],
)
def test_invalid_params_are_rejected(changes: dict) -> None:
    with pytest.raises(ValueError):
        dataclasses.replace(RankingParams(), **changes)
