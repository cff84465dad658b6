"""Officer safety: what a crew must know before it knocks, as flags without case content.

The flags come from the incident's quick danger flags and its latest immediate-danger screen
(an answered "yes"), from "children present", from the protective-order register (a house ban
or court order in force, and a possible breach of it: `triage.orders`), and from earlier
incidents at the address (a count, never which ones). They name a danger, never a person, an
order's names, an answer's wording or the narrative: the assignment SMS may carry them (those
listed in SMS_SAFETY_FLAGS) and the officer's page shows them.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.i18n import lazy_gettext as _l
from triage import orders, service
from triage.models import Incident

# In the order a crew reads them: the danger at the door first.
WEAPON = "weapon"
SUSPECT_PRESENT = "suspect_present"
CHILDREN = "children"
INTOXICATED_AGGRESSIVE = "intoxicated_aggressive"
# A house ban or court order touches the address or a person; and its subject is reported there.
ORDER_IN_FORCE = orders.ORDER_IN_FORCE
POSSIBLE_BREACH = orders.POSSIBLE_BREACH
PRIOR_INCIDENTS = "prior_incidents"
FLAGS = (
    WEAPON,
    SUSPECT_PRESENT,
    ORDER_IN_FORCE,
    POSSIBLE_BREACH,
    CHILDREN,
    INTOXICATED_AGGRESSIVE,
    PRIOR_INCIDENTS,
)

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
    POSSIBLE_BREACH: _l("Possible breach of the house ban or order"),
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
    """The officer-safety flags of an incident (two small queries, a few more when an order
    holds; the earlier incidents are a count that leaves restricted ones out, as everywhere a
    count is shown)."""
    items = set(incident.flags or []) | _immediate_yes(incident.id)
    found = {FROM_ITEMS[i] for i in items if i in FROM_ITEMS}
    found |= _order_flags(incident)
    if incident.children_present:
        found.add(CHILDREN)
    prior = service.count_prior(incident, on=("address",))
    if prior:
        found.add(PRIOR_INCIDENTS)
    return Safety(tuple(f for f in FLAGS if f in found), prior)


def _order_flags(incident: Incident) -> set[str]:
    """The incident's order flags, and the register asked again when one is set: a screen that
    just said "suspect present" tells the units before its route re-applies the flags."""
    stored = set(incident.flags or []) & set(orders.FLAGS)
    if not stored:
        return set()
    return stored | set(orders.flags_for(incident).flags)


def _immediate_yes(incident_id: int) -> set[str]:
    """The items answered "yes" in the latest immediate-danger screen."""
    return {
        item for item, answer in orders.immediate_answers(incident_id).items() if answer == "yes"
    }
