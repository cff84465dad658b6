"""Risk-screening instruments as data: models, validation and the YAML loader.

An instrument is one YAML file (see ``triage/instruments/*.yaml``). Organisations add their own
checklists by dropping a file in a directory; no code changes. Everything a scoring model relies
on is checked here, so ``triage.scoring`` can trust a loaded :class:`Instrument`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Hashable, Iterable
from itertools import pairwise
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

SHIPPED_DIR = Path(__file__).parent / "instruments"

ModelName = Literal["count_threshold", "trigger_or_count", "weighted_bins", "immediate_danger"]
MODEL_NAMES: frozenset[str] = frozenset(
    {"count_threshold", "trigger_or_count", "weighted_bins", "immediate_danger"}
)
PRIORITIES = ("P1", "P2", "P3", "P4")  # most urgent first
BANDED_MODELS = frozenset({"count_threshold", "weighted_bins"})
KNOWN_PARAMS: dict[str, frozenset[str]] = {
    "count_threshold": frozenset(),
    "trigger_or_count": frozenset({"count_threshold"}),
    "weighted_bins": frozenset(),
    "immediate_danger": frozenset(),
}
_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


class InstrumentError(ValueError):
    """An instrument file or definition is invalid."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Text(_Frozen):
    """User-facing text in Dutch (default locale) and English."""

    nl: str
    en: str

    @field_validator("nl", "en")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("text must not be empty")
        return value.strip()


class Item(_Frozen):
    """One yes/no/unknown question of an instrument."""

    id: str
    text: Text
    trigger: bool = False  # trigger_or_count only: one yes is enough
    weight: int | None = None  # weighted_bins only: whole points, > 0
    required: bool = True  # an optional item may be left out of the answers

    @field_validator("id")
    @classmethod
    def _valid_id(cls, value: str) -> str:
        return _check_id(value)

    @field_validator("weight")
    @classmethod
    def _positive_weight(cls, value: int | None) -> int | None:
        if value is not None and value <= 0:
            raise ValueError("weight must be a whole number > 0 (a yes never lowers danger)")
        return value


class StableItem(_Frozen):
    """An item whose "yes" stays true for a while (a separation, a gun, a child from before):
    an earlier screen's yes is offered as a suggestion for that many days, never copied."""

    item: str
    valid_days: int

    @field_validator("valid_days")
    @classmethod
    def _positive_days(cls, value: int) -> int:
        if value <= 0:
            raise ValueError("valid_days must be a whole number of days > 0")
        return value


class Band(_Frozen):
    """Score range (both ends inclusive, open when omitted) that maps to a level."""

    level: str
    min: int | None = None
    max: int | None = None

    def contains(self, score: int) -> bool:
        """Return whether ``score`` lies in this band."""
        return (self.min is None or score >= self.min) and (self.max is None or score <= self.max)

    def describe(self) -> str:
        """Return the range in short human form, e.g. ``10–13`` or ``≥ 14``."""
        if self.min is not None and self.max is not None:
            return str(self.min) if self.min == self.max else f"{self.min}–{self.max}"
        if self.min is not None:
            return f"≥ {self.min}"
        return f"≤ {self.max}" if self.max is not None else "any score"


