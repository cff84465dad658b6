"""Tests for the pure unit-ranking core."""

from __future__ import annotations

import dataclasses
import math

import pytest
from geopy.distance import geodesic
from hypothesis import given, settings
from hypothesis import strategies as st

from dispatch.ranking import (
    RankedUnit,
    RankingParams,
    Reason,
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
    params: RankingParams,
) -> list[int]:
    """Order units straight from the specification, independently of the module."""
    margin = params.skill_margin_s

    def key(u: UnitCandidate) -> tuple:
        placed = origin is not None and u.lat is not None and u.lon is not None
        dist = geodesic(origin, (u.lat, u.lon)).meters if placed else 0.0
        steps = 2 * (not required <= u.skills) + (
            language is not None and language not in u.languages
        )
        tail = (steps, not placed, dist, u.call_sign, u.unit_id)
        if margin is None:  # the match class strictly first
            return tail
        # nearest first, a better match may cost `margin` of travel per step; unplaced last
        effective = eta_seconds(dist, params) + margin * steps if placed else 0.0
        return (not placed, effective, *tail)

    return [u.unit_id for u in sorted(units, key=key)[: params.limit]]


def at_eta(unit_id: int, minutes: float, **kw) -> UnitCandidate:
    """A unit due north of the centre whose ETA (default travel model) is `minutes`."""
    metres = minutes * 60 * (40 / 3.6) / 1.3
    point = geodesic(meters=metres).destination(CENTRE, bearing=0)
    return unit(unit_id, point.latitude, point.longitude, **kw)


def codes(ranked: list[RankedUnit]) -> list[str]:
    """Return the rule code of every ranked unit, in order."""
    return [r.rule.code for r in ranked]


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
# None: unlimited (class first); 0: travel time only; large values reach across the province.
margins = st.one_of(
    st.none(),
    st.just(0.0),
    st.sampled_from([60.0, 120.0, 300.0, 3600.0]),
    st.floats(0.0, 20_000.0, allow_nan=False),
)


# --- fast path equals brute force ---------------------------------------------------------


@settings(max_examples=400, deadline=None)
@given(units=unit_lists(), request=requests, margin=margins)
def test_fast_path_equals_bruteforce(
    units: list[UnitCandidate], request: tuple, margin: float | None
) -> None:
    origin, required, language, limit = request
    lat, lon = origin if origin is not None else (None, None)
    params = RankingParams(limit=limit, skill_margin_s=margin)
    fast = rank_units(lat, lon, units, required, language, params)
    assert fast == rank_units_bruteforce(lat, lon, units, required, language, params)
    assert ids(fast) == reference_ids(origin, units, required, language, params)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    origin=st.tuples(*PROVINCE),
    limit=st.integers(1, 12),
    margin=margins,
)
def test_fast_path_equals_bruteforce_on_a_dense_province(
    seed: int, origin: tuple[float, float], limit: int, margin: float | None
) -> None:
    import random

    rng = random.Random(seed)
    units = [
        unit(
            i,
            rng.uniform(51.0, 51.5),
            rng.uniform(4.1, 5.3),
            tuple(rng.sample(SKILLS, 1)),
            tuple(rng.sample(LANGUAGES, 2)),
        )
        for i in range(400)
    ]
    params = RankingParams(limit=limit, skill_margin_s=margin)
    args = (origin[0], origin[1], units, {"female_officer"}, "ar", params)
    assert rank_units(*args) == rank_units_bruteforce(*args)


