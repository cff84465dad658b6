"""Score risk-screening answers, turn levels into priorities and recommendations.

Pure functions over a loaded :class:`~triage.instruments.Instrument` and plain answer mappings.
Rules: "unknown" is never counted as yes and is always reported; professional judgement may
raise a level with a reason but never lower it; a higher level never means a less urgent
priority (checked by the loader).

Every "why" is a :class:`Reason`: a code and its parameters. The core writes it in English (for
logs and tests); the services render the same reason in the user's language.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from triage.instruments import PRIORITIES, Band, Instrument

Answer = Literal["yes", "no", "unknown"]
ANSWER_VALUES: tuple[str, ...] = ("yes", "no", "unknown")
ScreenedInBy = Literal["trigger", "count", "judgement"]

REPEAT_THRESHOLD = 3  # incidents in 12 months: the DASH "potential escalation" referral criterion


# English text of each reason code; the Dutch (and any other language) lives in the catalogue.
REASON_TEXTS: dict[str, str] = {
    "count": "{count} of {total} answered yes ({band} → {level})",
    "weighted": "weighted score {score} of {max} ({band} → {level})",
    "trigger": "trigger answered yes: {items} → {level}",
    "count_met": "no trigger; {count} of {total} non-trigger items answered yes "
    "(≥ {threshold} → {level})",
    "count_below": "no trigger; {count} of {total} non-trigger items answered yes "
    "(< {threshold} → {level})",
    "immediate": "immediate danger: {items} → {level}",
    "no_immediate": "no immediate-danger sign answered yes → {level}",
    "unknown": "{count} unknown or unanswered (not counted as yes)",
    "judgement_same": "professional judgement: {reason} (level stays {level})",
    "judgement_raised": "professional judgement: {reason} ({old} → {level})",
    "escalation": "{count} incidents in 12 months (≥ {threshold}: potential escalation)"
    " ({old} → {level})",
    # why a recommendation was made
    "screened_in": "{instrument} screened in (by {how})",
    "top_level": "{instrument} level {level} is the highest level",
    "motive_aggravating": "motive {tags}: an aggravating circumstance",
    "motive_theme": "tag {tags} → theme {theme}",
    "motive_support": "tag {tags}: hate-crime and sexual-violence victims get it",
    "every_victim": "offered to every victim, whatever the level",
}


@dataclass(frozen=True)
class Reason:
    """One line of why: a code from REASON_TEXTS and its parameters (lists become tuples)."""

    code: str
    params: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def of(cls, code: str, **params: Any) -> Reason:
        """Build a reason; list parameters are kept as tuples (the reason stays hashable)."""
        frozen = {k: tuple(v) if isinstance(v, list | tuple) else v for k, v in params.items()}
        return cls(code, tuple(frozen.items()))

    def as_dict(self) -> dict[str, Any]:
        """The stored form: `{"code": ..., "params": {...}}` (tuples as lists)."""
        params = {k: list(v) if isinstance(v, tuple) else v for k, v in self.params}
        return {"code": self.code, "params": params}

    def __str__(self) -> str:
        params = {k: ", ".join(v) if isinstance(v, tuple) else v for k, v in self.params}
        return REASON_TEXTS[self.code].format(**params)


class AnswerError(ValueError):
    """Answers do not fit the instrument; carries every problem at once."""

    def __init__(
        self, missing: list[str], unknown_items: list[str], invalid: dict[str, str]
    ) -> None:
        self.missing = missing
        self.unknown_items = unknown_items
        self.invalid = invalid
        parts = []
        if missing:
            parts.append(f"missing answers: {', '.join(missing)}")
        if unknown_items:
            parts.append(f"unknown items: {', '.join(unknown_items)}")
        if invalid:
            bad = ", ".join(f"{key}={value}" for key, value in invalid.items())
            parts.append(f"invalid values (use yes/no/unknown): {bad}")
        super().__init__("; ".join(parts))


class JudgementError(ValueError):
    """A professional-judgement override is not allowed (e.g. it would lower the level).

    `kind` says which rule refused it ("instrument", "level", "reason", "lower"), so that a
    service can say it in the user's language.
    """

    def __init__(self, message: str, kind: str = "instrument") -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class ScoreResult:
    """Outcome of scoring one set of answers against one instrument version."""

    instrument: str
    version: str
    score: int
    level: str
    unknown_count: int
    yes_items: tuple[str, ...]
    explanation: tuple[Reason, ...]
    screened_in_by: ScreenedInBy | None = None
    judgement_reason: str | None = None  # set when professional judgement raised the level

    @property
    def reasons(self) -> tuple[str, ...]:
        """The explanation in English, one line per reason."""
        return tuple(str(reason) for reason in self.explanation)


@dataclass(frozen=True)
class Recommendation:
    """A suggested action with its text (nl/en) and a one-line reason."""

    code: str
    text: dict[str, str] = field(hash=False)
    why: Reason
    theme: str | None = None  # reference-officer theme, for notify_reference_officer

    @property
    def reason(self) -> str:
        """Why, in English."""
        return str(self.why)


@dataclass(frozen=True)
class _Outcome:
    score: int
    level: str
    reason: Reason
    screened_in_by: ScreenedInBy | None = None


def validate_answers(instrument: Instrument, answers: Mapping[str, object]) -> dict[str, str]:
    """Check answers; return one per item (omitted optional items as "unknown")."""
    known = set(instrument.item_ids)
    missing = [i.id for i in instrument.items if i.required and i.id not in answers]
    unknown_items = sorted(str(key) for key in answers if key not in known)
    invalid = {
        str(key): repr(value) if not isinstance(value, str) else value
        for key, value in answers.items()
        if key in known and value not in ANSWER_VALUES
    }
    if missing or unknown_items or invalid:
        raise AnswerError(missing, unknown_items, invalid)
    return {item_id: str(answers.get(item_id, "unknown")) for item_id in instrument.item_ids}


def _yes(answers: Mapping[str, str], item_ids: Iterable[str]) -> list[str]:
    return [item_id for item_id in item_ids if answers[item_id] == "yes"]


def _band_for(instrument: Instrument, score: int) -> Band:
    return next(band for band in instrument.bands if band.contains(score))


def _count_threshold(instrument: Instrument, answers: Mapping[str, str]) -> _Outcome:
    count = len(_yes(answers, instrument.item_ids))
    band = _band_for(instrument, count)
    total = len(instrument.items)
    reason = Reason.of("count", count=count, total=total, band=band.describe(), level=band.level)
    return _Outcome(count, band.level, reason)


def _weighted_bins(instrument: Instrument, answers: Mapping[str, str]) -> _Outcome:
    total = sum(item.weight or 0 for item in instrument.items if answers[item.id] == "yes")
    band = _band_for(instrument, total)
    reason = Reason.of(
        "weighted", score=total, max=instrument.max_score(), band=band.describe(), level=band.level
    )
    return _Outcome(total, band.level, reason)


def _trigger_or_count(instrument: Instrument, answers: Mapping[str, str]) -> _Outcome:
    triggers = _yes(answers, (i.id for i in instrument.items if i.trigger))
    others = [i.id for i in instrument.items if not i.trigger]
    others_yes = _yes(answers, others)
    threshold = instrument.params["count_threshold"]
    score = len(triggers) + len(others_yes)
    top, bottom = instrument.top_level, instrument.bottom_level
    if triggers:
        why = Reason.of("trigger", instrument=instrument.id, items=triggers, level=top)
        return _Outcome(score, top, why, "trigger")
    counted = {"count": len(others_yes), "total": len(others), "threshold": threshold}
    if len(others_yes) >= threshold:
        return _Outcome(score, top, Reason.of("count_met", **counted, level=top), "count")
    return _Outcome(score, bottom, Reason.of("count_below", **counted, level=bottom))


def _immediate_danger(instrument: Instrument, answers: Mapping[str, str]) -> _Outcome:
    signs = _yes(answers, instrument.item_ids)
    if signs:
        top = instrument.top_level
        why = Reason.of("immediate", instrument=instrument.id, items=signs, level=top)
        return _Outcome(len(signs), top, why)
    bottom = instrument.bottom_level
    return _Outcome(0, bottom, Reason.of("no_immediate", level=bottom))


SCORING_MODELS: dict[str, Callable[[Instrument, Mapping[str, str]], _Outcome]] = {
    "count_threshold": _count_threshold,
    "trigger_or_count": _trigger_or_count,
    "weighted_bins": _weighted_bins,
    "immediate_danger": _immediate_danger,
}


def score(instrument: Instrument, answers: Mapping[str, str]) -> ScoreResult:
    """Score answers (yes/no/unknown per item id) with the instrument's model."""
    complete = validate_answers(instrument, answers)
    outcome = SCORING_MODELS[instrument.model](instrument, complete)
    unknown = [item_id for item_id, value in complete.items() if value == "unknown"]
    reasons = [outcome.reason]
    if unknown:
        reasons.append(Reason.of("unknown", count=len(unknown)))
    return ScoreResult(
        instrument=instrument.id,
        version=instrument.version,
        score=outcome.score,
        level=outcome.level,
        unknown_count=len(unknown),
        yes_items=tuple(_yes(complete, instrument.item_ids)),
        explanation=tuple(reasons),
        screened_in_by=outcome.screened_in_by,
    )


