"""API schemas for incidents, assessments and instruments."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, Field, StringConstraints, model_validator

from core.schemas import Input, LongText, Output, PageInfo, Phone, ShortText
from triage import addresses
from triage.models import IncidentStatus, PersonRole, Priority

Tag = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[a-z][a-z0-9_]{1,47}$")]
Lang = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[a-z]{2,3}$")]
AnswerValue = Literal["yes", "no", "unknown"]


def _street_name(value: str) -> str:
    if addresses.reads_as_instructions(value):
        raise ValueError("a street name only: how to get in goes in access_notes")
    return value


StreetName = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=2, max_length=120, pattern=r"^[^\W\d_][\w' .\-]*$"
    ),
    AfterValidator(_street_name),
]
HouseNo = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, to_upper=True, pattern=r"^\d{1,4}[A-Za-z]?(-\d{1,4}[A-Za-z]?)?$"
    ),
]
BoxNo = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, to_upper=True, pattern=r"^(\d[0-9A-Za-z]{0,5}|[A-Za-z]\d{0,4})$"
    ),
]
STREET = "official street name for the unit's SMS (else the geocoder's match is used)"
ACCESS_NOTES = "how to get in (bell, code, entrance): for the crew, never sent by SMS"
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=1000)]
LOCATION_SOURCE = (
    "'manual': lat/lon were set on the map by the dispatcher (quality `manual`, own timeline "
    "line); without it, lat/lon are a device's point (quality `exact`)"
)
FixSource = Literal["aml", "network", "caller", "dispatcher", "geocoder"]
ACCURACY = "radius around lat/lon in metres (> 0, at most 100 km); only with lat/lon"
LOCATED_AT = "when the point was fixed (ISO 8601 with a time zone, not in the future); with lat/lon"
FIX_SOURCE = "who gave lat/lon: aml (the phone), network, caller, dispatcher or geocoder"
# `manual` (a point set on the map) until triage.models.LocationQuality names it too.
QualityRead = Literal["exact", "manual", "street", "postcode", "district", "unverified"]


class PersonIn(Input):
    """A person named on the call."""

    role: PersonRole
    name: str | None = Field(None, max_length=200)
    age: int | None = Field(None, ge=0, le=120)
    birth_year: int | None = Field(
        None, ge=1900, le=2100, description="when known: with the name, what links earlier calls"
    )
    language: Lang | None = None
    phone: Phone | None = None


class ChildrenIn(Input):
    """The children in the household: how many, their ages, whether present and at risk."""

    count: int | None = Field(None, ge=0, le=20)
    ages: list[Annotated[int, Field(ge=0, le=17)]] = Field(default_factory=list, max_length=20)
    present: bool | None = Field(None, description="on the scene now (sets children_present)")
    at_risk: bool | None = Field(
        None, description="at risk: the child-abuse confidence centre (VK) referral is suggested"
    )

    @model_validator(mode="after")
    def _ages_fit_count(self) -> ChildrenIn:
        if self.count is not None and len(self.ages) > self.count:
            raise ValueError("more ages than children")
        return self


MotiveCode = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=48)]
MOTIVES_DOC = (
    "motive codes: racism_discrimination, anti_lgbt, sexual_violence, … (triage.scoring.MOTIVES); "
    "an unknown code is refused (422)"
)


EXERCISE = "a training incident (CAP status Exercise); never a real call"


class IncidentCreate(Input):
    """A new family-crisis call: an address and/or a point, and what the caller told."""

    address: str | None = Field(None, max_length=300)
    street: StreetName | None = Field(None, description=STREET)
    house_number: HouseNo | None = None
    box: BoxNo | None = None
    access_notes: str | None = Field(
        None,
        max_length=500,
        description="how to get in (bell, code, entrance): crew only, never by SMS",
    )
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)
    accuracy_m: float | None = Field(None, gt=0, le=100_000, description=ACCURACY)
    located_at: AwareDatetime | None = Field(None, description=LOCATED_AT)
    location_source: FixSource | None = Field(None, description=FIX_SOURCE)
    caller_phone: Phone | None = None
    persons: list[PersonIn] = Field(default_factory=list, max_length=20)
    children_present: bool | None = None
    children: ChildrenIn | None = None
    motives: list[MotiveCode] = Field(default_factory=list, max_length=10, description=MOTIVES_DOC)
    flags: list[Tag] = Field(default_factory=list, max_length=20)
    narrative: LongText | None = None
    requested_skills: list[Tag] = Field(default_factory=list, max_length=10)
    exercise: bool = Field(False, description=EXERCISE)

    @model_validator(mode="after")
    def _point_is_complete(self) -> IncidentCreate:
        if (self.lat is None) != (self.lon is None):
            raise ValueError("lat and lon go together")
        return self


class IncidentUpdate(Input):
    """Corrections to an incident; each changed field lands on the timeline."""

    address: str | None = Field(None, max_length=300)
    street: StreetName | None = Field(None, description=STREET)
    house_number: HouseNo | None = None
    box: BoxNo | None = None
    access_notes: str | None = Field(
        None,
        max_length=500,
        description="how to get in (bell, code, entrance): crew only, never by SMS",
    )
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)
    accuracy_m: float | None = Field(None, gt=0, le=100_000, description=ACCURACY)
    located_at: AwareDatetime | None = Field(None, description=LOCATED_AT)
    location_source: FixSource | Literal["manual"] | None = Field(
        None, description=f"{LOCATION_SOURCE}; else {FIX_SOURCE}"
    )
    caller_phone: Phone | None = None
    children_present: bool | None = None
    children: ChildrenIn | None = None
    motives: list[MotiveCode] | None = Field(None, max_length=10, description=MOTIVES_DOC)
    flags: list[Tag] | None = Field(None, max_length=20)
    narrative: LongText | None = None
    requested_skills: list[Tag] | None = Field(None, max_length=10)
    persons: list[PersonIn] | None = Field(None, max_length=20)

    @model_validator(mode="after")
    def _point_is_complete(self) -> IncidentUpdate:
        if ("lat" in self.model_fields_set) != ("lon" in self.model_fields_set):
            raise ValueError("lat and lon go together")
        if self.location_source == "manual" and (self.lat is None or self.lon is None):
            raise ValueError("location_source manual needs the pinned lat and lon")
        return self


class IncidentQuery(Input):
    """Filters for the incident list."""

    status: IncidentStatus | None = None
    priority: Priority | None = None
    since: dt.datetime | None = Field(None, description="received at or after (ISO 8601)")
    page: int = Field(1, ge=1, le=100_000)
    per_page: int = Field(50, ge=1, le=200)


class PersonRead(Output):
    """A person on an incident."""

    id: int
    role: PersonRole
    name: str | None
    age: int | None
    birth_year: int | None = None
    language: str | None
    phone: str | None
    record_id: int | None = Field(None, description="the person record it was confirmed to be")


class PriorIncident(Output):
    """An earlier incident at the same address or with the same caller phone."""

    id: int
    reference: str
    received_at: dt.datetime
    priority: Priority
    status: IncidentStatus
    matched_on: list[str]


class TimelineRead(Output):
    """One timeline line."""

    id: int
    occurred_at: dt.datetime
    kind: str
    from_state: str | None
    to_state: str | None
    detail: str | None
    data: dict[str, Any]
    actor: str | None
    source: str


class IncidentSummary(Output):
    """What the queue shows of an incident."""

    id: int
    reference: str
    status: IncidentStatus
    priority: Priority
    received_at: dt.datetime
    created_at: dt.datetime
    district: str | None
    postcode: str | None
    lat: float | None
    lon: float | None
    location_quality: QualityRead
    location_accuracy_m: float | None = Field(None, description="the point's radius, metres")
    flags: list[str]
    dispatched_at: dt.datetime | None = None
    restricted: bool = False
    exercise: bool = Field(False, description=EXERCISE)
    sms_address: str | None = Field(
        None, description="street, number and box (or postcode and district): the queue's address"
    )


class IncidentRead(IncidentSummary):
    """An incident with its case data."""

    updated_at: dt.datetime
    closed_at: dt.datetime | None
    address: str | None
    sms_address: str = Field(description="what the assigned unit's SMS says: street, number, box")
    access_notes: str | None
    caller_phone: str | None
    location_at: dt.datetime | None = Field(None, description="when the point was fixed")
    location_source: str | None = Field(None, description=FIX_SOURCE)
    children_present: bool | None
    children: dict[str, Any] | None = None
    motives: list[str] = Field(default_factory=list)
    narrative: str | None
    requested_skills: list[str]
    legal_hold: bool = Field(False, description="kept past retention (a supervisor's decision)")
    persons: list[PersonRead]


class IncidentDetail(IncidentRead):
    """An incident with its repeat history, assessments and timeline."""

    prior_incidents: list[PriorIncident]
    assessments: list[AssessmentRead]
    timeline: list[TimelineRead]


class IncidentList(Output):
    """A page of incidents, most urgent first."""

    items: list[IncidentSummary]
    page: PageInfo


class Judgement(Input):
    """Professional judgement raising the computed level, with its reason."""

    level: ShortText
    reason: Reason


class AssessmentCreate(Input):
    """Answers to one instrument."""

    instrument: ShortText
    answers: dict[str, AnswerValue] = Field(max_length=200)
    judgement: Judgement | None = None
    motives: list[MotiveCode] = Field(default_factory=list, max_length=10, description=MOTIVES_DOC)
    victim_fear: int | None = Field(
        None, ge=0, le=10, description="the victim's own fear, 0 (none) to 10 (fears for life)"
    )


class RecommendationRead(Output):
    """What to do next, and why."""

    code: str
    text: dict[str, str]
    reason: str
    theme: str | None = None


class AssessmentRead(Output):
    """A stored, immutable assessment."""

    id: int
    instrument: str
    version: str
    assessment_version: int
    score: float
    level: str
    computed_level: str
    unknown_count: int
    reasons: list[str]
    priority: Priority
    incident_priority: Priority
    recommendations: list[RecommendationRead]
    judgement: dict[str, str] | None
    victim_fear: int | None = None
    created_at: dt.datetime


class AssessmentList(Output):
    """All assessments of an incident, oldest first."""

    items: list[AssessmentRead]


class PriorityChange(Input):
    """Set an incident's priority by hand; lowering is a supervisor's action."""

    priority: Priority
    reason: Reason


class ItemRead(Output):
    """One question of an instrument."""

    id: str
    text: dict[str, str]
    trigger: bool = False
    weight: int | None = None
    required: bool = True


class StableItemRead(Output):
    """A stable fact: an earlier screen's yes is offered as a suggestion for valid_days."""

    item: str
    valid_days: int


