"""API schemas for units."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, field_validator

from core.schemas import DbId, Input, Output, PageInfo, Phone
from dispatch.models import UnitStatus

Tag = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[a-z][a-z0-9_]{1,31}$")]
Lang = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[a-z]{2,3}$")]
CallSign = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9 -]{2,32}$")
]
SmsLanguage = Literal["nl", "fr", "en"]
ClockTime = Annotated[str, StringConstraints(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]


class UnitRead(Output):
    """A unit on the board."""

    id: int
    call_sign: str
    status: UnitStatus
    skills: list[str]
    languages: list[str]
    sms_language: str = "nl"
    phone: str
    lat: float | None
    lon: float | None
    position_at: dt.datetime | None
    position_accuracy_m: float | None = None
    position_stale: bool = Field(
        False, description="position older than UNIT_POSITION_STALE_S: ranked as unknown"
    )
    shift_start: str | None
    shift_end: str | None
    members: list[str]
    current_incident: int | None = None

    @field_validator("shift_start", "shift_end", mode="before")
    @classmethod
    def _clock(cls, value: object) -> object:
        return value.strftime("%H:%M") if isinstance(value, dt.time) else value


class UnitList(Output):
    """Units, a page at a time."""

    items: list[UnitRead]
    page: PageInfo


class UnitCreate(Input):
    """A new unit; it starts off duty."""

    call_sign: CallSign
    phone: Phone
    skills: list[Tag] = Field(default_factory=list, max_length=20)
    languages: list[Lang] = Field(default_factory=list, max_length=20)
    sms_language: SmsLanguage = Field("nl", description="language of the SMS the unit gets")
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)
    shift_start: ClockTime | None = None
    shift_end: ClockTime | None = None
    members: list[str] = Field(default_factory=list, max_length=4, description="Officer usernames")


class UnitUpdate(Input):
    """Changes to a unit's description (its status changes through the status endpoint)."""

    call_sign: CallSign | None = None
    phone: Phone | None = None
    skills: list[Tag] | None = Field(None, max_length=20)
    languages: list[Lang] | None = Field(None, max_length=20)
    sms_language: SmsLanguage | None = None
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)
    shift_start: ClockTime | None = None
    shift_end: ClockTime | None = None
    members: list[str] | None = Field(None, max_length=4)

    @field_validator("call_sign", "phone", "sms_language", mode="before")
    @classmethod
    def _not_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("may be changed, not removed")
        return value


class UnitStatusChange(Input):
    """A status change from the console, optionally with a new position."""

    status: UnitStatus
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)
    reason: str | None = Field(
        None, max_length=500, description="why it was set by hand (radio call, no phone): timeline"
    )


class UnitMessage(Input):
    """A free-text SMS from the console to a unit (it lands on the incident's timeline)."""

    text: str = Field(min_length=1, max_length=300, description="no names or case details")
    incident_id: int | None = Field(None, description="the incident the unit is on, if any")


class RecommendationRead(Output):
    """An available unit, ranked, with why."""

    unit_id: int
    call_sign: str
    distance_m: float | None
    eta_s: float | None
    matched: list[str]
    missing: list[str]
    language_match: bool | None
    rule: str = Field(
        description="the rule that placed the unit: match_first, nearest, within_margin, "
        "beyond_margin, farther, position_unknown_last or no_travel_times"
    )
    reasons: list[str] = Field(
        description="one line each, in the user's language: the rule first, then travel, "
        "skills and language"
    )


class RecommendationList(Output):
    """Ranked available units for an incident."""

    items: list[RecommendationRead]
    required_skills: list[str]
    language: str | None
    priority: str
    skill_margin_s: float | None = Field(
        description="seconds of travel a better match may cost per step at this priority; "
        "null: the match class comes strictly first"
    )


class AssignmentCreate(Input):
    """Send a unit; `replaces` releases another assignment in the same transaction."""

    unit_id: DbId
    replaces: DbId | None = Field(None, description="assignment id to release (re-assign)")


class AssignmentRead(Output):
    """An assignment."""

    id: int
    incident_id: int
    unit_id: int
    call_sign: str
    status: str
    assigned_at: dt.datetime
    acknowledged_at: dt.datetime | None
    ended_at: dt.datetime | None
    page_count: int
    escalation_level: int


class AssignmentList(Output):
    """An incident's assignments."""

    items: list[AssignmentRead]


class ReleaseBody(Input):
    """Why a unit is taken off an incident."""

    reason: str = Field(min_length=3, max_length=500)


class MessageRead(Output):
    """One SMS of an incident's thread."""

    id: int
    direction: str
    kind: str
    to: str = Field(validation_alias="to_number")
    from_: str | None = Field(None, validation_alias="from_number", serialization_alias="from")
    body: str
    status: str
    provider_sid: str | None
    attempts: int
    last_error: str | None
    created_at: dt.datetime
    sent_at: dt.datetime | None
    updated_at: dt.datetime


class MessageList(Output):
    """An incident's SMS thread, oldest first."""

    items: list[MessageRead]