class Instrument(_Frozen):
    """A versioned screening instrument with one scoring model."""

    id: str
    version: str
    title: Text
    description: Text | None = None
    model: ModelName
    levels: tuple[str, ...]  # low → high
    level_priority: dict[str, str]
    bands: tuple[Band, ...] = ()
    params: dict[str, int] = {}
    escalation_level: str | None = None  # level a repeat-victimisation pattern raises to
    items: tuple[Item, ...]
    stable_items: tuple[StableItem, ...] = ()

    @field_validator("id")
    @classmethod
    def _valid_id(cls, value: str) -> str:
        return _check_id(value)

    @field_validator("version", mode="before")
    @classmethod
    def _version_is_text(cls, value: Any) -> Any:
        if not isinstance(value, str) or not value.strip():
            raise ValueError('version must be a non-empty string; quote it in YAML ("1.0")')
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Instrument:
        _check_items(self)
        _check_stable(self)
        _check_levels(self)
        _check_model_fields(self)
        if self.model in BANDED_MODELS:
            _check_bands(self)
        return self

    @property
    def item_ids(self) -> tuple[str, ...]:
        """Return the item ids in file order."""
        return tuple(item.id for item in self.items)

    def stable_days(self) -> dict[str, int]:
        """Return each stable item's validity in days, by item id."""
        return {stable.item: stable.valid_days for stable in self.stable_items}

    @property
    def top_level(self) -> str:
        """Return the highest (most dangerous) level."""
        return self.levels[-1]

    @property
    def bottom_level(self) -> str:
        """Return the lowest level."""
        return self.levels[0]

    def max_score(self) -> int:
        """Return the highest score the model can produce."""
        if self.model == "weighted_bins":
            return sum(item.weight or 0 for item in self.items)
        return len(self.items)


def _check_id(value: str) -> str:
    if not _ID_RE.match(value):
        raise ValueError(f"id {value!r} must be lower-case letters, digits, '_' or '-'")
    return value


def _duplicates(values: Iterable[str]) -> list[str]:
    return sorted(value for value, count in Counter(values).items() if count > 1)


def _check_items(inst: Instrument) -> None:
    if not inst.items:
        raise ValueError("an instrument needs at least one item")
    if dups := _duplicates(inst.item_ids):
        raise ValueError(f"duplicate item ids: {', '.join(dups)}")
    for item in inst.items:
        if item.trigger and inst.model != "trigger_or_count":
            raise ValueError(f"item {item.id}: 'trigger' is only used by model trigger_or_count")
        if item.weight is not None and inst.model != "weighted_bins":
            raise ValueError(f"item {item.id}: 'weight' is only used by model weighted_bins")
        if item.weight is None and inst.model == "weighted_bins":
            raise ValueError(f"item {item.id}: model weighted_bins needs a weight on every item")


def _check_stable(inst: Instrument) -> None:
    known = set(inst.item_ids)
    if unknown := sorted({s.item for s in inst.stable_items} - known):
        raise ValueError(f"stable_items names unknown item(s): {', '.join(unknown)}")
    if dups := _duplicates(s.item for s in inst.stable_items):
        raise ValueError(f"stable_items lists an item more than once: {', '.join(dups)}")


def _check_levels(inst: Instrument) -> None:
    if len(inst.levels) < 2:
        raise ValueError("levels needs at least two entries, low → high")
    if dups := _duplicates(inst.levels):
        raise ValueError(f"duplicate levels: {', '.join(dups)}")
    if missing := [lv for lv in inst.levels if lv not in inst.level_priority]:
        raise ValueError(f"level_priority is missing level(s): {', '.join(missing)}")
    if extra := sorted(set(inst.level_priority) - set(inst.levels)):
        raise ValueError(f"level_priority names unknown level(s): {', '.join(extra)}")
    for level, prio in inst.level_priority.items():
        if prio not in PRIORITIES:
            raise ValueError(f"level_priority.{level}: {prio!r} is not one of {PRIORITIES}")
    ranks = [PRIORITIES.index(inst.level_priority[lv]) for lv in inst.levels]
    if any(later > earlier for earlier, later in pairwise(ranks)):
        raise ValueError("level_priority must not get less urgent as the level rises")
    if inst.escalation_level is not None and inst.escalation_level not in inst.levels:
        raise ValueError(f"escalation_level {inst.escalation_level!r} is not in levels")


