"""Translated labels for triage codes: incident statuses, risk levels, priorities, timeline."""

from __future__ import annotations

from typing import Any

from core.i18n import lazy_gettext as _l

STATUSES = {
    "new": _l("new"),
    "dispatched": _l("dispatched"),
    "on_scene": _l("on scene"),
    "cleared": _l("cleared"),
    "closed": _l("closed"),
}
# The levels of the shipped instruments and of the weighted (Danger-Assessment-style) model.
LEVELS = {
    "standard": _l("standard"),
    "medium": _l("medium"),
    "high": _l("high"),
    "not_screened_in": _l("not screened in"),
    "screened_in": _l("screened in"),
    "none": _l("no immediate danger"),
    "immediate": _l("immediate danger"),
    "variable": _l("variable danger"),
    "increased": _l("increased danger"),
    "severe": _l("severe danger"),
    "extreme": _l("extreme danger"),
}
PRIORITIES = {
    "P1": _l("P1 (very urgent)"),
    "P2": _l("P2 (urgent)"),
    "P3": _l("P3 (normal)"),
    "P4": _l("P4 (low)"),
}
# Timeline kinds written by triage (intake, corrections, screens, priority, closing).
KINDS = {
    "incident.created": _l("Call taken"),
    "incident.corrected": _l("Incident corrected"),
    "incident.status": _l("Incident status changed"),
    "incident.closed": _l("Incident closed"),
    "assessment.scored": _l("Risk screen scored"),
    "flag.escalation_pattern": _l("Escalation pattern flagged"),
    "flag.order_in_force": _l("House ban or court order in force flagged"),
    "flag.possible_breach": _l("Possible breach of a house ban or order flagged"),
    "flag.order_lifted": _l("Order flag lifted (order revoked)"),
    "priority.raised": _l("Priority raised"),
    "priority.lowered": _l("Priority lowered"),
    "legal_hold.set": _l("Legal hold set"),
    "legal_hold.lifted": _l("Legal hold lifted"),
    "restriction.set": _l("Access restricted"),
    "restriction.lifted": _l("Restriction lifted"),
    "person.linked": _l("Person linked to another incident"),
    "person.unlinked": _l("Person unlinked"),
    "person.rejected": _l("Persons marked as different people"),
    "referral.suggested": _l("Referral suggested"),
    "referral.withdrawn": _l("Referral suggestion withdrawn"),
    "referral.offered": _l("Referral offered"),
    "referral.accepted": _l("Referral accepted"),
    "referral.declined": _l("Referral declined"),
    "referral.not_offered": _l("Referral not offered"),
}
# Flags the system sets from the protective-order register (triage.orders), as a dispatcher
# reads them on the console and the incident page.
FLAGS = {
    "order_in_force": _l("house ban or court order in force (address or person)"),
    "possible_breach": _l("possible breach: the order's subject reported present"),
}
LABELS = {**STATUSES, **LEVELS, **PRIORITIES, **FLAGS}


def level_label(code: Any) -> str:
    """A risk level in the user's language; an organisation's own level as written."""
    key = str(code)
    return str(LEVELS[key]) if key in LEVELS else key.replace("_", " ")
