"""Units API: the board's list and administration."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from accounts.models import Role
from core import audit, clock
from core.api import api, endpoint, not_found, problem
from core.db import db
from core.i18n import lazy_gettext as _l
from core.policies import BOARD, allow
from core.ratelimit import per_user
from core.schemas import PageInfo, PageQuery
from dispatch import access, flows, positions, ranking, service
from dispatch.models import Assignment, Message, Unit, UnitStatus
from dispatch.reasons import location_reason, reason_lines
from dispatch.schemas import (
    AssignmentCreate,
    AssignmentList,
    AssignmentRead,
    MessageList,
    MessageRead,
    RecommendationList,
    RecommendationRead,
    ReleaseBody,
    UnitCreate,
    UnitList,
    UnitMessage,
    UnitRead,
    UnitStatusChange,
    UnitUpdate,
)
from dispatch.service import TransitionError, on_shift
from triage import fixes
from triage.access import current_actor, incident_or_404
from triage.models import Incident, PersonRole
from triage.service import add_timeline

UNIT_ADMIN = allow(Role.ADMIN, Role.SUPERVISOR)


def unit_read(unit: Unit, incident_id: int | None = None, *, hidden: bool = False) -> UnitRead:
    """Serialise a unit for the API and the board; `hidden`: it serves a restricted incident the
    reader may not see, so its position and that incident stay out."""
    read = UnitRead.model_validate(
        {
            **{
                c: getattr(unit, c)
                for c in (
                    "id",
                    "call_sign",
                    "status",
                    "skills",
                    "languages",
                    "sms_language",
                    "phone",
                )
            },
            **{
                c: getattr(unit, c)
                for c in (
                    "lat",
                    "lon",
                    "position_at",
                    "position_accuracy_m",
                    "shift_start",
                    "shift_end",
                )
            },
            "members": [m.user.display_name for m in unit.members],
            "current_incident": incident_id,
            "position_stale": positions.marked_stale(unit, clock.now(), positions.stale_limit_s()),
        }
    )
    if hidden:
        gone = {
            "lat": None,
            "lon": None,
            "position_at": None,
            "position_accuracy_m": None,
            "position_stale": False,
        }
        return read.model_copy(update=gone)
    return read


def units_read(units: list[Unit], current: dict[int, int]) -> list[UnitRead]:
    """Units for the current reader (positions of units on hidden incidents left out)."""
    hidden = access.hidden_incidents(current_actor(), set(current.values()))
    return [unit_read(u, current.get(u.id), hidden=current.get(u.id) in hidden) for u in units]


@api.get("/units")
@endpoint(
    "List units",
    allow(Role.DISPATCHER, Role.SUPERVISOR, Role.ADMIN),
    query=PageQuery,
    response=UnitList,
    tags=("units",),
)
def list_units(query: PageQuery):
    """Every unit with status, skills, languages, phone, position and current incident."""
    units, total = service.list_units(query.page, query.per_page)
    current = service.current_incidents([u.id for u in units])
    items = units_read(units, current)
    return UnitList(
        items=items, page=PageInfo(page=query.page, per_page=query.per_page, total=total)
    )


@api.post("/units")
@endpoint(
    "Create a unit",
    UNIT_ADMIN,
    body=UnitCreate,
    response=UnitRead,
    status=201,
    errors=(409,),
    tags=("units",),
)
def create_unit(body: UnitCreate):
    """Add a unit (it starts off duty)."""
    unit = service.create_unit(body.model_dump())
    return unit_read(unit)


@api.patch("/units/<int:unit_id>")
@endpoint(
    "Change a unit",
    UNIT_ADMIN,
    body=UnitUpdate,
    response=UnitRead,
    errors=(404, 409),
    tags=("units",),
)
def update_unit(unit_id: int, body: UnitUpdate):
    """Edit a unit's call sign, phone, skills, languages, position, shift or members."""
    unit = db.session.get(Unit, unit_id)
    if unit is None:
        raise not_found("unit")
    changes = body.model_dump(exclude_unset=True)
    current = service.current_incidents([unit.id])
    if "phone" in changes and changes["phone"] != unit.phone and current:
        raise problem(
            409,
            "conflict",
            _l("Change a unit's phone when it is on no incident."),
            {"phone": _l("The unit is on an incident.")},
        )
    service.update_unit(unit, changes)
    return units_read([unit], current)[0]


