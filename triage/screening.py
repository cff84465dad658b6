"""Risk screening: the loaded instruments, storing assessments, and the incident's priority.

The scoring itself is pure (`triage.scoring`); this module loads, stores and audits around it.
A score may raise the incident's priority, never lower it; lowering is a supervisor's action.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from sqlalchemy import func, select

from core import audit
from core.db import db
from core.errors import DomainError
from core.i18n import lazy_gettext as _l
from triage import events, explain, links, scoring
from triage.instruments import SHIPPED_DIR, Instrument, load_instruments
from triage.models import Assessment, Incident, IncidentStatus, Priority
from triage.scoring import REPEAT_THRESHOLD, ScoreResult

EXTENSION = "nachtwacht.instruments"
# Only while a unit is on an incident is there anyone to tell of a danger learnt later.
UNITS_ON_IT = (IncidentStatus.DISPATCHED, IncidentStatus.ON_SCENE)

IMMEDIATE = "immediate-danger"
DASH = "dash"
__all__ = ["REPEAT_THRESHOLD"]


class ScreeningError(DomainError):
    """An assessment that cannot be stored, with field-level problems (422)."""

    def __init__(self, message: str, fields: dict[str, str]):
        super().__init__(422, "validation_error", message, fields)


def init_instruments(app: Flask) -> None:
    """Load the shipped instruments plus an organisation's own directory (INSTRUMENTS_DIR)."""
    dirs: list[Path] = [SHIPPED_DIR]
    extra = app.config.get("INSTRUMENTS_DIR") or os.environ.get("INSTRUMENTS_DIR")
    if extra:
        dirs.append(Path(extra))
    app.extensions[EXTENSION] = load_instruments(*dirs)


def instruments() -> dict[str, Instrument]:
    """Every loaded instrument by id."""
    return current_app.extensions[EXTENSION]


def intake_flags() -> frozenset[str]:
    """Quick danger flags a dispatcher may tick at intake: the immediate-danger items."""
    return frozenset(instruments()[IMMEDIATE].item_ids)


# A possible breach of a protective order (triage.orders.POSSIBLE_BREACH; orders imports this
# module) is as urgent as an immediate danger, even without the quick flag.
BREACH_P1 = frozenset({"possible_breach"})


def flags_priority(flags: list[str], current: Priority | str) -> Priority:
    """Any immediate-danger flag, or a possible breach of a protective order, makes it P1."""
    if set(flags) & (intake_flags() | BREACH_P1):
        return Priority(scoring.combine_priority(str(current), "P1"))
    return Priority(current)


def escalation_priority(current: Priority | str) -> Priority:
    """The priority a repeat-victimisation pattern raises to (DASH's escalation level)."""
    dash = instruments()[DASH]
    raised = scoring.level_priority(dash, scoring.escalation_level(dash))
    return Priority(scoring.combine_priority(str(current), raised))


def preview(instrument: Instrument, answers: dict[str, str], partial: bool) -> ScoreResult:
    """Score without storing; with `partial`, unanswered items count as unknown."""
    if partial:
        answers = {item: answers.get(item, "unknown") for item in instrument.item_ids} | answers
    return explain.explained(_score(instrument, answers), instruments())


def _score(instrument: Instrument, answers: dict[str, str]) -> ScoreResult:
    try:
        return scoring.score(instrument, answers)
    except scoring.AnswerError as exc:
        fields: dict[str, Any] = {f"answers.{i}": _l("Required.") for i in exc.missing}
        fields |= {f"answers.{i}": _l("Not an item of this instrument.") for i in exc.unknown_items}
        fields |= {f"answers.{i}": _l("Must be yes, no or unknown.") for i in exc.invalid}
        raise ScreeningError(_l("Some answers are missing or not valid."), fields) from None


@dataclass(frozen=True)
class Outcome:
    """A stored assessment, its recommendations and what happened to the incident's priority."""

    assessment: Assessment
    recommendations: list[scoring.Recommendation]
    previous_priority: Priority


def _judged(instrument: Instrument, result: ScoreResult, level: str, reason: str) -> ScoreResult:
    try:
        return scoring.apply_judgement(instrument, result, level, reason)
    except scoring.JudgementError as exc:
        message = JUDGEMENT_ERRORS.get(exc.kind, JUDGEMENT_ERRORS["instrument"])
        field = "judgement.reason" if exc.kind == "reason" else "judgement.level"
        raise ScreeningError(message, {field: message}) from None


