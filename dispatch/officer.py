"""An officer's phone: the assignments of their crew, status reports and the phone's position.

Every read goes through `access.crew_assignment(s)`: an officer sees an assignment while their
crew is on it and for OFFICER_ACCESS_GRACE_H after it ended, and nothing else. The view carries
what a crew needs at the door (address, access notes, safety flags, the victim's language) and
never names, the narrative or questionnaire answers.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from flask import Blueprint, jsonify, render_template, request, url_for
from flask_babel import get_locale
from pydantic import Field
from sqlalchemy import select

from accounts.actor import Actor
from accounts.models import Role, User
from core import audit, clock
from core.api import endpoint, problem
from core.db import db
from core.i18n import lazy_gettext as _l
from core.policies import PUBLIC, allow, protect
from core.ratelimit import per_user
from core.schemas import DbId, Input, Output
from dispatch import access, flows, positions
from dispatch.labels import status_label
from dispatch.models import Assignment, AssignmentStatus, Unit, UnitMember, UnitStatus
from triage.access import current_actor
from triage.labels import PRIORITIES
from triage.models import Incident, PersonRole
from triage.safety import LABELS as SAFETY_LABELS
from triage.safety import safety_of

bp = Blueprint("officer", __name__)
api = Blueprint("officer_api", __name__, url_prefix="/api/v1")
OFFICER = allow(Role.OFFICER)
TAGS = ("officer",)


# --- schemas ---------------------------------------------------------------------------------


class Labelled(Output):
    """A code and its label in the reader's language."""

    code: str
    label: str


class OfficerUnit(Output):
    """The officer's unit now."""

    id: int
    call_sign: str
    status: str
    status_label: str
    on_duty: bool


class OfficerAssignment(Output):
    """What a crew needs at the door: no names, no narrative, no answers."""

    id: int
    incident_id: int
    reference: str
    priority: str
    priority_label: str
    active: bool
    ended_at: dt.datetime | None
    address: str = Field(description="the structured address on one line")
    street: str | None
    number: str | None
    box: str | None
    postcode: str | None
    district: str | None
    geo: str | None = Field(description="geo: link for the phone's navigation app")
    access_notes: str | None
    flags: list[Labelled]
    prior_incidents: int = Field(description="earlier incidents at the address (a count)")
    languages: list[Labelled] = Field(description="the victims' languages")
    interpreter_needed: bool
    note_url: str


class RecentAssignment(Output):
    """An assignment of the crew that ended within the grace: its reference and page."""

    id: int
    reference: str
    ended_at: dt.datetime | None
    url: str


class OfficerView(Output):
    """The officer's phone page as data."""

    unit: OfficerUnit | None
    assignments: list[OfficerAssignment]
    recent: list[RecentAssignment]


class ReportBody(Input):
    """A status button or NOOD (the SMS codes); `assignment_id`: the one it is about."""

    code: Literal["ack", "en_route", "on_scene", "clear", "distress"]
    assignment_id: DbId | None = None


class ReportRead(Output):
    """What the report did."""

    code: str
    assignment_id: int | None
    checked_in: bool
    unit: OfficerUnit


class PositionBody(Input):
    """The phone's position (Geolocation API) and its accuracy radius in metres."""

    lat: float = Field(ge=-90, le=90, allow_inf_nan=False)
    lon: float = Field(ge=-180, le=180, allow_inf_nan=False)
    accuracy_m: float = Field(gt=0, le=100_000, allow_inf_nan=False)


class PositionRead(Output):
    """When the position was recorded."""

    recorded_at: dt.datetime


# --- the view --------------------------------------------------------------------------------


def own_unit(user: User) -> Unit | None:
    """The unit the officer is on now."""
    member = db.session.execute(
        select(UnitMember).where(UnitMember.user_id == user.id)
    ).scalar_one_or_none()
    return member.unit if member else None


def unit_read(unit: Unit | None) -> OfficerUnit | None:
    """The unit as the phone shows it."""
    if unit is None:
        return None
    status = str(unit.status)
    return OfficerUnit(
        id=unit.id,
        call_sign=unit.call_sign,
        status=status,
        status_label=str(status_label(status)),
        on_duty=status != UnitStatus.OFF_DUTY,
    )


