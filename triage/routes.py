"""Incident, assessment and instrument API; the intake and incident pages."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user

from accounts.actor import Actor
from accounts.models import Role
from core import audit
from core.api import api, endpoint, not_found, problem
from core.i18n import lazy_gettext as _l
from core.policies import BOARD, allow, protect
from core.ratelimit import per_user
from core.schemas import PageInfo
from triage import (
    corrections,
    events,
    fixes,
    fuzzy,
    persons,
    pinning,
    referrals,
    screening,
    service,
)
from triage.access import (
    current_actor,
    incident_or_404,
    visible_incident,
    visible_prior_incidents,
)
from triage.models import Assessment, Incident, Priority
from triage.schemas import (
    AssessmentCreate,
    AssessmentList,
    AssessmentRead,
    GeocodeCandidate,
    GeocodeCandidates,
    GeocodeQuery,
    IncidentCreate,
    IncidentDetail,
    IncidentList,
    IncidentQuery,
    IncidentRead,
    IncidentUpdate,
    InstrumentList,
    InstrumentRead,
    PersonRead,
    PriorIncident,
    PriorityChange,
    RecommendationRead,
    ScorePreview,
    ScorePreviewRead,
    TimelineRead,
)

bp = Blueprint("triage", __name__)
INTAKE = allow(Role.DISPATCHER, Role.SUPERVISOR, scopes=("intake",))
SUPERVISOR = allow(Role.SUPERVISOR)


def incident_read(
    incident: Incident, model: type[IncidentRead] = IncidentRead, **extra
) -> IncidentRead:
    """Serialise an incident with its case data, for someone the guard let through: every field,
    flags and location included, restricted or not."""
    audit.read("incident", incident.id)  # every response with the case data is audited
    actor = current_actor()
    data = events.summaries([incident], actor.user)[0].model_dump()
    data |= {
        "updated_at": incident.updated_at,
        "closed_at": incident.closed_at,
        "address": incident.address_text,
        "sms_address": incident.sms_address,
        "access_notes": incident.access_notes,
        "caller_phone": incident.caller_phone,
        "location_accuracy_m": incident.location_accuracy_m,
        "location_at": incident.location_at,
        "location_source": incident.location_source,
        "children_present": incident.children_present,
        "children": incident.children,
        "motives": incident.motives or [],
        "narrative": incident.narrative,
        "requested_skills": incident.requested_skills,
        "persons": _persons_read(incident, actor),
        "legal_hold": bool(incident.legal_hold),
        "exercise": bool(incident.exercise),
    }
    if actor.token is not None and actor.token.scopes:
        data, extra = _as_sent(data, extra)
    return model.model_validate(data | extra)


def _persons_read(incident: Incident, actor: Actor) -> list[PersonRead]:
    """The persons, each with its record only if the viewer is shown it (`persons.shown_records`:
    a link to an incident hidden from them reads as none)."""
    shown = persons.shown_records(actor, incident.persons)
    return [
        PersonRead.model_validate(p).model_copy(update={"record_id": persons.record_of(p, shown)})
        for p in incident.persons
    ]


def _as_sent(data: dict, extra: dict) -> tuple[dict, dict]:
    """A scoped token (telephony) reads back its call without what the centre learned from other
    incidents (the repeat flag and the priority it raised, the person records) or did since
    (assessments, timeline); corrections of the call itself stay visible to it until the
    incident is restricted."""
    flags = [f for f in data["flags"] if f not in service.SYSTEM_FLAGS]
    priority = screening.flags_priority(flags, service.BASE_PRIORITY)
    unlinked = [p.model_copy(update={"record_id": None}) for p in data["persons"]]
    emptied = {k: [] for k in ("assessments", "timeline", "prior_incidents") if k in extra}
    data = data | {"flags": flags, "priority": priority, "persons": unlinked}
    if data.get("location_source") == "aml":  # a handset's location is the centre's, not its
        data |= dict.fromkeys(AML_LEARNED) | {"location_quality": "unverified"}
    return data, extra | emptied


# What a caller's handset location (AML) sets on a call: withheld from scoped tokens, so that a
# call made with the victim's number cannot read where her phone is.
AML_LEARNED = ("lat", "lon", "location_accuracy_m", "location_at", "location_source", "district")


def assessment_read(a: Assessment, incident_priority: str) -> AssessmentRead:
    """Serialise a stored assessment."""
    judgement = (
        {"level": a.override_level, "reason": a.override_reason} if a.override_level else None
    )
    return AssessmentRead(
        id=a.id,
        instrument=a.instrument_id,
        version=a.instrument_version,
        assessment_version=a.version,
        score=a.score,
        level=a.level,
        computed_level=a.computed_level,
        unknown_count=a.unknown_count,
        reasons=screening.reasons_of(a),
        priority=a.priority,
        incident_priority=incident_priority,
        recommendations=[
            RecommendationRead.model_validate(r) for r in screening.recommendations_of(a)
        ],
        judgement=judgement,
        victim_fear=int(a.victim_fear) if a.victim_fear is not None else None,
        created_at=a.created_at,
    )


@api.post("/incidents")
@endpoint(
    "Take a call",
    INTAKE,
    body=IncidentCreate,
    response=IncidentRead,
    status=201,
    errors=(409,),
    tags=("incidents",),
)
def create_incident(body: IncidentCreate):
    """Create an incident; an `Idempotency-Key` makes retries safe."""
    key = request.headers.get("Idempotency-Key", "").strip() or None
    if key is not None and len(key) > 128:
        raise problem(
            422,
            "validation_error",
            _l("Idempotency-Key is too long."),
            {"Idempotency-Key": _l("May be at most %(n)s characters.", n=128)},
        )
    actor = current_actor()
    incident, created = service.create_incident(body, actor, key)
    if created:  # children at risk, a hate-crime or sexual-violence motive: referrals suggested
        referrals.suggest(incident, actor, new=True)
    if not created:  # a replay reads an existing incident: the guard and the audit apply
        incident = visible_incident(actor, incident.id)  # incident_read records the view
    response = incident_read(incident).model_dump(mode="json")
    return response, 201 if created else 200


@api.get("/incidents")
@endpoint("List incidents", BOARD, query=IncidentQuery, response=IncidentList, tags=("incidents",))
def list_incidents(query: IncidentQuery):
    """The queue: filter by status, priority and since; most urgent first."""
    rows, total = service.list_incidents(
        query.status, query.priority, query.since, query.page, query.per_page
    )
    audit.record("list", "incident", object_ids=[i.id for i in rows])
    items = events.summaries(list(rows), current_user)
    return IncidentList(
        items=items, page=PageInfo(page=query.page, per_page=query.per_page, total=total)
    )


def _timeline_read(e) -> TimelineRead:
    return TimelineRead(
        id=e.id,
        occurred_at=e.occurred_at,
        kind=e.kind,
        from_state=e.from_state,
        to_state=e.to_state,
        detail=e.detail,
        data=e.data or {},
        actor=e.actor_label,
        source=e.source,
    )


@api.get("/incidents/<int:incident_id>")
@endpoint(
    "One incident with history", INTAKE, response=IncidentDetail, errors=(404,), tags=("incidents",)
)
def get_incident(incident_id: int):
    """An incident with persons, earlier incidents, assessments and timeline."""
    incident = incident_or_404(incident_id)
    prior = [
        PriorIncident(
            id=p.id,
            reference=p.reference,
            received_at=p.received_at,
            priority=p.priority,
            status=p.status,
            matched_on=on,
        )
        for p, on in visible_prior_incidents(current_actor(), incident)
    ]
    detail = incident_read(
        incident,
        IncidentDetail,
        prior_incidents=prior,
        assessments=[
            assessment_read(a, incident.priority) for a in screening.assessments(incident.id)
        ],
        timeline=[_timeline_read(e) for e in service.timeline(incident.id)],
    )
    return detail  # incident_read recorded the view


@api.patch("/incidents/<int:incident_id>")
@endpoint(
    "Correct an incident",
    BOARD,
    body=IncidentUpdate,
    response=IncidentRead,
    errors=(404,),
    tags=("incidents",),
)
def update_incident(incident_id: int, body: IncidentUpdate):
    """Correct address, point, phone, persons, flags or narrative; changes go on the timeline.

    With `"location_source": "manual"`, `lat`/`lon` are a point the dispatcher set on the map:
    quality `manual`, a `location.manual` timeline line, refused (422) outside Antwerp.
    """
    incident = incident_or_404(incident_id)
    if body.location_source == "manual":  # a point set on the map: its own rule and timeline
        fixes.check_fix(body)
        pinning.pin_location(
            incident, body.lat, body.lon, current_actor(), body.accuracy_m, body.located_at
        )
        rest = body.model_fields_set - {"lat", "lon", *fixes.FIX_FIELDS}
        body = IncidentUpdate.model_validate(body.model_dump(include=rest))
    changed = corrections.update_incident(incident, body, current_actor())
    if {"children", "motives"} & set(changed):
        referrals.suggest(incident, current_actor())
    return incident_read(incident)


@api.get("/geocode")
@per_user("geocode", "GEOCODE_RATE_LIMIT", "120 per minute")
@endpoint(
    "Address candidates",
    BOARD,
    query=GeocodeQuery,
    response=GeocodeCandidates,
    tags=("incidents",),
)
def geocode_candidates(query: GeocodeQuery):
    """Streets (fuzzy), postcode and district the typed address may mean, from shipped data.

    The text is case data: it is not stored, cached, audited or logged.
    """
    found = fuzzy.candidates(query.q, query.limit)
    return GeocodeCandidates(items=[GeocodeCandidate.model_validate(vars(c)) for c in found])


@api.post("/incidents/<int:incident_id>/assessments")
@endpoint(
    "Score a questionnaire",
    BOARD,
    body=AssessmentCreate,
    response=AssessmentRead,
    status=201,
    errors=(404, 409),
    tags=("assessments",),
)
def create_assessment(incident_id: int, body: AssessmentCreate):
    """Store a new, immutable assessment; it may raise the priority, never lower it."""
    incident = incident_or_404(incident_id)
    judgement = (body.judgement.level, body.judgement.reason) if body.judgement else None
    prior = service.count_prior(incident)  # stored and read by all: restricted ones left out
    motives = corrections.record_motives(incident, body.motives, current_actor())
    outcome = screening.assess(
        incident,
        body.instrument,
        dict(body.answers),
        judgement,
        motives,
        prior,
        current_user.id,
        body.victim_fear,
    )
    if body.instrument == screening.IMMEDIATE:  # "suspect present" may mean a breached order
        service.apply_orders(incident, current_actor())
    a = outcome.assessment
    service.add_timeline(
        incident.id,
        "assessment.scored",
        current_actor(),
        from_state=outcome.previous_priority,
        to_state=incident.priority,
        data={
            "instrument": a.instrument_id,
            "level": a.level,
            "score": a.score,
            "assessment_id": a.id,
        },
    )
    referrals.suggest(incident, current_actor())  # a screen recommends victim support
    return assessment_read(a, incident.priority)


@api.get("/incidents/<int:incident_id>/assessments")
@endpoint(
    "An incident's assessments",
    BOARD,
    response=AssessmentList,
    errors=(404,),
    tags=("assessments",),
)
def list_assessments(incident_id: int):
    """Every assessment of the incident, oldest first."""
    incident = incident_or_404(incident_id)
    rows = screening.assessments(incident.id)
    audit.record("list", "assessment", object_ids=[a.id for a in rows])
    return AssessmentList(items=[assessment_read(a, incident.priority) for a in rows])


@api.post("/incidents/<int:incident_id>/priority")
@endpoint(
    "Set the priority by hand",
    BOARD,
    body=PriorityChange,
    response=IncidentRead,
    errors=(403, 404),
    tags=("incidents",),
)
def change_priority(incident_id: int, body: PriorityChange):
    """Raise (dispatcher, supervisor) or lower (supervisor only) a priority, with a reason."""
    incident = incident_or_404(incident_id)
    previous = Priority(incident.priority)
    lowering = body.priority > previous  # "P4" > "P1": a larger number is less urgent
    if lowering and Role(current_user.role) != Role.SUPERVISOR:
        raise problem(
            403,
            "forbidden",
            _l("Only a supervisor may lower a priority."),
            {"priority": _l("Only a supervisor may lower it.")},
        )
    if body.priority != previous:
        corrections.set_priority(incident, body.priority, body.reason, current_actor())
    return incident_read(incident)


def _instrument_read(inst) -> InstrumentRead:
    return InstrumentRead(
        id=inst.id,
        version=inst.version,
        title=inst.title.model_dump(),
        description=inst.description.model_dump() if inst.description else None,
        model=inst.model,
        levels=list(inst.levels),
        level_priority=dict(inst.level_priority),
        bands=[b.model_dump() for b in inst.bands],
        params=dict(inst.params),
        items=[
            {
                "id": i.id,
                "text": i.text.model_dump(),
                "trigger": i.trigger,
                "weight": i.weight,
                "required": i.required,
            }
            for i in inst.items
        ],
        stable_items=[s.model_dump() for s in inst.stable_items],
    )


@api.get("/instruments")
@endpoint("List risk instruments", BOARD, response=InstrumentList, tags=("instruments",))
def list_instruments():
    """Every loaded instrument with its items."""
    return InstrumentList(items=[_instrument_read(i) for i in screening.instruments().values()])


@api.get("/instruments/<instrument_id>")
@endpoint(
    "One risk instrument", BOARD, response=InstrumentRead, errors=(404,), tags=("instruments",)
)
def get_instrument(instrument_id: str):
    """One instrument with items and thresholds."""
    inst = screening.instruments().get(instrument_id)
    if inst is None:
        raise not_found("instrument")
    return _instrument_read(inst)


@api.post("/instruments/<instrument_id>/preview")
@endpoint(
    "Score answers without storing them",
    BOARD,
    body=ScorePreview,
    response=ScorePreviewRead,
    errors=(404,),
    tags=("instruments",),
)
def preview_instrument(instrument_id: str, body: ScorePreview):
    """The level and priority the answers so far would give (the console's live priority)."""
    inst = screening.instruments().get(instrument_id)
    if inst is None:
        raise not_found("instrument")
    result = screening.preview(inst, dict(body.answers), body.partial)
    from triage import scoring

    return ScorePreviewRead(
        score=result.score,
        level=result.level,
        unknown_count=result.unknown_count,
        priority=scoring.level_priority(inst, result.level),
        reasons=list(result.reasons),
    )


@bp.get("/intake")
@protect(BOARD)
def intake_page():
    """The dispatcher's intake form with the questionnaire inline."""
    return render_template("triage/intake.html", base_priority=str(service.BASE_PRIORITY))


@bp.get("/incidents/<int:incident_id>")
@protect(BOARD)
def incident_page(incident_id: int):
    """One incident: case data, assessments and timeline (loaded from the API by the page)."""
    incident = incident_or_404(incident_id)
    return render_template(
        "triage/incident.html",
        incident_id=incident.id,
        reference=incident.reference,
        is_supervisor=Role(current_user.role) == Role.SUPERVISOR,
    )
