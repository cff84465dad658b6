"""Night-team units, their members, assignments and the SMS messages."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import (
    JSON,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Time,
    event,
    insert,
    literal,
    select,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accounts.models import User
from core import clock
from core.db import Base, CaseText, UTCDateTime


def as_written(value: str) -> Any:
    """A status written into the statement rather than bound, so PostgreSQL plans it against a
    partial index on that status (`ix_assignment_active`, `ix_message_pending`) even in a
    prepared statement's generic plan."""
    return literal(value, literal_execute=True)


class UnitStatus(enum.StrEnum):
    """A unit's state; allowed transitions live in dispatch.service."""

    OFF_DUTY = "off_duty"
    AVAILABLE = "available"
    ASSIGNED = "assigned"
    ACKNOWLEDGED = "acknowledged"
    EN_ROUTE = "en_route"
    ON_SCENE = "on_scene"
    TRANSPORTING = "transporting"


class Unit(Base):
    """A two-person night-team unit reached by SMS. Call sign and phone are not case data."""

    __tablename__ = "unit"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_sign: Mapped[str] = mapped_column(String(32), unique=True)
    phone: Mapped[str] = mapped_column(String(32), unique=True)
    skills: Mapped[list[str]] = mapped_column(JSON, default=list)
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The language the system's SMS to this unit are written in (nl, fr or en).
    sms_language: Mapped[str] = mapped_column(String(2), default="nl", server_default="nl")
    status: Mapped[UnitStatus] = mapped_column(String(16), default=UnitStatus.OFF_DUTY)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    position_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Radius of the last shared position (the phone's Geolocation accuracy), when known.
    position_accuracy_m: Mapped[float | None] = mapped_column(Float)
    shift_start: Mapped[dt.time | None] = mapped_column(Time)
    shift_end: Mapped[dt.time | None] = mapped_column(Time)
    status_changed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)

    members: Mapped[list[UnitMember]] = relationship(
        back_populates="unit", cascade="all, delete-orphan", order_by="UnitMember.id"
    )


class UnitMember(Base):
    """An officer on a unit."""

    __tablename__ = "unit_member"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), unique=True)

    unit: Mapped[Unit] = relationship(back_populates="members")
    user: Mapped[User] = relationship(lazy="joined")


class AssignmentStatus(enum.StrEnum):
    """An assignment is active until the unit clears or is released."""

    ACTIVE = "active"
    CLEARED = "cleared"
    RELEASED = "released"


class Assignment(Base):
    """A unit sent to an incident."""

    __tablename__ = "assignment"
    # Which unit is on what now (board, recommendations): only the active assignments.
    __table_args__ = (
        Index(
            "ix_assignment_active",
            "unit_id",
            postgresql_where=text("status = 'active'"),
            sqlite_where=text("status = 'active'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    status: Mapped[AssignmentStatus] = mapped_column(String(16), default=AssignmentStatus.ACTIVE)
    assigned_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # The unit's first en route and on scene reports during the assignment (the statistics).
    en_route_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    on_scene_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    page_count: Mapped[int] = mapped_column(Integer, default=1)
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    # When the unit last reported (status change or SMS) and when a welfare check went out.
    last_update_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    welfare_checked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # The officer-safety flags the unit has been told by SMS (a new one is texted once).
    danger_sent: Mapped[list[str] | None] = mapped_column(JSON)

    unit: Mapped[Unit] = relationship(lazy="joined")


class AssignmentCrew(Base):
    """An officer on the unit when it was assigned. Officers reach an incident through the crew
    of its assignments (for the assignment and OFFICER_ACCESS_GRACE_H after it), never through
    the unit they are on now."""

    __tablename__ = "assignment_crew"

    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignment.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id"), primary_key=True, index=True
    )


@event.listens_for(Assignment, "after_insert")
def _record_crew(mapper: Any, connection: Any, assignment: Assignment) -> None:
    """However an assignment is made, its crew is who is on the unit at that moment."""
    connection.execute(
        insert(AssignmentCrew).from_select(
            ["assignment_id", "user_id"],
            select(literal(assignment.id), UnitMember.user_id).where(
                UnitMember.unit_id == assignment.unit_id
            ),
        )
    )


class MessageDirection(enum.StrEnum):
    """SMS out to a unit, or in from a phone."""

    OUTBOUND = "out"
    INBOUND = "in"


class MessageStatus(enum.StrEnum):
    """Outbox and delivery states (Twilio's names where they exist)."""

    PENDING = "pending"
    SENDING = "sending"
    QUEUED = "queued"
    SENT = "sent"
    DELIVERED = "delivered"
    DELIVERED_LOCALLY = "delivered_locally"
    UNDELIVERED = "undelivered"
    FAILED = "failed"
    RECEIVED = "received"


class Message(Base):
    """One SMS, out (an outbox row until delivered) or in (from a webhook)."""

    __tablename__ = "message"
    # The outbox sender's scan: only the SMS still waiting to go out.
    __table_args__ = (
        Index(
            "ix_message_pending",
            "id",
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    direction: Mapped[MessageDirection] = mapped_column(String(4))
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incident.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), index=True)
    assignment_id: Mapped[int | None] = mapped_column(ForeignKey("assignment.id"))
    kind: Mapped[str] = mapped_column(String(32), default="assignment")
    # Encrypted: an SMS from an unknown sender (and the reply to it) may be a victim's phone.
    to_number: Mapped[str] = mapped_column(CaseText)
    from_number: Mapped[str | None] = mapped_column(CaseText)
    body: Mapped[str] = mapped_column(CaseText)
    status: Mapped[MessageStatus] = mapped_column(String(24), default=MessageStatus.PENDING)
    provider_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, default=clock.now, onupdate=clock.now
    )


class AlarmSeverity(enum.StrEnum):
    """How loud an alarm is: consoles order and sound by it."""

    CRITICAL = "critical"
    HIGH = "high"
    NORMAL = "normal"


class Alarm(Base):
    """Something a person must notice, kept until its cause ends (resolved) and quieted for
    every console once someone acknowledges it. `key` names the cause: one standing alarm per
    cause (a partial unique index), so two scheduler runs raise it once. No case content here:
    texts stay in their SMS (`message_id`), read through the alarm only by those allowed."""

    __tablename__ = "alarm"
    __table_args__ = (
        Index(
            "uq_alarm_standing_key",
            "key",
            unique=True,
            sqlite_where=text("resolved_at IS NULL"),
            postgresql_where=text("resolved_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(32))
    severity: Mapped[AlarmSeverity] = mapped_column(String(16))
    audience: Mapped[str] = mapped_column(String(16), default="board")  # or "supervisors"
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incident.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    assignment_id: Mapped[int | None] = mapped_column(ForeignKey("assignment.id"), index=True)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("message.id"))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    raised_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)
