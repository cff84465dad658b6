"""House bans and protection orders: the register, and what it says about an incident.

(Stub: the register is built in issue 19; until then no order is ever found.)
"""

from __future__ import annotations

from dataclasses import dataclass, field

from triage.models import Incident

ORDER_IN_FORCE = "order_in_force"
POSSIBLE_BREACH = "possible_breach"
FLAGS = (ORDER_IN_FORCE, POSSIBLE_BREACH)


@dataclass(frozen=True)
class OrderCheck:
    """The order flags that hold for an incident, and the orders that set them."""

    flags: tuple[str, ...] = ()
    order_ids: list[int] = field(default_factory=list)


def flags_for(incident: Incident) -> OrderCheck:
    """The protective-order flags for an incident's address and persons."""
    return OrderCheck()