def _check_model_fields(inst: Instrument) -> None:
    if unknown := sorted(set(inst.params) - KNOWN_PARAMS[inst.model]):
        raise ValueError(f"params not used by model {inst.model}: {', '.join(unknown)}")
    if inst.bands and inst.model not in BANDED_MODELS:
        raise ValueError(f"bands are not used by model {inst.model}")
    if inst.model == "trigger_or_count":
        others = sum(1 for item in inst.items if not item.trigger)
        threshold = inst.params.get("count_threshold")
        if threshold is None:
            raise ValueError("model trigger_or_count needs params.count_threshold")
        if not 1 <= threshold <= others:
            raise ValueError(
                f"params.count_threshold must be between 1 and {others} (the non-trigger items)"
            )


def _check_bands(inst: Instrument) -> None:
    if not inst.bands:
        raise ValueError(f"model {inst.model} needs bands")
    for band in inst.bands:
        if band.level not in inst.levels:
            raise ValueError(f"band names unknown level {band.level!r}")
        if band.min is not None and band.max is not None and band.min > band.max:
            raise ValueError(f"band {band.level}: min {band.min} is above max {band.max}")
    if dups := _duplicates(band.level for band in inst.bands):
        raise ValueError(f"more than one band for level(s): {', '.join(dups)}")
    previous_rank = -1
    for score in range(inst.max_score() + 1):  # every reachable score in exactly one band
        hits = [band.level for band in inst.bands if band.contains(score)]
        if len(hits) != 1:
            where = "no band" if not hits else f"{len(hits)} bands ({', '.join(hits)})"
            raise ValueError(f"bands: score {score} falls in {where}")
        rank = inst.levels.index(hits[0])
        if rank < previous_rank:
            raise ValueError(f"bands: level must not drop as the score rises (score {score})")
        previous_rank = rank


class _UniqueKeyLoader(yaml.SafeLoader):
    """Safe loader that rejects duplicate mapping keys instead of keeping the last one."""


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Hashable, Any]:
    keys = [loader.construct_object(key_node) for key_node, _ in node.value]
    for key in keys:
        if keys.count(key) > 1:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", node.start_mark
            )
    return loader.construct_mapping(node)


_UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _construct_mapping,
)


def _format_validation(error: ValidationError) -> str:
    lines = []
    for err in error.errors():
        where = ".".join(str(part) for part in err["loc"]) or "instrument"
        lines.append(f"{where}: {err['msg'].removeprefix('Value error, ')}")
    return "; ".join(lines)


def parse_instrument(data: Any, source: str = "<data>") -> Instrument:
    """Validate already-parsed data as an instrument; raise InstrumentError naming ``source``."""
    if not isinstance(data, dict):
        raise InstrumentError(f"{source}: an instrument must be a YAML mapping")
    try:
        return Instrument.model_validate(data)
    except ValidationError as error:
        raise InstrumentError(f"{source}: {_format_validation(error)}") from error


def load_instrument_file(path: Path | str) -> Instrument:
    """Load and validate one instrument YAML file."""
    path = Path(path)
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader)
    except OSError as error:
        raise InstrumentError(f"{path}: cannot read file ({error.strerror})") from error
    except yaml.YAMLError as error:
        raise InstrumentError(f"{path}: invalid YAML: {error}") from error
    return parse_instrument(data, str(path))


def load_instruments(*dirs: Path | str) -> dict[str, Instrument]:
    """Load every ``*.yaml``/``*.yml`` in ``dirs`` (default: the shipped ones), keyed by id."""
    found: dict[str, tuple[Instrument, Path]] = {}
    for directory in [Path(d) for d in dirs] or [SHIPPED_DIR]:
        if not directory.is_dir():
            raise InstrumentError(f"{directory}: not a directory")
        files = sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")])
        for path in files:
            instrument = load_instrument_file(path)
            if instrument.id in found:
                other = found[instrument.id][1]
                raise InstrumentError(f"{path}: instrument id {instrument.id!r} also in {other}")
            found[instrument.id] = (instrument, path)
    return {key: inst for key, (inst, _) in found.items()}
