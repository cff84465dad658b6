"""Dispatch's guard: assignments and units reached through the incident guard of triage.

An assignment is visible when its incident is (`triage.access.visible_incident`); a unit is
reachable when every incident it is serving now is. Otherwise the answer is 404, the same as
for one that does not exist.
"""

from __future__ import annotations

from accounts.actor import Actor
from core.api import not_found
from core.db import db
from dispatch import alarms, service
from dispatch.models import Alarm, Assignment, Unit
from triage.access import sees
from triage.models import Incident


def visible_assignment(actor: Actor, assignment_id: int) -> Assignment:
    """The assignment if the actor may see its incident; else 404."""
    assignment = db.session.get(Assignment, assignment_id)
    if assignment is None or not _sees(actor, assignment.incident_id):
        raise not_found("assignment")
    return assignment


def reachable_unit(actor: Actor, unit_id: int) -> Unit:
    """The unit if the actor may see every incident it is on now; else 404."""
    unit = db.session.get(Unit, unit_id)
    if unit is None or not all(
        _sees(actor, a.incident_id) for a in service.active_assignments(unit.id)
    ):
        raise not_found("unit")
    return unit


def visible_alarm(actor: Actor, alarm_id: int) -> Alarm:
    """The alarm if its audience includes the actor; else 404 (its text is guarded apart)."""
    alarm = db.session.get(Alarm, alarm_id)
    if alarm is None or actor.user is None or not alarms.may_see(actor.user, alarm):
        raise not_found("alarm")
    return alarm


def hidden_incidents(actor: Actor, incident_ids: set[int]) -> set[int]:
    """Those of the incidents the actor may not see: a unit serving one keeps its position to
    itself (on scene, the unit's position is the home's)."""
    incidents = [db.session.get(Incident, i) for i in incident_ids]
    return {i.id for i in incidents if i is not None and i.restricted and not sees(actor, i)}


def _sees(actor: Actor, incident_id: int) -> bool:
    incident = db.session.get(Incident, incident_id)
    return incident is not None and sees(actor, incident)