# --- status, recommendations, assignments, messages ---------------------------------------------


@api.post("/units/<int:unit_id>/status")
@endpoint(
    "Change a unit's status",
    BOARD,
    body=UnitStatusChange,
    response=UnitRead,
    errors=(404, 409),
    tags=("units",),
)
def change_unit_status(unit_id: int, body: UnitStatusChange):
    """Move a unit through its state machine (409 names the current and requested state)."""
    unit = access.reachable_unit(current_actor(), unit_id)
    if body.lat is not None and body.lon is not None:  # before: ending an assignment may blur it
        positions.record_position(unit, body.lat, body.lon, None, clock.now())
    actor = current_actor()
    assignment = flows.change_status(unit, UnitStatus(body.status), actor)
    if body.reason and body.reason.strip():
        incident_id = assignment.incident_id if assignment else None
        add_timeline(
            incident_id, "unit.status_reason", actor, unit_id=unit.id, detail=body.reason.strip()
        )
    return unit_read(
        unit, assignment.incident_id if assignment and assignment.status == "active" else None
    )


def _language(incident: Incident) -> str | None:
    victims = [p for p in incident.persons if p.role == PersonRole.VICTIM and p.language]
    return victims[0].language if victims else None


@api.get("/incidents/<int:incident_id>/recommendations")
@endpoint(
    "Rank available units", BOARD, response=RecommendationList, errors=(404,), tags=("dispatch",)
)
def recommend(incident_id: int):
    """Available, on-shift units ranked by skills, the victim's language and travel time, as the
    incident's priority weighs them (SKILL_MARGIN_S), each with why in the user's language."""
    incident = incident_or_404(incident_id)
    audit.read("incident", incident.id)  # the ranking carries its location and the language
    now, zone = clock.now(), clock.zone()
    units = (
        db.session.execute(select(Unit).where(Unit.status == UnitStatus.AVAILABLE))
        .unique()
        .scalars()
    )
    stale_s = positions.stale_limit_s()  # an older position ranks as unknown, and says so
    candidates = [positions.candidate(u, now, stale_s) for u in units if on_shift(u, now, zone)]
    priority = str(incident.priority)
    margin = current_app.config.get("SKILL_MARGIN_S", {}).get(priority)  # absent: unlimited
    params = ranking.RankingParams(
        speed_kmh=current_app.config.get("RANKING_SPEED_KMH", 40.0),
        detour_factor=current_app.config.get("RANKING_DETOUR_FACTOR", 1.3),
        skill_margin_s=margin,
    )
    language = _language(incident)
    located = location_reason(incident.location_accuracy_m, fixes.age_s(incident, now))
    ranked = ranking.rank_units(
        incident.lat, incident.lon, candidates, incident.requested_skills, language, params
    )
    items = [
        RecommendationRead(
            unit_id=r.unit_id,
            call_sign=r.call_sign,
            distance_m=r.distance_m,
            eta_s=r.eta_s,
            matched=list(r.matched),
            missing=list(r.missing),
            language_match=r.language_match,
            rule=r.rule.code,
            reasons=reason_lines(r, priority, located),
        )
        for r in ranked
    ]
    return RecommendationList(
        items=items,
        required_skills=incident.requested_skills,
        language=language,
        priority=priority,
        skill_margin_s=margin,
    )


def assignment_read(a: Assignment) -> AssignmentRead:
    """Serialise an assignment (a read of its incident, audited once per request)."""
    audit.read("incident", a.incident_id)
    return AssignmentRead(
        id=a.id,
        incident_id=a.incident_id,
        unit_id=a.unit_id,
        call_sign=a.unit.call_sign,
        status=a.status,
        assigned_at=a.assigned_at,
        acknowledged_at=a.acknowledged_at,
        ended_at=a.ended_at,
        page_count=a.page_count,
        escalation_level=a.escalation_level,
    )


