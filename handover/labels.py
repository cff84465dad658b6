"""Translated labels for handover codes (legal bases, consent, roles, actions, timeline kinds)."""

from __future__ import annotations

from core.i18n import lazy_gettext as _l
from triage.explain import language
from triage.scoring import MOTIVES

LABELS = {
    "basis": {
        "consent": _l("consent of the person"),
        "case_consultation_458ter": _l("case consultation (art. 458ter)"),
        "report_458bis": _l("report of serious danger (art. 458bis)"),
    },
    "consent": {
        "yes": _l("yes"),
        "no": _l("no"),
        "not_asked": _l("not asked"),
    },
    "role": {
        "victim": _l("victim"),
        "suspect": _l("suspect"),
        "child": _l("child"),
        "witness": _l("witness"),
        "caller": _l("caller"),
        "other": _l("other"),
    },
    "action": {
        "arrest": _l("arrest"),
        "house_ban_requested": _l("temporary house ban requested"),
        "shelter": _l("shelter"),
        "medical": _l("medical care"),
    },
    "field": {
        "consent": _l("consent to contact"),
        "persons": _l("persons"),
        "children": _l("children"),
        "children_at_risk": _l("children at risk"),
        "motives": _l("motives"),
        "instruments": _l("instrument results"),
        "actions": _l("actions taken"),
        "follow_up": _l("requested follow-up"),
    },
}
# Timeline kinds written by handover.
KINDS = {
    "handover.note": _l("Handover note written"),
    "handover.note_corrected": _l("Handover note corrected"),
}
PERSON_ROLES = tuple(LABELS["role"])
ACTIONS = tuple(LABELS["action"])


def motive_names(codes: list[str] | None) -> list[str]:
    """Motive codes as the reader's language names them (an unknown code as itself)."""
    lang = language()
    names = []
    for code in codes or []:
        motive = MOTIVES.get(code)
        names.append((motive.name.get(lang) or motive.name["nl"]) if motive else code)
    return names
