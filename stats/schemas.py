"""The statistics API's query and answer: aggregates only, no incident is ever named."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator

from core.schemas import Input, Output

MAX_DAYS = 400
EARLIEST, LATEST = dt.date(2000, 1, 1), dt.date(2199, 12, 31)


class StatisticsQuery(Input):
    """`?from=&to=&group=`: local (Europe/Brussels) dates, both included; a night belongs to the
    date it starts on. Without dates: last night (the night that started yesterday)."""

    from_: dt.date | None = Field(None, alias="from", description="first date (YYYY-MM-DD)")
    to: dt.date | None = Field(None, description="last date (YYYY-MM-DD), included")
    group: Literal["night", "week", "month"] = Field("night", description="how to group")

    @field_validator("from_", "to")
    @classmethod
    def _in_service_years(cls, day: dt.date | None) -> dt.date | None:
        # Year 1 or 9999 would overflow when turned into UTC instants or next days.
        if day is not None and not EARLIEST <= day <= LATEST:
            raise ValueError("must lie between 2000 and 2199")
        return day

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


class Durations(Output):
    """Seconds, nearest-rank percentiles over the assignments that reached that step."""

    p50: float | None = Field(description="median, nearest-rank; null without values")
    p90: float | None = Field(description="90th percentile, nearest-rank; null without values")
    count: int = Field(description="assignments that reached the step: the durations counted")


class Response(Output):
    """Per assignment of a call in the period, seconds from that assignment's `assigned_at` to
    the unit's answer. An assignment that never reached a step (released first, or a unit that
    went on scene without reporting en route) does not count in that step."""

    acknowledged: Durations = Field(
        description="→ acknowledged: the unit's first answer (OK, en route or on scene)"
    )
    en_route: Durations = Field(
        description="→ the unit's first 'en route' report on the call during the assignment"
    )
    on_scene: Durations = Field(
        description="→ the unit's first 'on scene' report on the call during the assignment"
    )


class Sms(Output):
    """Outgoing SMS (to units) about the calls in the period, by their current status."""

    sent: int = Field(
        description="handed to the SMS provider (or the local outbox), whatever came after: "
        "delivered, undelivered or failed at the provider"
    )
    delivered: int = Field(
        description="confirmed delivered (status delivered or delivered_locally)"
    )
    failed: int = Field(
        description="failed or undelivered, including those never handed over (refused, or "
        "out of attempts); SMS still pending are in none of the three"
    )


class Rate(Output):
    """Calls with a property and their share of the period's calls."""

    count: int = Field(description="calls with the property")
    share: float | None = Field(description="count / calls (0..1, 4 decimals); null without calls")


class Referrals(Output):
    """Referrals (victim support, psychosocial support, VK) on the calls in the period."""

    offered: int = Field(
        description="offered to the person: status offered, accepted or declined (a "
        "suggestion nobody offered and 'not offered' do not count)"
    )
    accepted: int = Field(description="accepted (the current answer)")


class Pickups(Output):
    """Morning handover packets picked up by the partner organisations. A night holds the
    packet of the handover (07:00) that ends it; a week or month the packets whose handover
    time falls in it."""

    packets: int = Field(description="packets built for those handover times (empty ones too)")
    on_time: int = Field(
        description="acknowledged at or before the reminder time (HANDOVER_REMINDER_TIME, 10:00)"
    )
    share: float | None = Field(description="on_time / packets (4 decimals); null without packets")


class Figures(Output):
    """The figures of one period."""

    calls: int = Field(description="real calls (incidents, exercises excluded) in the period")
    call_processing_s: CallProcessing
    by_priority: dict[str, int] = Field(description="calls per priority (P1..P4)")
    by_district: dict[str, int] = Field(description="calls per district ('unknown' when none)")
    by_hour: list[int] = Field(description="calls per local (Brussels) hour of day, 0..23")
    response_s: Response
    escalations: int = Field(
        description="escalation steps on the calls: re-page and supervisor alarm for a unit that "
        "did not acknowledge, welfare check and unanswered welfare check"
    )
    sms: Sms
    risk: dict[str, dict[str, int]] = Field(
        description="instrument id → level → calls: each call's latest assessment per "
        "instrument, the supervisor's override applied"
    )
    repeat: Rate = Field(description="calls flagged as repeat victimisation (escalation_pattern)")
    order_in_force: Rate = Field(
        description="calls flagged order_in_force (a protective order in force for the address "
        "or a person); a flag lifted since (order revoked while the call was open) not counted"
    )
    referrals: Referrals
    handover_pickups: Pickups


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
