"""Officer safety: what a crew must know before it knocks, as flags without case content.

The flags come from the incident's quick danger flags and its latest immediate-danger screen
(an answered "yes"), from "children present", and from earlier incidents at the address (a
count, never which ones). They name a danger, never a person, an answer's wording or the
narrative: the assignment SMS may carry them (those listed in SMS_SAFETY_FLAGS) and the
officer's page shows them.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from core.db import db
from core.i18n import lazy_gettext as _l
from triage import service
from triage.models import Assessment, Incident
from triage.screening import IMMEDIATE

# In the order a crew reads them: the danger at the door first.
WEAPON = "weapon"
SUSPECT_PRESENT = "suspect_present"
CHILDREN = "children"
INTOXICATED_AGGRESSIVE = "intoxicated_aggressive"
ORDER_IN_FORCE = "order_in_force"  # a house ban or protection order (none recorded yet)
PRIOR_INCIDENTS = "prior_incidents"
FLAGS = (WEAPON, SUSPECT_PRESENT, CHILDREN, INTOXICATED_AGGRESSIVE, ORDER_IN_FORCE, PRIOR_INCIDENTS)

# Which screen item (a quick flag or an immediate-danger answer) sets which safety flag.
FROM_ITEMS = {
    "weapon": WEAPON,
    "suspect_present": SUSPECT_PRESENT,
    "children_in_danger": CHILDREN,
    "intoxicated_aggressive": INTOXICATED_AGGRESSIVE,
}

LABELS = {
    WEAPON: _l("Weapon"),
    SUSPECT_PRESENT: _l("Suspect on scene"),
    CHILDREN: _l("Children present"),
    INTOXICATED_AGGRESSIVE: _l("Intoxicated and aggressive"),
    ORDER_IN_FORCE: _l("House ban or order in force"),
    PRIOR_INCIDENTS: _l("Earlier incidents at this address"),
}


@dataclass(frozen=True)
class Safety:
    """The flags that hold for an incident, and how many earlier incidents its address had."""

    flags: tuple[str, ...]
    prior_incidents: int = 0


def check_sms_flags(flags: tuple[str, ...]) -> None:
    """Refuse an SMS_SAFETY_FLAGS setting that names an unknown flag (a typo would silently
    keep a danger out of every assignment SMS)."""
    unknown = [f for f in flags if f not in FLAGS]
    if unknown:
        raise ValueError(
            f"SMS_SAFETY_FLAGS: unknown {', '.join(unknown)}; known: {', '.join(FLAGS)}"
        )


def safety_of(incident: Incident) -> Safety:
    """The officer-safety flags of an incident (two small queries; the earlier incidents are a
    count that leaves restricted ones out, as everywhere a count is shown)."""
    items = set(incident.flags or []) | _immediate_yes(incident.id)
    found = {FROM_ITEMS[i] for i in items if i in FROM_ITEMS}
    if incident.children_present:
        found.add(CHILDREN)
    prior = service.count_prior(incident, on=("address",))
    if prior:
        found.add(PRIOR_INCIDENTS)
    return Safety(tuple(f for f in FLAGS if f in found), prior)


def _immediate_yes(incident_id: int) -> set[str]:
    """The items answered "yes" in the latest immediate-danger screen."""
    latest = (
        select(func.max(Assessment.version))
        .where(Assessment.incident_id == incident_id, Assessment.instrument_id == IMMEDIATE)
        .scalar_subquery()
    )
    answers = db.session.execute(
        select(Assessment.answers).where(
            Assessment.incident_id == incident_id,
            Assessment.instrument_id == IMMEDIATE,
            Assessment.version == latest,
        )
    ).scalar_one_or_none()
    return {item for item, answer in (answers or {}).items() if answer == "yes"}
