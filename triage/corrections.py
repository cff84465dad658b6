"""Corrections to a taken call: each changed field named on the timeline, never its content;
the priority set by hand; the motives a screen adds.

Services flush; the route that called them commits once.
"""

from __future__ import annotations

from typing import Any

from accounts.actor import Actor
from core import audit
from core.db import db
from triage import events, fixes, keys, links, person_links, screening
from triage.location import OUTSIDE_AREA, locate
from triage.models import Incident, Person, Priority
from triage.schemas import IncidentUpdate, PersonIn
from triage.scoring import MOTIVE_TAGS
from triage.service import (
    SYSTEM_FLAGS,
    add_timeline,
    apply_key,
    apply_location,
    apply_orders,
    apply_structured,
    check_flags,
    check_motives,
    children_dict,
    fill_person,
    mark_repeat,
    phone_index,
)


def record_motives(incident: Incident, motives: list[str], actor: Actor) -> list[str]:
    """Add a screen's motives to the incident's (validated); all the incident's motives."""
    checked = check_motives(motives)
    known = incident.motives or []
    merged = [m for m in MOTIVE_TAGS if m in {*known, *checked}]
    if merged != known:
        incident.motives = merged
        add_timeline(incident.id, "incident.corrected", actor, data={"fields": ["motives"]})
    return merged


def _same_person(person: Person, given: PersonIn) -> bool:
    """The same role and the same normalised name, or the same role and the same phone."""
    if person.role != given.role:
        return False
    name = keys.normalise_name(given.name)
    if name is not None and keys.normalise_name(person.name) == name:
        return True
    return given.phone is not None and person.phone_index == phone_index(given.phone)


def _replace_persons(incident: Incident, items: list[PersonIn], actor: Actor) -> None:
    """Replace the persons list (a PATCH sends it whole) without dropping confirmed links.

    A person that stays (`_same_person`) keeps its row, so its `record_id` (the link a
    dispatcher confirmed) and its key rows stay. A person left out of the new list is deleted
    with its keys and rejections, after `person_links.drop` took it off its record as an unlink
    does (timeline lines, audit; a record left with one person dissolved). The repeat flag
    already set stays.
    """
    left = list(incident.persons)
    pairs = []
    for given in items:
        match = next((p for p in left if _same_person(p, given)), None)
        if match is not None:
            left.remove(match)
        pairs.append((match, given))
    for dropped in left:
        person_links.drop(dropped, actor)
    incident.persons = [
        fill_person(match or Person(role=given.role), given) for match, given in pairs
    ]


SIMPLE_FIELDS = {"children_present": "children_present", "narrative": "narrative"}


def _update_case(incident: Incident, body: IncidentUpdate, changes: dict[str, Any]) -> list[str]:
    """Children and motives: structured case data, each a named change."""
    changed = []
    if "children" in changes:
        children = children_dict(body.children)
        if children != incident.children:
            incident.children = children
            changed.append("children")
        present = body.children.present if body.children else None
        if present is not None and present != incident.children_present:
            incident.children_present = present
            changed.append("children_present")
    if changes.get("motives") is not None:
        motives = check_motives(body.motives or [])
        if motives != (incident.motives or []):
            incident.motives = motives
            changed.append("motives")
    return changed


def update_incident(incident: Incident, body: IncidentUpdate, actor: Actor) -> list[str]:
    """Apply corrections; each changed field is named on the timeline (not its content)."""
    fixes.check_fix(body)
    changes = body.model_dump(exclude_unset=True)
    changed: list[str] = []
    before = incident.priority
    for field, column in SIMPLE_FIELDS.items():
        if field in changes and getattr(incident, column) != changes[field]:
            setattr(incident, column, changes[field])
            changed.append(field)
    if "caller_phone" in changes and incident.caller_phone != body.caller_phone:
        incident.caller_phone, incident.caller_phone_index = (
            body.caller_phone,
            phone_index(body.caller_phone),
        )
        changed.append("caller_phone")
    changed += _update_lists(incident, body, changes)
    changed += _update_case(incident, body, changes)
    changed += _update_location(incident, body, changes)
    if body.persons is not None:
        _replace_persons(incident, body.persons, actor)
        changed.append("persons")
    if changed:
        db.session.flush()
        mark_repeat(incident, actor)
        if apply_orders(incident, actor):
            changed.append("flags")
        moved = {"from_state": before, "to_state": incident.priority}  # CAP replays it
        priority = moved if incident.priority != before else {}
        add_timeline(incident.id, "incident.corrected", actor, data={"fields": changed}, **priority)
        audit.record("update", "incident", incident.id)
        events.publish_incident("incident.updated", incident)
    if {"flags", "children_present", "children"} & set(
        changed
    ) and incident.status in screening.UNITS_ON_IT:
        links.assignments().danger_changed(incident.id)
    return changed


def _update_lists(incident: Incident, body: IncidentUpdate, changes: dict[str, Any]) -> list[str]:
    changed = []
    if changes.get("flags") is not None:
        system = [f for f in incident.flags if f in SYSTEM_FLAGS]
        flags = sorted({*check_flags(body.flags or []), *system})
        if flags != incident.flags:
            incident.flags = flags
            raised = screening.flags_priority(flags, Priority(incident.priority))
            incident.priority = raised
            changed.append("flags")
    if changes.get("requested_skills") is not None:
        skills = sorted(set(body.requested_skills or []))
        if skills != incident.requested_skills:
            incident.requested_skills = skills
            changed.append("requested_skills")
    return changed


PINNED = ("exact", "manual")  # a point given or set by hand survives an address correction


def _given_point(incident: Incident) -> bool:
    """Whether the point was given (a phone, a pin, a source), not the address's geocoding."""
    pinned = incident.location_quality in PINNED or incident.location_source is not None
    return pinned or OUTSIDE_AREA in (incident.flags or [])


def _update_location(
    incident: Incident, body: IncidentUpdate, changes: dict[str, Any]
) -> list[str]:
    changed = []
    if "address" in changes and body.address != incident.address_text:
        incident.address_text = body.address
        changed.append("address")
    if "access_notes" in changes and body.access_notes != incident.access_notes:
        incident.access_notes = body.access_notes
        changed.append("access_notes")
    if "lat" in changes or "address" in changes:
        kept = _given_point(incident)
        lat = body.lat if "lat" in changes else (incident.lat if kept else None)
        lon = body.lon if "lon" in changes else (incident.lon if kept else None)
        radius = body.accuracy_m if "lat" in changes else incident.location_accuracy_m
        apply_location(incident, locate(incident.address_text, lat, lon, radius))
        if "lat" in changes:
            fixes.apply_fix(incident, body)
            changed.append("location")
        elif not kept:
            fixes.clear_fix(incident)
    if apply_structured(incident, body):
        changed.append("structured_address")
    if {"address", "location", "structured_address"} & set(changed):
        apply_key(incident)
    return changed


def set_priority(incident: Incident, priority: Priority, reason: str, actor: Actor) -> None:
    """Change the priority by hand (the route checks who may lower it); timeline and audit."""
    previous = Priority(incident.priority)
    incident.priority = priority
    kind = "priority.lowered" if priority > previous else "priority.raised"
    add_timeline(incident.id, kind, actor, from_state=previous, to_state=priority, detail=reason)
    audit.record("priority_override", "incident", incident.id)
    events.publish_incident("incident.updated", incident)