def level_rank(instrument: Instrument, level: str) -> int:
    """Return the index of ``level`` in the instrument's low → high order."""
    if level not in instrument.levels:
        raise ValueError(f"{instrument.id}: unknown level {level!r}")
    return instrument.levels.index(level)


def level_priority(instrument: Instrument, level: str) -> str:
    """Return the dispatch priority ("P1" most urgent .. "P4") for a level."""
    level_rank(instrument, level)
    return instrument.level_priority[level]


def combine_priority(*priorities: str) -> str:
    """Return the most urgent of the given priorities (P1 > P2 > P3 > P4)."""
    if not priorities:
        raise ValueError("combine_priority needs at least one priority")
    if bad := [p for p in priorities if p not in PRIORITIES]:
        raise ValueError(f"unknown priorities {bad}; expected one of {PRIORITIES}")
    return min(priorities, key=PRIORITIES.index)


def _check_same_instrument(
    instrument: Instrument, result: ScoreResult, error: type[ValueError] = ValueError
) -> None:
    if (result.instrument, result.version) != (instrument.id, instrument.version):
        raise error(
            f"result is for {result.instrument} {result.version}, "
            f"not {instrument.id} {instrument.version}"
        )


def apply_judgement(
    instrument: Instrument, result: ScoreResult, level: str, reason: str
) -> ScoreResult:
    """Raise the level on professional judgement (reason required); never lower it."""
    _check_same_instrument(instrument, result, JudgementError)
    if level not in instrument.levels:
        raise JudgementError(
            f"unknown level {level!r}; expected one of {instrument.levels}", "level"
        )
    if not reason or not reason.strip():
        raise JudgementError("professional judgement needs a reason", "reason")
    if level_rank(instrument, level) < level_rank(instrument, result.level):
        raise JudgementError(
            f"judgement may raise the level, not lower it ({result.level} → {level})", "lower"
        )
    reason = " ".join(reason.split())  # one line
    if level == result.level:
        line = Reason.of("judgement_same", reason=reason, level=level)
        return replace(result, explanation=(*result.explanation, line))
    screened_in_by = result.screened_in_by
    if instrument.model == "trigger_or_count" and level == instrument.top_level:
        screened_in_by = "judgement"
    line = Reason.of("judgement_raised", reason=reason, old=result.level, level=level)
    return replace(
        result,
        level=level,
        explanation=(*result.explanation, line),
        screened_in_by=screened_in_by,
        judgement_reason=reason,
    )