def _languages(incident: Incident) -> list[str]:
    found = [p.language for p in incident.persons if p.role == PersonRole.VICTIM and p.language]
    return list(dict.fromkeys(found))


def _language_name(code: str) -> str:
    name = get_locale().languages.get(code) if get_locale() else None
    return name or code


def _geo(incident: Incident) -> str | None:
    if incident.lat is None or incident.lon is None:
        return None
    point = f"{incident.lat:.6f},{incident.lon:.6f}"
    return f"geo:{point}?q={point}"


def _place(incident: Incident) -> dict[str, Any]:
    """Where to go: the structured address, one line of it and the navigation link."""
    return {
        "address": incident.sms_address,
        "street": incident.address_street,
        "number": incident.address_number,
        "box": incident.address_box,
        "postcode": incident.postcode,
        "district": incident.district,
        "geo": _geo(incident),
        "access_notes": incident.access_notes,
    }


def _door(incident: Incident, unit: Unit) -> dict[str, Any]:
    """What waits at the door: safety flags, earlier incidents (a count), the victims' languages
    and whether the unit needs an interpreter for them."""
    safety = safety_of(incident)
    languages = _languages(incident)
    spoken = set(unit.languages or [])
    return {
        "flags": [Labelled(code=f, label=str(SAFETY_LABELS[f])) for f in safety.flags],
        "prior_incidents": safety.prior_incidents,
        "languages": [Labelled(code=c, label=_language_name(c)) for c in languages],
        "interpreter_needed": any(c != "nl" and c not in spoken for c in languages),
    }


def assignment_read(assignment: Assignment) -> OfficerAssignment:
    """One assignment for its crew (a read of its incident, audited)."""
    incident = db.session.get(Incident, assignment.incident_id)
    audit.read("incident", incident.id)
    return OfficerAssignment(
        id=assignment.id,
        incident_id=incident.id,
        reference=incident.reference,
        priority=str(incident.priority),
        priority_label=str(PRIORITIES.get(str(incident.priority), incident.priority)),
        active=assignment.status == AssignmentStatus.ACTIVE,
        ended_at=assignment.ended_at,
        note_url=url_for("handover.note_page", incident_id=incident.id),
        **_place(incident),
        **_door(incident, assignment.unit),
    )


def recent_read(assignment: Assignment) -> RecentAssignment:
    """An ended assignment in the list: its reference and its page."""
    reference = db.session.execute(
        select(Incident.reference).where(Incident.id == assignment.incident_id)
    ).scalar_one()
    url = url_for("officer.assignment_page", assignment_id=assignment.id)
    return RecentAssignment(
        id=assignment.id, reference=reference, ended_at=assignment.ended_at, url=url
    )


def current_view(actor: Actor) -> OfficerView:
    """The officer's unit, the crew's active assignments and those ended within the grace."""
    crew = access.crew_assignments(actor)
    active = [a for a in crew if a.status == AssignmentStatus.ACTIVE]
    ended = sorted((a for a in crew if a not in active), key=lambda a: a.id, reverse=True)
    return OfficerView(
        unit=unit_read(own_unit(actor.user)),
        assignments=[assignment_read(a) for a in active],
        recent=[recent_read(a) for a in ended],
    )


def one_view(actor: Actor, assignment_id: int) -> OfficerView:
    """The view of one crew assignment (404 for anyone not on its crew, or after the grace)."""
    assignment = access.crew_assignment(actor, assignment_id)
    unit = unit_read(own_unit(actor.user))
    return OfficerView(unit=unit, assignments=[assignment_read(assignment)], recent=[])


def render_page(view: OfficerView, source: str, assignment_id: int | None = None) -> str:
    """The phone page around a view; its script re-reads `source` whenever told to."""
    return render_template("unit.html", view=view, source=source, assignment_id=assignment_id)


# --- pages -----------------------------------------------------------------------------------


