"""Tests for scoring, judgement, priorities, escalation and recommendations."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from triage.instruments import MODEL_NAMES, Instrument, load_instrument_file, load_instruments
from triage.scoring import (
    ANSWER_VALUES,
    MOTIVE_TAGS,
    REPEAT_THRESHOLD,
    SCORING_MODELS,
    AnswerError,
    JudgementError,
    apply_escalation,
    apply_judgement,
    combine_priority,
    escalation_level,
    level_priority,
    level_rank,
    recommendations,
    score,
)

SHIPPED = load_instruments()
DASH = SHIPPED["dash"]
LAP = SHIPPED["lap"]
IMMEDIATE = SHIPPED["immediate-danger"]
WEIGHTED = load_instrument_file(Path(__file__).parent / "fixtures" / "weighted-example.yaml")
ALL = [DASH, LAP, IMMEDIATE, WEIGHTED]
LAP_TRIGGERS = [item.id for item in LAP.items if item.trigger]
LAP_OTHERS = [item.id for item in LAP.items if not item.trigger]


def answers(
    inst: Instrument, yes: Iterable[str] = (), unknown: Iterable[str] = (), rest: str = "no"
) -> dict[str, str]:
    """Answer every item ``rest`` except the ids listed as yes or unknown."""
    result = {item_id: rest for item_id in inst.item_ids}
    result.update({item_id: "unknown" for item_id in unknown})
    result.update({item_id: "yes" for item_id in yes})
    return result


@st.composite
def instrument_and_answers(draw: st.DrawFn) -> tuple[Instrument, dict[str, str]]:
    inst = draw(st.sampled_from(ALL))
    values = st.sampled_from(ANSWER_VALUES)
    return inst, draw(st.fixed_dictionaries({item_id: values for item_id in inst.item_ids}))


# --- properties -------------------------------------------------------------------------------


@settings(max_examples=300)
@given(data=instrument_and_answers(), pick=st.integers(min_value=0))
def test_turning_an_answer_into_yes_never_lowers_level_or_score(
    data: tuple[Instrument, dict[str, str]], pick: int
) -> None:
    inst, given_answers = data
    item_id = inst.item_ids[pick % len(inst.item_ids)]
    before = score(inst, given_answers)
    after = score(inst, {**given_answers, item_id: "yes"})
    assert level_rank(inst, after.level) >= level_rank(inst, before.level)
    assert after.score >= before.score
    assert combine_priority(
        level_priority(inst, before.level), level_priority(inst, after.level)
    ) == level_priority(inst, after.level)


@settings(max_examples=300)
@given(data=instrument_and_answers(), pick=st.integers(min_value=0))
def test_changing_yes_to_unknown_never_raises_anything(
    data: tuple[Instrument, dict[str, str]], pick: int
) -> None:
    inst, given_answers = data
    item_id = inst.item_ids[pick % len(inst.item_ids)]
    with_yes = score(inst, {**given_answers, item_id: "yes"})
    with_unknown = score(inst, {**given_answers, item_id: "unknown"})
    assert with_unknown.score <= with_yes.score
    assert level_rank(inst, with_unknown.level) <= level_rank(inst, with_yes.level)
    assert item_id not in with_unknown.yes_items
    assert with_unknown.unknown_count == with_yes.unknown_count + 1


@given(data=instrument_and_answers())
def test_unknown_count_and_yes_items_match_the_answers(
    data: tuple[Instrument, dict[str, str]],
) -> None:
    inst, given_answers = data
    result = score(inst, given_answers)
    assert result.unknown_count == sum(v == "unknown" for v in given_answers.values())
    assert set(result.yes_items) == {k for k, v in given_answers.items() if v == "yes"}
    assert (result.instrument, result.version) == (inst.id, inst.version)
    assert all("\n" not in line for line in result.reasons)
    assert ("unknown" in " ".join(result.reasons)) == (result.unknown_count > 0)


@given(data=instrument_and_answers())
def test_all_unknown_scores_the_same_as_all_no(data: tuple[Instrument, dict[str, str]]) -> None:
    inst, _ = data
    unknown = score(inst, answers(inst, rest="unknown"))
    no = score(inst, answers(inst, rest="no"))
    assert (unknown.score, unknown.level) == (no.score, no.level) == (0, inst.bottom_level)
    assert unknown.unknown_count == len(inst.items)


@given(st.lists(st.sampled_from(["P1", "P2", "P3", "P4"]), min_size=1))
def test_combine_priority_is_the_most_urgent(priorities: list[str]) -> None:
    assert combine_priority(*priorities) == sorted(priorities)[0]
    assert combine_priority(*reversed(priorities)) == combine_priority(*priorities)


def test_every_model_in_the_loader_has_a_scoring_function() -> None:
    assert set(SCORING_MODELS) == MODEL_NAMES


# --- thresholds at their boundaries --------------------------------------------------------------


@pytest.mark.parametrize(
    ("yes_count", "level", "priority"),
    [(0, "standard", "P4"), (9, "standard", "P4"), (10, "medium", "P3"), (13, "medium", "P3")]
    + [(14, "high", "P2"), (24, "high", "P2")],
)
def test_dash_bands_at_their_boundaries(yes_count: int, level: str, priority: str) -> None:
    for rest in ("no", "unknown"):
        result = score(DASH, answers(DASH, yes=DASH.item_ids[:yes_count], rest=rest))
        assert (result.score, result.level) == (yes_count, level)
        assert level_priority(DASH, result.level) == priority
        assert result.screened_in_by is None


def test_dash_reason_names_count_and_band() -> None:
    result = score(DASH, answers(DASH, yes=DASH.item_ids[:15], unknown=DASH.item_ids[15:18]))
    assert result.reasons == (
        "15 of 24 answered yes (≥ 14 → high)",
        "3 unknown or unanswered (not counted as yes)",
    )
    medium = score(DASH, answers(DASH, yes=DASH.item_ids[:11]))
    assert medium.reasons == ("11 of 24 answered yes (10–13 → medium)",)


def test_dash_thirteen_yes_and_unknowns_stays_medium() -> None:
    result = score(DASH, answers(DASH, yes=DASH.item_ids[:13], unknown=DASH.item_ids[13:]))
    assert result.level == "medium"
    assert result.unknown_count == 11


@pytest.mark.parametrize(("count", "level"), [(3, "not_screened_in"), (4, "screened_in")])
def test_lap_count_rule_without_triggers(count: int, level: str) -> None:
    result = score(LAP, answers(LAP, yes=LAP_OTHERS[:count], unknown=LAP_TRIGGERS))
    assert result.level == level
    assert result.screened_in_by == ("count" if count >= 4 else None)
    assert level_priority(LAP, result.level) == ("P2" if count >= 4 else "P4")


def test_lap_four_yes_counts_only_non_trigger_items() -> None:
    # Last three non-trigger items plus nothing else: still 3 → not screened in.
    result = score(LAP, answers(LAP, yes=LAP_OTHERS[-3:]))
    assert result.level == "not_screened_in"
    assert result.reasons[0] == (
        "no trigger; 3 of 8 non-trigger items answered yes (< 4 → not_screened_in)"
    )


@pytest.mark.parametrize("trigger", LAP_TRIGGERS)
def test_lap_any_single_trigger_screens_in(trigger: str) -> None:
    result = score(LAP, answers(LAP, yes=[trigger]))
    assert (result.level, result.screened_in_by) == ("screened_in", "trigger")
    assert trigger in result.reasons[0]


def test_lap_unknown_trigger_does_not_screen_in() -> None:
    result = score(LAP, answers(LAP, unknown=LAP_TRIGGERS))
    assert (result.level, result.screened_in_by, result.unknown_count) == (
        "not_screened_in",
        None,
        3,
    )


def test_immediate_danger_none_when_nothing_is_yes() -> None:
    result = score(IMMEDIATE, answers(IMMEDIATE, unknown=IMMEDIATE.item_ids[:2]))
    assert (result.level, level_priority(IMMEDIATE, result.level)) == ("none", "P4")


@pytest.mark.parametrize("item_id", IMMEDIATE.item_ids)
def test_immediate_danger_any_single_yes_is_p1(item_id: str) -> None:
    result = score(IMMEDIATE, answers(IMMEDIATE, yes=[item_id]))
    assert (result.level, level_priority(IMMEDIATE, result.level)) == ("immediate", "P1")
    assert item_id in result.reasons[0]


@pytest.mark.parametrize(
    ("yes", "total", "level"),
    [
        (["gun_owned"], 4, "variable"),
        (["gun_owned", "violence_more_often"], 5, "increased"),
        (["gun_owned", "choked", "violence_more_often"], 8, "increased"),
        (["gun_owned", "choked", "abuser_unemployed"], 9, "severe"),
        (["gun_owned", "choked", "left_after_living_together", "abuser_unemployed"], 12, "severe"),
        (["gun_owned", "choked", "left_after_living_together", "stepchild_at_home"], 11, "severe"),
        (
            ["gun_owned", "choked", "left_after_living_together", "abuser_unemployed"]
            + ["stepchild_at_home"],
            13,
            "extreme",
        ),
    ],
)
def test_weighted_bins_sum_weights_into_bins(yes: list[str], total: int, level: str) -> None:
    result = score(WEIGHTED, answers(WEIGHTED, yes=yes))
    assert (result.score, result.level) == (total, level)
    assert result.reasons[0].startswith(f"weighted score {total} of 17 (")


# --- validation -------------------------------------------------------------------------------


def test_all_answer_problems_are_reported_together() -> None:
    given_answers = answers(DASH)
    del given_answers["current_injury"], given_answers["isolated"]
    given_answers.update({"bogus": "yes", "sexual_abuse": "maybe", "animal_cruelty": "YES"})
    with pytest.raises(AnswerError) as excinfo:
        score(DASH, given_answers)
    error = excinfo.value
    assert error.missing == ["current_injury", "isolated"]
    assert error.unknown_items == ["bogus"]
    assert error.invalid == {"sexual_abuse": "maybe", "animal_cruelty": "YES"}
    assert "current_injury" in str(error) and "bogus" in str(error) and "maybe" in str(error)


def test_non_string_answer_is_invalid() -> None:
    with pytest.raises(AnswerError) as excinfo:
        score(IMMEDIATE, {**answers(IMMEDIATE), "weapon": True})  # type: ignore[dict-item]
    assert excinfo.value.invalid == {"weapon": "True"}
    assert excinfo.value.missing == [] and excinfo.value.unknown_items == []


def test_empty_answers_list_every_required_item_as_missing() -> None:
    with pytest.raises(AnswerError) as excinfo:
        score(LAP, {})
    assert excinfo.value.missing == list(LAP.item_ids)


def test_optional_item_may_be_left_out_and_counts_as_unknown() -> None:
    given_answers = answers(WEIGHTED, yes=["gun_owned"])
    del given_answers["stepchild_at_home"]
    result = score(WEIGHTED, given_answers)
    assert (result.score, result.unknown_count) == (4, 1)


# --- judgement, priorities, escalation ------------------------------------------------------------


def test_judgement_raises_level_with_reason_line() -> None:
    base = score(DASH, answers(DASH, yes=DASH.item_ids[:3]))
    raised = apply_judgement(DASH, base, "high", "victim describes\ncoercive control")
    assert (base.level, raised.level) == ("standard", "high")
    assert raised.judgement_reason == "victim describes coercive control"
    assert raised.reasons[-1] == (
        "professional judgement: victim describes coercive control (standard → high)"
    )
    assert raised.score == base.score and raised.yes_items == base.yes_items


def test_judgement_can_never_lower_the_level() -> None:
    high = score(DASH, answers(DASH, yes=DASH.item_ids[:20]))
    for lower in ("standard", "medium"):
        with pytest.raises(JudgementError, match="not lower"):
            apply_judgement(DASH, high, lower, "caller seemed calm")


@pytest.mark.parametrize("reason", ["", "   ", "\n"])
def test_judgement_needs_a_reason(reason: str) -> None:
    base = score(DASH, answers(DASH))
    with pytest.raises(JudgementError, match="reason"):
        apply_judgement(DASH, base, "high", reason)


def test_judgement_rejects_unknown_level_and_foreign_result() -> None:
    base = score(DASH, answers(DASH))
    with pytest.raises(JudgementError, match="unknown level"):
        apply_judgement(DASH, base, "extreme", "why")
    with pytest.raises(JudgementError, match="not lap"):
        apply_judgement(LAP, base, "screened_in", "why")


def test_lap_judgement_screen_in_is_recorded_as_judgement() -> None:
    base = score(LAP, answers(LAP, yes=LAP_OTHERS[:2]))
    raised = apply_judgement(LAP, base, "screened_in", "officer believes victim is in danger")
    assert (raised.level, raised.screened_in_by) == ("screened_in", "judgement")


def test_judgement_at_the_same_level_keeps_how_it_screened_in() -> None:
    base = score(LAP, answers(LAP, yes=[LAP_TRIGGERS[0]]))
    same = apply_judgement(LAP, base, "screened_in", "also my own view")
    assert (same.level, same.screened_in_by, same.judgement_reason) == (
        "screened_in",
        "trigger",
        None,
    )
    assert same.reasons[-1] == "professional judgement: also my own view (level stays screened_in)"


def test_judgement_can_raise_immediate_danger_to_p1() -> None:
    raised = apply_judgement(
        IMMEDIATE, score(IMMEDIATE, answers(IMMEDIATE)), "immediate", "screams"
    )
    assert level_priority(IMMEDIATE, raised.level) == "P1"


@pytest.mark.parametrize(
    ("priorities", "expected"),
    [(("P4",), "P4"), (("P3", "P2"), "P2"), (("P4", "P1", "P3"), "P1"), (("P2", "P2"), "P2")],
)
def test_combine_priority_cases(priorities: tuple[str, ...], expected: str) -> None:
    assert combine_priority(*priorities) == expected


@pytest.mark.parametrize("bad", [(), ("P0",), ("P2", "high"), ("p1",)])
def test_combine_priority_rejects_bad_input(bad: tuple[str, ...]) -> None:
    with pytest.raises(ValueError):
        combine_priority(*bad)


def test_assessment_raises_priority_but_never_lowers_it() -> None:
    dispatch_priority = "P3"
    assert combine_priority(dispatch_priority, level_priority(DASH, "high")) == "P2"
    assert combine_priority(dispatch_priority, level_priority(DASH, "standard")) == "P3"


def test_level_rank_and_unknown_levels() -> None:
    assert [level_rank(WEIGHTED, lv) for lv in WEIGHTED.levels] == [0, 1, 2, 3]
    with pytest.raises(ValueError, match="unknown level"):
        level_rank(DASH, "screened_in")
    with pytest.raises(ValueError, match="unknown level"):
        level_priority(LAP, "high")


def test_escalation_levels_per_instrument() -> None:
    assert REPEAT_THRESHOLD == 3
    assert escalation_level(DASH) == "high"
    assert escalation_level(WEIGHTED) == "extreme"
    assert escalation_level(LAP) == "not_screened_in"
    assert escalation_level(IMMEDIATE) == "none"


@pytest.mark.parametrize(("incidents", "level"), [(0, "standard"), (2, "standard"), (3, "high")])
def test_repeat_victimisation_escalates_dash_from_three_incidents(
    incidents: int, level: str
) -> None:
    base = score(DASH, answers(DASH, yes=DASH.item_ids[:2]))
    result = apply_escalation(DASH, base, incidents)
    assert result.level == level
    assert (len(result.reasons) > len(base.reasons)) == (level == "high")


def test_escalation_never_lowers_and_does_not_touch_lap() -> None:
    lap_in = score(LAP, answers(LAP, yes=[LAP_TRIGGERS[1]]))
    assert apply_escalation(LAP, lap_in, 10) == lap_in
    lap_out = score(LAP, answers(LAP))
    assert apply_escalation(LAP, lap_out, 10).level == "not_screened_in"
    with pytest.raises(ValueError):
        apply_escalation(DASH, score(DASH, answers(DASH)), -1)


# --- recommendations ----------------------------------------------------------------------------


def codes(inst: Instrument, given_answers: dict[str, str], tags: Iterable[str] = ()) -> list[str]:
    return [rec.code for rec in recommendations(inst, score(inst, given_answers), tags)]


def test_dash_high_recommends_veilig_huis_and_support() -> None:
    assert codes(DASH, answers(DASH, yes=DASH.item_ids[:14])) == [
        "veilig_huis_case_consultation",
        "offer_victim_support",
    ]


@pytest.mark.parametrize("yes_count", [0, 9, 13])
def test_dash_below_high_only_offers_victim_support(yes_count: int) -> None:
    assert codes(DASH, answers(DASH, yes=DASH.item_ids[:yes_count])) == ["offer_victim_support"]


def test_lap_screened_in_adds_the_1712_support_line() -> None:
    recs = recommendations(LAP, score(LAP, answers(LAP, yes=LAP_OTHERS[:4])))
    assert [rec.code for rec in recs] == [
        "support_line_1712",
        "veilig_huis_case_consultation",
        "offer_victim_support",
    ]
    assert "1712" in recs[0].text["nl"] and "1712" in recs[0].text["en"]
    assert "count" in recs[0].reason


def test_lap_not_screened_in_has_no_support_line() -> None:
    assert codes(LAP, answers(LAP, yes=LAP_OTHERS[:3])) == ["offer_victim_support"]


def test_lap_judgement_screen_in_also_gets_the_support_line() -> None:
    base = score(LAP, answers(LAP))
    raised = apply_judgement(LAP, base, "screened_in", "officer's belief")
    recs = recommendations(LAP, raised)
    assert recs[0].code == "support_line_1712"
    assert "judgement" in recs[0].reason


def test_immediate_danger_alone_does_not_refer_to_the_case_consultation() -> None:
    assert codes(IMMEDIATE, answers(IMMEDIATE, yes=["weapon"])) == ["offer_victim_support"]
    assert codes(IMMEDIATE, answers(IMMEDIATE)) == ["offer_victim_support"]


def test_racism_motive_is_recorded_reported_and_supported() -> None:
    recs = recommendations(DASH, score(DASH, answers(DASH)), ["racism_discrimination"])
    assert [rec.code for rec in recs] == [
        "motive_in_police_report",
        "notify_reference_officer",
        "offer_psychosocial_support",
        "offer_victim_support",
    ]
    assert recs[1].theme == "racism_discrimination"
    assert "racism and discrimination" in recs[1].text["en"]
    assert "racisme en discriminatie" in recs[1].text["nl"]


def test_motives_sharing_a_theme_are_deduplicated() -> None:
    tags = ["religion", "disability", "racism_discrimination", "religion", "anti_lgbt"]
    recs = recommendations(DASH, score(DASH, answers(DASH)), tags)
    by_code = [rec.code for rec in recs]
    assert by_code.count("motive_in_police_report") == 1
    assert by_code.count("offer_psychosocial_support") == 1
    themes = [rec.theme for rec in recs if rec.code == "notify_reference_officer"]
    assert themes == ["racism_discrimination", "anti_lgbt_violence"]
    report = recs[by_code.index("motive_in_police_report")]
    assert all(name in report.text["en"] for name in ("religion", "disability", "LGBTI+"))


def test_sexual_violence_notifies_its_officer_without_a_discrimination_motive() -> None:
    recs = recommendations(DASH, score(DASH, answers(DASH)), ["sexual_violence"])
    assert [(rec.code, rec.theme) for rec in recs] == [
        ("notify_reference_officer", "sexual_violence"),
        ("offer_psychosocial_support", None),
        ("offer_victim_support", None),
    ]


def test_unrecognised_motive_tags_are_ignored() -> None:
    assert codes(DASH, answers(DASH), ["children_present", "RACISM"]) == ["offer_victim_support"]


@pytest.mark.parametrize("inst", ALL, ids=lambda inst: inst.id)
def test_every_recommendation_has_both_languages_and_a_one_line_reason(inst: Instrument) -> None:
    result = apply_judgement(inst, score(inst, answers(inst)), inst.top_level, "test")
    recs = recommendations(inst, result, MOTIVE_TAGS)
    assert len({(rec.code, rec.theme) for rec in recs}) == len(recs)
    for rec in recs:
        assert rec.text["nl"].strip() and rec.text["en"].strip()
        assert rec.reason.strip() and "\n" not in rec.reason


def test_recommendations_reject_a_result_from_another_instrument() -> None:
    with pytest.raises(ValueError, match="not dash"):
        recommendations(DASH, score(LAP, answers(LAP)))