def escalation_level(instrument: Instrument) -> str:
    """Return the level a repeat-victimisation pattern (≥ REPEAT_THRESHOLD in 12 months) sets.

    The file's ``escalation_level`` wins; otherwise the top level for banded (count/weighted)
    models, and the bottom level (no effect) for trigger and immediate-danger screens, whose
    rules say nothing about repeat incidents.
    """
    if instrument.escalation_level is not None:
        return instrument.escalation_level
    if instrument.model in ("count_threshold", "weighted_bins"):
        return instrument.top_level
    return instrument.bottom_level


def apply_escalation(
    instrument: Instrument,
    result: ScoreResult,
    incidents_12m: int,
    threshold: int = REPEAT_THRESHOLD,
) -> ScoreResult:
    """Raise the level to ``escalation_level`` when incidents in the window ≥ the threshold
    (REPEAT_THRESHOLD unless the organisation configured another)."""
    _check_same_instrument(instrument, result)
    if incidents_12m < 0:
        raise ValueError("incidents_12m must not be negative")
    if incidents_12m < threshold:
        return result
    target = escalation_level(instrument)
    if level_rank(instrument, target) <= level_rank(instrument, result.level):
        return result
    line = Reason.of(
        "escalation",
        count=incidents_12m,
        threshold=threshold,
        old=result.level,
        level=target,
    )
    return replace(result, level=target, explanation=(*result.explanation, line))


@dataclass(frozen=True)
class Motive:
    """An aggravating-motive tag: how to name it and which reference officer follows it."""

    name: dict[str, str] = field(hash=False)  # nl/en, as written in the police report
    theme: str  # reference-officer theme code
    discrimination: bool  # a discrimination motive is an aggravating circumstance