@settings(max_examples=60, deadline=None)
@given(units=unit_lists(), origin=st.tuples(*ANTWERP), margin=margins, data=st.data())
def test_ranking_does_not_depend_on_the_order_units_arrive_in(
    units: list[UnitCandidate], origin: tuple[float, float], margin: float | None, data
) -> None:
    # A pairwise "within the margin" rule could cycle; one effective time per unit cannot.
    shuffled = data.draw(st.permutations(units))
    params = RankingParams(limit=10_000, skill_margin_s=margin)
    args = ({"female_officer"}, "ar", params)
    assert rank_units(*origin, shuffled, *args) == rank_units(*origin, units, *args)


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
    assert Reason("lacks_skill", (("skill", "female_officer"),)) in ranked[1].reasons
    assert Reason("has_skill", (("skill", "female_officer"),)) in ranked[0].reasons
    assert codes(ranked) == ["match_first", "match_first"]


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
    assert Reason("speaks", (("language", "ar"),)) in ranked[0].reasons
    assert Reason("does_not_speak", (("language", "ar"),)) in ranked[1].reasons


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
    assert not any("speak" in reason.code for r in ranked for reason in r.reasons)


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
    assert ranked[0].reasons[0] == Reason("unit_position_unknown")


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
    assert all(r.reasons[0] == Reason("incident_location_unknown") for r in ranked)


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
    travel = ranked.reasons[0]
    assert travel.code == "travel"
    assert travel.args == {"distance_m": ranked.distance_m, "eta_s": ranked.eta_s}


@pytest.mark.parametrize(
    "changes",
    [
        {"speed_kmh": 0.0},
        {"speed_kmh": -5.0},
        {"detour_factor": 0.0},
        {"limit": -1},
        {"skill_margin_s": -1.0},
        {"skill_margin_s": math.inf},
        {"skill_margin_s": math.nan},
    ],
)
def test_invalid_params_are_rejected(changes: dict) -> None:
    with pytest.raises(ValueError):
        dataclasses.replace(RankingParams(), **changes)


# --- skill margin per priority (issue 17) -------------------------------------------------

P1 = RankingParams(skill_margin_s=120.0)
P3 = RankingParams(skill_margin_s=None)
REQUIRED = ("female_officer", "child_interviewing")


def issue_units() -> list[UnitCandidate]:
    """The issue's example: NT-51 has every skill but is 13 min away, NT-21 1 min away."""
    return [
        at_eta(51, 13, skills=REQUIRED, call_sign="NT-51"),
        at_eta(21, 1, skills=("female_officer",), call_sign="NT-21"),
    ]


def test_p1_sends_the_nearest_unit_when_the_better_match_is_beyond_the_margin() -> None:
    ranked = rank_units(*CENTRE, issue_units(), REQUIRED, params=P1)
    assert [r.call_sign for r in ranked] == ["NT-21", "NT-51"]
    assert ranked[0].rule == Reason("nearest", (("margin_s", 120.0),))
    assert ranked[1].rule.code == "beyond_margin"
    assert ranked[1].rule.args["gap_s"] == pytest.approx(12 * 60)
    assert ranked[1].rule.args["margin_s"] == 240.0  # lacking a skill is two steps of 120 s


def test_p3_keeps_the_best_match_first_however_far() -> None:
    ranked = rank_units(*CENTRE, issue_units(), REQUIRED, params=P3)
    assert [r.call_sign for r in ranked] == ["NT-51", "NT-21"]
    assert codes(ranked) == ["match_first", "match_first"]


def test_p1_prefers_the_better_match_within_the_margin() -> None:
    units = [
        at_eta(1, 1, call_sign="NT-21"),  # lacks the skill: two steps of 120 s
        at_eta(2, 4, skills=("female_officer",), call_sign="NT-51"),
    ]
    ranked = rank_units(*CENTRE, units, ["female_officer"], params=P1)
    assert [r.call_sign for r in ranked] == ["NT-51", "NT-21"]
    within = ranked[0].rule
    assert within.code == "within_margin" and within.args["margin_s"] == 240.0
    assert within.args["gap_s"] == pytest.approx(180)
    assert ranked[1].rule == Reason("nearest", (("margin_s", 120.0),))