@bp.get("/unit/assignments/<int:assignment_id>")
@protect(OFFICER)
def assignment_page(assignment_id: int):
    """One assignment of the officer's crew, active or ended within the grace (else 404)."""
    view = one_view(current_actor(), assignment_id)
    source = url_for("officer_api.my_assignment_one", assignment_id=assignment_id)
    return render_page(view, source, assignment_id)


@bp.get("/manifest.webmanifest")
@protect(PUBLIC)
def manifest():
    """The web app manifest: the officer's page on the phone's home screen."""
    icon = url_for("static", filename="unit-icon.svg")
    response = jsonify(
        {
            "name": "Nachtwacht",
            "short_name": "Nachtwacht",
            "start_url": url_for("pages.my_unit"),
            "scope": "/",
            "display": "standalone",
            "background_color": "#0f2740",
            "theme_color": "#0f2740",
            "icons": [{"src": icon, "sizes": "any", "type": "image/svg+xml", "purpose": "any"}],
        }
    )
    response.mimetype = "application/manifest+json"
    return response


# --- API -------------------------------------------------------------------------------------


@api.get("/me/assignment")
@endpoint("My unit and its assignments", OFFICER, response=OfficerView, tags=TAGS)
def my_assignment():
    """The officer's unit, the crew's active assignments and those ended within the grace."""
    return current_view(current_actor())


@api.get("/me/assignments/<int:assignment_id>")
@endpoint("One of my crew's assignments", OFFICER, response=OfficerView, errors=(404,), tags=TAGS)
def my_assignment_one(assignment_id: int):
    """One assignment of the officer's crew, active or ended within the grace (else 404)."""
    return one_view(current_actor(), assignment_id)


def _is_distress() -> bool:
    """NOOD is never refused for tapping too often."""
    body = request.get_json(silent=True)
    return isinstance(body, dict) and body.get("code") == "distress"


def _unit_or_409(actor: Actor) -> Unit:
    unit = own_unit(actor.user)
    if unit is None:
        message = _l("You are not on a unit tonight.")
        raise problem(409, "conflict", message, {"unit": message})
    return unit


def _reference(actor: Actor, unit: Unit, body: ReportBody) -> str | None:
    """The reference of the assignment the report is about (None: the unit's current one)."""
    if body.assignment_id is None:
        return None
    assignment = access.crew_assignment(actor, body.assignment_id)
    mine = assignment.unit_id == unit.id and assignment.status == AssignmentStatus.ACTIVE
    if not mine and body.code != "distress":  # NOOD goes out whatever it names
        message = _l("This assignment is no longer your unit's.")
        raise problem(409, "conflict", message, {"assignment_id": message})
    incident = db.session.get(Incident, assignment.incident_id)
    return incident.reference if mine else None


@api.post("/me/report")
@per_user("officer-report", "OFFICER_REPORT_RATE_LIMIT", "30 per minute", exempt_when=_is_distress)
@endpoint(
    "Report from my phone",
    OFFICER,
    body=ReportBody,
    response=ReportRead,
    errors=(404, 409, 429),
    tags=TAGS,
)
def report_status(body: ReportBody):
    """A status button or NOOD: exactly what the unit's SMS code does."""
    actor = current_actor()
    unit = _unit_or_409(actor)
    result = flows.report(unit, body.code, actor, reference=_reference(actor, unit, body))
    assignment = result.assignment
    return ReportRead(
        code=result.code,
        assignment_id=assignment.id if assignment else None,
        checked_in=result.checked_in,
        unit=unit_read(unit),
    )


@api.post("/me/position")
@per_user("officer-position", "OFFICER_POSITION_RATE_LIMIT", "12 per minute")
@endpoint(
    "Share my phone's position",
    OFFICER,
    body=PositionBody,
    response=PositionRead,
    errors=(409, 429),
    tags=TAGS,
)
def share_position(body: PositionBody):
    """The unit's position from the officer's phone, only while it is on duty (else 409)."""
    unit = _unit_or_409(current_actor())
    if unit.status == UnitStatus.OFF_DUTY:
        message = _l("Your unit is off duty: its position is not shared.")
        raise problem(409, "conflict", message, {"unit": message})
    now = clock.now()
    positions.record_position(unit, body.lat, body.lon, body.accuracy_m, now)
    return PositionRead(recorded_at=now)