JUDGEMENT_ERRORS = {
    "level": _l("This level is not one of the instrument's levels."),
    "reason": _l("Professional judgement needs a reason."),
    "lower": _l("Professional judgement may raise the level, never lower it."),
    "instrument": _l("This judgement is for another instrument."),
}


def assess(
    incident: Incident,
    instrument_id: str,
    answers: dict[str, str],
    judgement: tuple[str, str] | None,
    motives: list[str],
    prior_count: int,
    actor_id: int | None,
    victim_fear: int | None = None,
) -> Outcome:
    """Score and store one assessment (a new version) and raise the incident's priority; not on
    a closed incident (a late screen would turn a closed case into an open P1)."""
    if incident.status == IncidentStatus.CLOSED:
        raise DomainError(
            409,
            "conflict",
            _l("This incident is closed; a screen is not scored on it."),
            {"incident": _l("The incident is closed.")},
        )
    instrument = instruments().get(instrument_id)
    if instrument is None:
        raise ScreeningError(_l("Unknown instrument."), {"instrument": _l("No such instrument.")})
    computed = _score(instrument, answers)
    threshold = int(current_app.config.get("REPEAT_THRESHOLD", REPEAT_THRESHOLD))
    result = scoring.apply_escalation(instrument, computed, prior_count + 1, threshold)
    if judgement:
        result = _judged(instrument, result, *judgement)
    recs = scoring.recommendations(instrument, result, motives)
    priority = Priority(scoring.level_priority(instrument, result.level))
    previous = Priority(incident.priority)
    incident.priority = Priority(scoring.combine_priority(previous, priority))
    fear = None if victim_fear is None else str(victim_fear)
    assessment = _store(
        incident, instrument, answers, computed, result, recs, priority, judgement, actor_id, fear
    )
    audit.record("create", "assessment", assessment.id)
    events.publish_assessment(assessment, incident)
    if instrument.id == IMMEDIATE and incident.status in UNITS_ON_IT:
        links.assignments().danger_changed(incident.id)
    if incident.priority != previous:
        events.publish_incident("incident.updated", incident)
    return Outcome(assessment, recs, previous)


def _store(
    incident: Incident,
    instrument: Instrument,
    answers: dict[str, str],
    computed: ScoreResult,
    result: ScoreResult,
    recs: list[scoring.Recommendation],
    priority: Priority,
    judgement: tuple[str, str] | None,
    actor_id: int | None,
    victim_fear: str | None,
) -> Assessment:
    # The next version, counted by the INSERT itself (and read back with RETURNING): one round
    # trip, not two. Two screens racing for one version meet the unique constraint, as before.
    version = (
        select(func.coalesce(func.max(Assessment.version), 0) + 1)
        .where(Assessment.incident_id == incident.id, Assessment.instrument_id == instrument.id)
        .scalar_subquery()
    )
    assessment = Assessment(
        incident_id=incident.id,
        instrument_id=instrument.id,
        instrument_version=instrument.version,
        version=version,
        answers=dict(answers),
        score=result.score,
        level=result.level,
        computed_level=computed.level,
        unknown_count=result.unknown_count,
        priority=priority,
        result={
            # The codes, to render in each reader's language; the text as first written.
            "explanation": [r.as_dict() for r in result.explanation],
            "reasons": explain.texts(list(result.explanation), instruments()),
            "yes_items": list(result.yes_items),
            "screened_in_by": result.screened_in_by,
            "recommendations": [explain.recommendation_dict(r, instruments()) for r in recs],
        },
        override_level=judgement[0] if judgement else None,
        override_reason=judgement[1] if judgement else None,
        override_by_id=actor_id if judgement else None,
        created_by_id=actor_id,
        victim_fear=victim_fear,
    )
    db.session.add(assessment)
    db.session.flush()
    return assessment


def reasons_of(assessment: Assessment) -> list[str]:
    """Why the assessment has its level, in the reader's language."""
    return explain.stored_reasons(assessment.result, instruments())


def recommendations_of(assessment: Assessment) -> list[dict[str, Any]]:
    """The assessment's recommendations, each reason in the reader's language."""
    return explain.stored_recommendations(assessment.result, instruments())


def assessments(incident_id: int) -> list[Assessment]:
    """An incident's assessments, oldest first (the history is kept)."""
    return list(
        db.session.execute(
            select(Assessment).where(Assessment.incident_id == incident_id).order_by(Assessment.id)
        ).scalars()
    )