def test_language_is_one_step_of_the_margin() -> None:
    units = [
        at_eta(1, 1, languages=("nl",)),
        at_eta(2, 2.5, languages=("nl", "ar")),  # 1.5 min farther: within one step
        at_eta(3, 3.5, languages=("nl", "ar")),  # 2.5 min farther: beyond one step
    ]
    ranked = rank_units(*CENTRE, units, language="ar", params=P1)
    assert ids(ranked) == [2, 1, 3]
    assert codes(ranked) == ["within_margin", "nearest", "beyond_margin"]


def test_margin_zero_is_travel_time_only_and_farther_units_say_how_much() -> None:
    units = [at_eta(1, 6, skills=("female_officer",)), at_eta(2, 2), at_eta(3, 5)]
    ranked = rank_units(*CENTRE, units, ["female_officer"], params=RankingParams(skill_margin_s=0))
    assert ids(ranked) == [2, 3, 1]
    assert codes(ranked) == ["nearest", "farther", "beyond_margin"]
    assert ranked[1].rule.args["gap_s"] == pytest.approx(180)


def test_with_a_margin_units_without_position_come_after_every_placed_unit() -> None:
    lost_skilled = unit(1, None, None, skills=("female_officer",), call_sign="NW-B")
    lost = unit(2, None, None, call_sign="NW-A")
    far = at_eta(3, 40)
    ranked = rank_units(*CENTRE, [lost, lost_skilled, far], ["female_officer"], params=P1)
    assert ids(ranked) == [3, 1, 2]  # placed first; then by match, not by call sign
    assert codes(ranked) == ["nearest", "position_unknown_last", "position_unknown_last"]
    # with an unlimited margin the skilled unit stays ahead of the unskilled, placed one
    assert ids(rank_units(*CENTRE, [lost, lost_skilled, far], ["female_officer"])) == [1, 3, 2]


def test_without_incident_location_a_margin_falls_back_to_the_match() -> None:
    units = [at_eta(1, 1), at_eta(2, 9, skills=("female_officer",))]
    ranked = rank_units(None, None, units, ["female_officer"], params=P1)
    assert ids(ranked) == [2, 1]
    assert codes(ranked) == ["no_travel_times", "no_travel_times"]


def test_the_nearest_need_not_be_listed_for_the_others_to_be_measured_against_it() -> None:
    near_unmatched = at_eta(1, 0.5)
    matched = [at_eta(10 + i, 1 + i / 10, skills=("female_officer",)) for i in range(3)]
    params = RankingParams(limit=3, skill_margin_s=120.0)
    ranked = rank_units(*CENTRE, [near_unmatched, *matched], ["female_officer"], params=params)
    assert ids(ranked) == [10, 11, 12]
    assert set(codes(ranked)) == {"within_margin"}
    assert ranked == rank_units_bruteforce(
        *CENTRE, [near_unmatched, *matched], ["female_officer"], params=params
    )


@settings(max_examples=100, deadline=None)
@given(units=unit_lists(), origin=st.tuples(*ANTWERP), margin=st.floats(0.0, 2_000.0))
def test_a_better_match_ranks_above_a_nearer_unit_only_within_its_margin(
    units: list[UnitCandidate], origin: tuple[float, float], margin: float
) -> None:
    params = RankingParams(limit=10_000, skill_margin_s=margin)
    ranked = rank_units(*origin, units, ["female_officer"], "ar", params)
    placed = [r for r in ranked if r.eta_s is not None]
    steps = {r.unit_id: 2 * bool(r.missing) + (r.language_match is False) for r in ranked}
    for i, a in enumerate(placed):
        for b in placed[i + 1 :]:
            # a is listed first: either it is not farther, or its better match pays for it
            assert a.eta_s <= b.eta_s + margin * (steps[b.unit_id] - steps[a.unit_id]) + 1e-6
    for r in ranked:
        if r.rule.code == "within_margin":
            assert r.rule.args["gap_s"] <= r.rule.args["margin_s"] + 1e-6
        if r.rule.code == "beyond_margin":
            assert r.rule.args["gap_s"] >= r.rule.args["margin_s"] - 1e-6
