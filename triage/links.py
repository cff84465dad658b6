"""What triage asks of the domain above it: assignment facts, answered by dispatch.

Triage never imports dispatch (the domains sit in order: triage ← dispatch ← handover). It asks
these query functions instead; `create_app` has dispatch register its answers. Without them
(triage on its own, in a unit test) nothing is assigned and nobody is involved through a unit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app, has_app_context
from sqlalchemy import false

_KEY = "triage.assignment_queries"


@dataclass(frozen=True)
class AssignmentQueries:
    """Assignment facts triage needs, as functions of ids."""

    involved: Callable[[int, int], bool]
    """(user id, incident id) → assigned a unit to it, or is on a unit assigned to it"""
    has_active_assignment: Callable[[int], bool]
    """incident id → a unit is still on it"""
    involved_users: Callable[[int], set[int]]
    """incident id → the users `involved` answers yes for (assigners, crew within the grace)"""
    officers: Callable[[set[int], set[int]], tuple[dict[int, set[int]], dict[int, set[int]]]]
    """(incident ids, unit ids) → the officers on each incident's crews (active, or within the
    grace) and on each unit now, in one query"""
    involved_condition: Callable[[int, Any], Any] = lambda user_id, incident_id: false()
    """(user id, an incident id column) → `involved` as an SQL condition, for statements that
    list incidents (search, look-ups) and leave out those the user may not see"""
    danger_changed: Callable[[int], None] = lambda incident_id: None
    """incident id → its officer-safety facts changed: tell the units on it what is new"""


NOTHING_ASSIGNED = AssignmentQueries(
    involved=lambda user_id, incident_id: False,
    has_active_assignment=lambda incident_id: False,
    involved_users=lambda incident_id: set(),
    officers=lambda incident_ids, unit_ids: ({}, {}),
)


def register(app: Flask, queries: AssignmentQueries) -> None:
    """Install the answers of the domain that owns assignments."""
    app.extensions[_KEY] = queries


def assignments() -> AssignmentQueries:
    """The registered assignment queries (nothing assigned when none are)."""
    if not has_app_context():
        return NOTHING_ASSIGNED
    return current_app.extensions.get(_KEY, NOTHING_ASSIGNED)
