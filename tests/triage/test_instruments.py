"""Tests for loading and validating instrument files."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from triage.instruments import (
    SHIPPED_DIR,
    InstrumentError,
    load_instrument_file,
    load_instruments,
)

FIXTURES = Path(__file__).parent / "fixtures"

VALID: dict[str, Any] = {
    "id": "org-list",
    "version": "2.1",
    "title": {"nl": "Lijst", "en": "List"},
    "model": "count_threshold",
    "levels": ["low", "high"],
    "level_priority": {"low": "P4", "high": "P2"},
    "bands": [{"level": "low", "max": 1}, {"level": "high", "min": 2}],
    "items": [
        {"id": "a", "text": {"nl": "Vraag a?", "en": "Question a?"}},
        {"id": "b", "text": {"nl": "Vraag b?", "en": "Question b?"}},
        {"id": "c", "text": {"nl": "Vraag c?", "en": "Question c?"}},
    ],
}


def write(tmp_path: Path, data: Any, name: str = "inst.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def variant(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(VALID)
    data.update(changes)
    return data


def test_shipped_instruments_have_the_fixed_ids_and_models() -> None:
    shipped = load_instruments()
    assert {key: inst.model for key, inst in shipped.items()} == {
        "immediate-danger": "immediate_danger",
        "dash": "count_threshold",
        "lap": "trigger_or_count",
    }
    assert load_instruments(SHIPPED_DIR).keys() == shipped.keys()


def test_dash_has_24_items_with_victims_fear_as_its_own_item() -> None:
    dash = load_instruments()["dash"]
    assert len(dash.items) == 24
    assert "victim_very_afraid" in dash.item_ids
    assert dash.levels == ("standard", "medium", "high")
    assert dash.level_priority == {"standard": "P4", "medium": "P3", "high": "P2"}


def test_lap_has_11_items_and_only_the_first_three_are_triggers() -> None:
    lap = load_instruments()["lap"]
    assert len(lap.items) == 11
    assert [item.trigger for item in lap.items] == [True] * 3 + [False] * 8
    assert lap.params == {"count_threshold": 4}
    assert lap.level_priority == {"not_screened_in": "P4", "screened_in": "P2"}


def test_immediate_danger_covers_the_core_signs() -> None:
    screen = load_instruments()["immediate-danger"]
    core = {
        "suspect_present",
        "weapon",
        "injury_needs_care",
        "children_in_danger",
        "strangulation",
        "threat_to_kill",
        "cannot_talk_safely",
    }
    assert core <= set(screen.item_ids)
    assert screen.level_priority == {"none": "P4", "immediate": "P1"}


@pytest.mark.parametrize("instrument_id", ["immediate-danger", "dash", "lap"])
def test_shipped_items_have_distinct_dutch_and_english_text(instrument_id: str) -> None:
    inst = load_instruments()[instrument_id]
    assert inst.version
    for lang in ("nl", "en"):
        texts = [getattr(item.text, lang) for item in inst.items]
        assert all(text.strip() for text in texts)
        assert len(set(texts)) == len(texts)


def test_stable_facts_are_part_of_the_instrument_files(tmp_path: Path) -> None:
    shipped = load_instruments()
    dash, lap = shipped["dash"].stable_days(), shipped["lap"].stable_days()
    assert dash["recent_separation"] == 365  # "in the past year"
    assert {"pregnancy_or_new_baby", "child_contact_conflict"} <= dash.keys()
    assert {"gun_access", "child_not_abusers", "separated_after_cohabiting"} <= lap.keys()
    # About today or the victim's state now: never carried over from an earlier call.
    assert not {"current_injury", "victim_very_afraid", "threats_to_kill"} & dash.keys()
    assert shipped["immediate-danger"].stable_days() == {}
    own = variant(stable_items=[{"item": "b", "valid_days": 90}])
    assert load_instrument_file(write(tmp_path, own)).stable_days() == {"b": 90}


def test_weighted_fixture_loads_with_four_levels() -> None:
    inst = load_instrument_file(FIXTURES / "weighted-example.yaml")
    assert inst.model == "weighted_bins"
    assert inst.levels == ("variable", "increased", "severe", "extreme")
    assert inst.max_score() == sum(item.weight or 0 for item in inst.items) == 17


def _item(item_id: str, **extra: Any) -> dict[str, Any]:
    return {"id": item_id, "text": {"nl": f"Vraag {item_id}?", "en": f"Q {item_id}?"}, **extra}


BAD_VARIANTS: list[tuple[str, dict[str, Any], str]] = [
    ("unknown model", variant(model="magic"), "model: Input should be 'count_threshold'"),
    ("duplicate item ids", variant(items=[_item("a"), _item("a")]), "duplicate item ids: a"),
    (
        "band with unknown level",
        variant(bands=[{"level": "low", "max": 1}, {"level": "extreme", "min": 2}]),
        "unknown level 'extreme'",
    ),
    (
        "level_priority missing a level",
        variant(level_priority={"low": "P4"}),
        "missing level(s): high",
    ),
    (
        "priority outside P1..P4",
        variant(level_priority={"low": "P5", "high": "P1"}),
        "'P5' is not one of",
    ),
    (
        "higher level less urgent",
        variant(level_priority={"low": "P2", "high": "P4"}),
        "must not get less urgent",
    ),
    (
        "weighted item without weight",
        variant(model="weighted_bins", items=[_item("a", weight=2), _item("b")]),
        "item b: model weighted_bins needs a weight",
    ),
    (
        "zero weight",
        variant(model="weighted_bins", items=[_item("a", weight=2), _item("b", weight=0)]),
        "weight must be a whole number > 0",
    ),
    ("weight on a count model", variant(items=[_item("a", weight=1)]), "'weight' is only used"),
    ("trigger on a count model", variant(items=[_item("a", trigger=True)]), "'trigger' is only"),
    (
        "gap between bands",
        variant(bands=[{"level": "low", "max": 0}, {"level": "high", "min": 2}]),
        "score 1 falls in no band",
    ),
    (
        "overlapping bands",
        variant(bands=[{"level": "low", "max": 2}, {"level": "high", "min": 2}]),
        "score 2 falls in 2 bands",
    ),
    (
        "level drops as score rises",
        variant(bands=[{"level": "high", "max": 1}, {"level": "low", "min": 2}]),
        "must not drop",
    ),
    ("count model without bands", variant(bands=[]), "needs bands"),
    ("unquoted version", variant(version=1.0), "quote it"),
    ("typo in a field name", variant(levls=["low", "high"]), "levls"),
    ("one level only", variant(levels=["low"], level_priority={"low": "P4"}), "at least two"),
    ("unknown escalation level", variant(escalation_level="urgent"), "escalation_level"),
    ("missing item text", variant(items=[{"id": "a", "text": {"nl": "Vraag?"}}]), "text.en"),
    ("bad item id", variant(items=[_item("Has Space")]), "must be lower-case"),
    (
        "trigger model without count_threshold",
        variant(model="trigger_or_count", bands=[], items=[_item("a", trigger=True), _item("b")]),
        "needs params.count_threshold",
    ),
    (
        "count_threshold above the non-trigger items",
        variant(
            model="trigger_or_count",
            bands=[],
            params={"count_threshold": 2},
            items=[_item("a", trigger=True), _item("b")],
        ),
        "between 1 and 1",
    ),
    (
        "bands on an immediate-danger screen",
        variant(model="immediate_danger"),
        "bands are not used by model immediate_danger",
    ),
    ("unknown param", variant(params={"cutoff": 3}), "params not used by model"),
    (
        "stable fact that is no item",
        variant(stable_items=[{"item": "separated", "valid_days": 365}]),
        "stable_items names unknown item(s): separated",
    ),
    (
        "stable fact listed twice",
        variant(stable_items=[{"item": "a", "valid_days": 30}, {"item": "a", "valid_days": 60}]),
        "stable_items lists an item more than once: a",
    ),
    (
        "stable fact valid for no days",
        variant(stable_items=[{"item": "a", "valid_days": 0}]),
        "valid_days must be a whole number of days > 0",
    ),
    ("stable fact without its validity", variant(stable_items=[{"item": "a"}]), "valid_days"),
]


@pytest.mark.parametrize(
    ("data", "message"), [(d, m) for _, d, m in BAD_VARIANTS], ids=[n for n, _, _ in BAD_VARIANTS]
)
def test_invalid_instrument_file_is_rejected_with_a_clear_message(
    tmp_path: Path, data: dict[str, Any], message: str
) -> None:
    path = write(tmp_path, data)
    with pytest.raises(InstrumentError) as excinfo:
        load_instrument_file(path)
    assert message in str(excinfo.value)
    assert str(path) in str(excinfo.value)


def test_the_valid_base_file_loads(tmp_path: Path) -> None:
    inst = load_instrument_file(write(tmp_path, VALID))
    assert (inst.id, inst.version, inst.item_ids) == ("org-list", "2.1", ("a", "b", "c"))


def test_broken_yaml_syntax_is_an_instrument_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("id: x\nitems: [unclosed\n", encoding="utf-8")
    with pytest.raises(InstrumentError, match="invalid YAML"):
        load_instrument_file(path)


def test_duplicate_yaml_key_is_rejected_not_silently_overwritten(tmp_path: Path) -> None:
    text = yaml.safe_dump(VALID) + "model: weighted_bins\n"
    path = tmp_path / "dup.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InstrumentError, match="duplicate key 'model'"):
        load_instrument_file(path)


def test_file_that_is_not_a_mapping_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(InstrumentError, match="must be a YAML mapping"):
        load_instrument_file(write(tmp_path, ["id", "x"]))


def test_missing_file_is_an_instrument_error(tmp_path: Path) -> None:
    with pytest.raises(InstrumentError, match="cannot read file"):
        load_instrument_file(tmp_path / "absent.yaml")


def test_organisation_can_add_an_instrument_by_dropping_a_file(tmp_path: Path) -> None:
    write(tmp_path, variant(id="col-15-2020"), "col.yml")
    loaded = load_instruments(SHIPPED_DIR, tmp_path)
    assert set(loaded) == {"immediate-danger", "dash", "lap", "col-15-2020"}


def test_duplicate_id_across_files_is_rejected(tmp_path: Path) -> None:
    write(tmp_path, variant(id="dash"), "my-dash.yaml")
    with pytest.raises(InstrumentError) as excinfo:
        load_instruments(SHIPPED_DIR, tmp_path)
    assert "'dash'" in str(excinfo.value)
    assert "my-dash.yaml" in str(excinfo.value)
    assert "dash.yaml" in str(excinfo.value)


def test_missing_directory_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(InstrumentError, match="not a directory"):
        load_instruments(tmp_path / "nope")


def test_one_bad_file_in_a_directory_fails_the_whole_load(tmp_path: Path) -> None:
    write(tmp_path, VALID, "good.yaml")
    write(tmp_path, variant(id="bad", model="magic"), "bad.yaml")
    with pytest.raises(InstrumentError, match="bad.yaml"):
        load_instruments(tmp_path)
