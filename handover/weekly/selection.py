"""Which incidents of a week qualify for the triage table, and why (pure: no Flask, no DB).

An incident qualifies with at least one reason: a DASH screen whose (final) level is high, a
LAP screen that screened in, an immediate-danger screen that found immediate danger, a repeat
(the escalation pattern: REPEAT_THRESHOLD incidents in REPEAT_WINDOW_DAYS), or a house ban or
court order in force (or its possible breach). The latest screen per instrument counts.

Never selected: an exercise incident (training stays training), an anonymised one, and a
restricted one. A restricted incident reaches a partner only when a person decides so, as a
handover note on it does: a supervisor may add it to a draft list, with a reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

DASH_HIGH = "dash_high"
LAP_SCREENED_IN = "lap_screened_in"
IMMEDIATE_DANGER = "immediate_danger"
REPEAT = "repeat"
ORDER_IN_FORCE = "order_in_force"
REASONS = (IMMEDIATE_DANGER, LAP_SCREENED_IN, DASH_HIGH, REPEAT, ORDER_IN_FORCE)

# (instrument id, level) → reason; the levels are those of the shipped instrument files.
LEVEL_REASONS = {
    ("dash", "high"): DASH_HIGH,
    ("lap", "screened_in"): LAP_SCREENED_IN,
    ("immediate-danger", "immediate"): IMMEDIATE_DANGER,
}
# Incident flags (triage) → reason.
FLAG_REASONS = {
    "escalation_pattern": REPEAT,
    "order_in_force": ORDER_IN_FORCE,
    "possible_breach": ORDER_IN_FORCE,
}


@dataclass(frozen=True)
class CaseFacts:
    """What the rules read of one incident: its marks, flags and latest level per instrument."""

    incident_id: int
    flags: frozenset[str] = frozenset()
    levels: Mapping[str, str] = field(default_factory=dict)
    exercise: bool = False
    restricted: bool = False
    anonymised: bool = False


def reasons(facts: CaseFacts) -> list[str]:
    """Why the incident belongs on the list (empty: it does not), in REASONS order."""
    found = {LEVEL_REASONS.get((i, str(level))) for i, level in facts.levels.items()}
    found |= {FLAG_REASONS.get(flag) for flag in facts.flags}
    return [r for r in REASONS if r in found]


def selectable(facts: CaseFacts) -> bool:
    """Whether the rules may put the incident on a list at all."""
    return not (facts.exercise or facts.restricted or facts.anonymised)


def select_cases(cases: Iterable[CaseFacts]) -> dict[int, list[str]]:
    """The qualifying incidents of a week → their reasons."""
    chosen = {}
    for facts in cases:
        why = reasons(facts)
        if why and selectable(facts):
            chosen[facts.incident_id] = why
    return chosen
