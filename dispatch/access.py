"""Dispatch's guard: assignments and units reached through the incident guard of triage.

An assignment is visible when its incident is (`triage.access.visible_incident`); a unit is
reachable when every incident it is serving now is. An officer reaches an assignment only as
its crew, while it is active and for OFFICER_ACCESS_GRACE_H after it ended. An incident is
exported (EIDO, CAP) when it is visible, and a restricted one only to a supervisor. Otherwise
the answer is 404, the same as for one that does not exist.
"""

from __future__ import annotations

from accounts.actor import Actor
from core.api import not_found
from core.db import db
from dispatch import alarms, queries, service
from dispatch.models import Alarm, Assignment, Unit
from triage.access import sees, visible_incident
from triage.models import Incident


def visible_assignment(actor: Actor, assignment_id: int) -> Assignment:
    """The assignment if the actor may see its incident; else 404."""
    assignment = db.session.get(Assignment, assignment_id)
    if assignment is None or not _sees(actor, assignment.incident_id):
        raise not_found("assignment")
    return assignment


def crew_assignment(actor: Actor, assignment_id: int) -> Assignment:
    """The assignment if the actor was on its crew and it is active or ended less than
    OFFICER_ACCESS_GRACE_H ago; else 404."""
    found = crew_assignments(actor, assignment_id)
    if not found:
        raise not_found("assignment")
    return found[0]


def crew_assignments(actor: Actor, assignment_id: int | None = None) -> list[Assignment]:
    """The actor's crew assignments by the `crew_assignment` rule, oldest first."""
    if actor.user is None:
        return []
    found = queries.crew_assignments(actor.user.id, assignment_id)
    return [a for a in found if _sees(actor, a.incident_id)]


def reachable_unit(actor: Actor, unit_id: int) -> Unit:
    """The unit if the actor may see every incident it is on now; else 404."""
    unit = db.session.get(Unit, unit_id)
    if unit is None or not all(
        _sees(actor, a.incident_id) for a in service.active_assignments(unit.id)
    ):
        raise not_found("unit")
    return unit


def exportable_incident(actor: Actor, incident_id: int) -> Incident:
    """The incident for a standards export (EIDO, CAP) if the actor may see it; a restricted
    incident only for a supervisor. Else 404, the same as for one that does not exist."""
    incident = visible_incident(actor, incident_id)
    if incident.restricted and (actor.user is None or actor.user.role != "supervisor"):
        raise not_found("incident")
    return incident


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