THEMES: dict[str, dict[str, str]] = {
    "racism_discrimination": {"nl": "racisme en discriminatie", "en": "racism and discrimination"},
    "anti_lgbt_violence": {
        "nl": "geweld tegen LGBTI+-personen",
        "en": "violence against LGBTI+ people",
    },
    "sexual_violence": {"nl": "seksueel geweld", "en": "sexual violence"},
}
MOTIVES: dict[str, Motive] = {
    "racism_discrimination": Motive(
        {"nl": "racisme of discriminatie", "en": "racism or discrimination"},
        "racism_discrimination",
        True,
    ),
    "anti_lgbt": Motive(
        {"nl": "haat tegen LGBTI+-personen", "en": "hostility to LGBTI+ people"},
        "anti_lgbt_violence",
        True,
    ),
    "disability": Motive({"nl": "handicap", "en": "disability"}, "racism_discrimination", True),
    "religion": Motive(
        {"nl": "geloof of levensbeschouwing", "en": "religion or belief"},
        "racism_discrimination",
        True,
    ),
    # Sexual violence is an offence with its own reference officer, not a discrimination motive.
    "sexual_violence": Motive(
        {"nl": "seksueel geweld", "en": "sexual violence"}, "sexual_violence", False
    ),
}
MOTIVE_TAGS: tuple[str, ...] = tuple(MOTIVES)

_TEXTS: dict[str, dict[str, str]] = {
    "support_line_1712": {
        "nl": "Vertel het slachtoffer over het gevaar en breng het nu samen in contact met 1712.",
        "en": "Tell the victim about the danger and put them in touch with 1712 now, together.",
    },
    "veilig_huis_case_consultation": {
        "nl": "Meld de situatie aan voor casusoverleg bij het Veilig Huis (art. 458ter Sw.).",
        "en": "Refer the case to the Veilig Huis case consultation (art. 458ter Criminal Code).",
    },
    "offer_victim_support": {
        "nl": "Bied het slachtoffer ondersteuning aan (slachtofferhulp, CAW).",
        "en": "Offer the victim support (victim support service, CAW).",
    },
    "offer_psychosocial_support": {
        "nl": "Bied het slachtoffer psychosociale ondersteuning aan.",
        "en": "Offer the victim psychosocial support.",
    },
}


def _motive_in_report(motives: list[tuple[str, Motive]]) -> list[Recommendation]:
    aggravating = [(tag, m) for tag, m in motives if m.discrimination]
    if not aggravating:
        return []
    names = {lang: "; ".join(m.name[lang] for _, m in aggravating) for lang in ("nl", "en")}
    text = {
        "nl": f"Vermeld in het PV het motief als verzwarende omstandigheid: {names['nl']}.",
        "en": f"Record the motive in the police report as aggravating: {names['en']}.",
    }
    why = Reason.of("motive_aggravating", tags=[t for t, _ in aggravating])
    return [Recommendation("motive_in_police_report", text, why)]


def _reference_officers(motives: list[tuple[str, Motive]]) -> list[Recommendation]:
    recs = []
    for theme, label in THEMES.items():
        if theme_tags := [tag for tag, m in motives if m.theme == theme]:
            text = {
                "nl": f"Breng de referentieambtenaar {label['nl']} op de hoogte.",
                "en": f"Notify the reference officer for {label['en']}.",
            }
            why = Reason.of("motive_theme", tags=theme_tags, theme=label["en"], theme_code=theme)
            recs.append(Recommendation("notify_reference_officer", text, why, theme))
    return recs


def _motive_recommendations(tags: set[str]) -> list[Recommendation]:
    motives = [(tag, MOTIVES[tag]) for tag in MOTIVE_TAGS if tag in tags]
    if not motives:
        return []
    why = Reason.of("motive_support", tags=[t for t, _ in motives])
    support = Recommendation(
        "offer_psychosocial_support", _TEXTS["offer_psychosocial_support"], why
    )
    return [*_motive_in_report(motives), *_reference_officers(motives), support]


def recommendations(
    instrument: Instrument, result: ScoreResult, motive_tags: Iterable[str] = ()
) -> list[Recommendation]:
    """Recommend actions for a result; unknown motive tags are ignored."""
    _check_same_instrument(instrument, result)
    recs: list[Recommendation] = []
    at_top = result.level == instrument.top_level
    if at_top and instrument.model == "trigger_or_count":
        how = result.screened_in_by or "rule"
        why = Reason.of("screened_in", instrument=instrument.id, how=how)
        recs.append(Recommendation("support_line_1712", _TEXTS["support_line_1712"], why))
    # The case consultation is for risk screens (DASH, LAP, an organisation's checklist); the
    # immediate-danger screen says "send now", not "this is a high-risk case".
    if at_top and instrument.model != "immediate_danger":
        why = Reason.of("top_level", instrument=instrument.id, level=result.level)
        text = _TEXTS["veilig_huis_case_consultation"]
        recs.append(Recommendation("veilig_huis_case_consultation", text, why))
    recs.extend(_motive_recommendations(set(motive_tags)))
    why = Reason.of("every_victim")
    recs.append(Recommendation("offer_victim_support", _TEXTS["offer_victim_support"], why))
    return recs