class InstrumentRead(Output):
    """An instrument with its items and thresholds."""

    id: str
    version: str
    title: dict[str, str]
    description: dict[str, str] | None = None
    model: str
    levels: list[str]
    level_priority: dict[str, str]
    bands: list[dict[str, Any]]
    params: dict[str, int]
    items: list[ItemRead]
    stable_items: list[StableItemRead] = Field(default_factory=list)


class InstrumentList(Output):
    """Every loaded instrument."""

    items: list[InstrumentRead]


class ScorePreview(Input):
    """Answers to score without storing anything (live priority while typing)."""

    answers: dict[str, AnswerValue] = Field(max_length=200)
    partial: bool = Field(True, description="treat missing items as unknown")


class ScorePreviewRead(Output):
    """The level and priority these answers would give."""

    score: float
    level: str
    priority: Priority
    unknown_count: int
    reasons: list[str]


class GeocodeQuery(Input):
    """Typed address text to find candidates for; never stored or logged."""

    q: str = Field(min_length=1, max_length=300, description="the address as typed")
    limit: int = Field(5, ge=1, le=10)


class GeocodeCandidate(Output):
    """One place the typed address may mean."""

    street: str | None
    house_number: str | None
    box: str | None
    postcode: str | None
    district: str | None
    locality: str | None
    lat: float
    lon: float
    score: float = Field(description="0-100, how well the text matches")
    quality: Literal["street", "postcode", "district"]
    display: str


class GeocodeCandidates(Output):
    """Candidates, best first; empty if nothing in Antwerp matches."""

    items: list[GeocodeCandidate]


IncidentDetail.model_rebuild()
