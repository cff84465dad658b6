"""The statistics API's query and answer: aggregates only, no incident is ever named."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator

from core.schemas import Input, Output

MAX_DAYS = 400


class StatisticsQuery(Input):
    """`?from=&to=&group=`: local (Europe/Brussels) dates, both included; a night belongs to the
    date it starts on. Without dates: last night (the night that started yesterday)."""

    from_: dt.date | None = Field(None, alias="from", description="first date (YYYY-MM-DD)")
    to: dt.date | None = Field(None, description="last date (YYYY-MM-DD), included")
    group: Literal["night", "week", "month"] = Field("night", description="how to group")

    @field_validator("to")
    @classmethod
    def _to_after_from(cls, to: dt.date | None, info: ValidationInfo) -> dt.date | None:
        first = info.data.get("from_")
        if to is None or first is None:
            return to
        if to < first:
            raise ValueError("must not be before from")
        if (to - first).days + 1 > MAX_DAYS:
            raise ValueError("the range may span at most 400 days")
        return to


class CallProcessing(Output):
    """Call processing time in seconds: incident created → first unit assigned. Calls that never
    had a unit assigned do not count in these durations (they do count in `calls`)."""

    p50: float | None = Field(description="median, nearest-rank; null without assigned calls")
    p90: float | None = Field(description="90th percentile, nearest-rank")
    met_60s: float | None = Field(
        description="share (0..1) assigned within 60 s (NFPA 1225: 90 % within 60 s)"
    )
    assigned: int = Field(description="calls with a unit assigned: the durations counted")


class Figures(Output):
    """The figures of one period."""

    calls: int = Field(description="real calls (incidents, exercises excluded) in the period")
    call_processing_s: CallProcessing
    by_priority: dict[str, int] = Field(description="calls per priority (P1..P4)")
    by_district: dict[str, int] = Field(description="calls per district ('unknown' when none)")
    by_hour: list[int] = Field(description="calls per local (Brussels) hour of day, 0..23")


class Group(Figures):
    """One night, week or month."""

    start: dt.datetime = Field(description="start (UTC, included)")
    end: dt.datetime = Field(description="end (UTC, excluded)")
    label: str = Field(description="the night's date, ISO week (2031-W07) or month (2031-02)")


class StatisticsRead(Figures):
    """Statistics for a range: totals at the top level, the same figures per group."""

    from_: dt.date = Field(serialization_alias="from")
    to: dt.date
    group: str
    timezone: str
    night_hours: list[int] = Field(description="[start hour, end hour] of a night, local")
    target_s: int = Field(description="the call-processing target in seconds (NFPA 1225)")
    groups: list[Group]
