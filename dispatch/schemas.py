"""API schemas for units."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import Field, StringConstraints, field_validator

from app.schemas import Input, Output, PageInfo, Phone
from dispatch.models import UnitStatus

Tag = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[a-z][a-z0-9_]{1,31}$")]
Lang = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[a-z]{2,3}$")]
CallSign = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9 -]{2,32}$")
]
ClockTime = Annotated[str, StringConstraints(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]


class UnitRead(Output):
    """A unit on the board."""

    id: int
    call_sign: str
    status: UnitStatus
    skills: list[str]
    languages: list[str]
    phone: str
    lat: float | None
    lon: float | None
    position_at: dt.datetime | None
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
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)
    shift_start: ClockTime | None = None
    shift_end: ClockTime | None = None
    members: list[str] | None = Field(None, max_length=4)