@api.post("/incidents/<int:incident_id>/assignments")
@endpoint(
    "Assign a unit",
    BOARD,
    body=AssignmentCreate,
    response=AssignmentRead,
    status=201,
    errors=(404, 409),
    tags=("dispatch",),
)
def create_assignment(incident_id: int, body: AssignmentCreate):
    """Send a unit (409 when it is no longer available); `replaces` re-assigns."""
    incident = incident_or_404(incident_id)
    unit = access.reachable_unit(current_actor(), body.unit_id)
    if body.replaces:
        old = access.visible_assignment(current_actor(), body.replaces)
        if old.incident_id != incident.id:
            raise not_found("assignment")  # the same answer as for a missing one
        flows.release(old, current_actor(), f"re-assigned to {unit.call_sign}")
    assignment = flows.assign_unit(incident, unit, current_actor())
    flows.deliver_soon(current_app._get_current_object())
    return assignment_read(assignment)


@api.get("/incidents/<int:incident_id>/assignments")
@endpoint(
    "An incident's assignments", BOARD, response=AssignmentList, errors=(404,), tags=("dispatch",)
)
def list_assignments(incident_id: int):
    """Every assignment of the incident, oldest first."""
    incident = incident_or_404(incident_id)
    audit.read("incident", incident.id)  # even an empty list says something about it
    rows = db.session.execute(
        select(Assignment).where(Assignment.incident_id == incident.id).order_by(Assignment.id)
    ).scalars()
    return AssignmentList(items=[assignment_read(a) for a in rows])


@api.post("/assignments/<int:assignment_id>/release")
@endpoint(
    "Release a unit",
    BOARD,
    body=ReleaseBody,
    response=AssignmentRead,
    errors=(404, 409),
    tags=("dispatch",),
)
def release_assignment(assignment_id: int, body: ReleaseBody):
    """Take a unit off an incident; it becomes available and is told by SMS."""
    assignment = access.visible_assignment(current_actor(), assignment_id)
    try:
        flows.release(assignment, current_actor(), body.reason)
    except (flows.DispatchError, TransitionError) as exc:
        raise problem(409, "conflict", exc.message, exc.fields) from None  # the edge rolls back
    flows.deliver_soon(current_app._get_current_object())
    return assignment_read(assignment)


@api.get("/incidents/<int:incident_id>/messages")
@endpoint(
    "An incident's SMS thread", BOARD, response=MessageList, errors=(404,), tags=("dispatch",)
)
def list_messages(incident_id: int):
    """SMS out and in for the incident, oldest first."""
    incident = incident_or_404(incident_id)
    rows = (
        db.session.execute(
            select(Message).where(Message.incident_id == incident.id).order_by(Message.id)
        )
        .scalars()
        .all()
    )
    audit.record("list", "message", object_ids=[m.id for m in rows])
    return MessageList(items=[MessageRead.model_validate(m) for m in rows])


@api.post("/units/<int:unit_id>/messages")
@per_user("unit-texts", "UNIT_TEXT_RATE_LIMIT", "20 per minute")  # not a chat line
@endpoint(
    "Send a unit an SMS",
    BOARD,
    body=UnitMessage,
    response=MessageRead,
    status=201,
    errors=(404, 409),
    tags=("units",),
)
def message_unit(unit_id: int, body: UnitMessage):
    """A free-text SMS to a unit, about the incident it is on (on that incident's timeline)."""
    actor = current_actor()
    unit = access.reachable_unit(actor, unit_id)
    incident = incident_or_404(body.incident_id) if body.incident_id is not None else None
    message = flows.message_unit(unit, incident, body.text.strip(), actor)
    db.session.flush()
    flows.deliver_soon(current_app._get_current_object())
    return MessageRead.model_validate(message)
