"""Incidents, the people on them, risk assessments and the shared timeline."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    FetchedValue,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from core import clock
from core.db import Base, BlindIndex, CaseFloat, CaseJSON, CaseText, UTCDateTime
from triage import addresses


def format_reference(year: int | str, number: int | str) -> str:
    """An incident reference in its one canonical form, `NW-YYYY-NNNNNN`."""
    return f"NW-{year}-{int(number):06d}"


class IncidentStatus(enum.StrEnum):
    """Where a call is in its night."""

    NEW = "new"
    DISPATCHED = "dispatched"
    ON_SCENE = "on_scene"
    CLEARED = "cleared"  # every unit is clear; waiting to be closed
    CLOSED = "closed"


class Priority(enum.StrEnum):
    """P1 is the most urgent."""

    P1 = "P1"
    P2 = "P2"
    P3 = "P3"
    P4 = "P4"


class LocationQuality(enum.StrEnum):
    """How well the incident's point is known, best first."""

    EXACT = "exact"
    MANUAL = "manual"  # set on the map by a dispatcher
    STREET = "street"
    POSTCODE = "postcode"
    DISTRICT = "district"
    UNVERIFIED = "unverified"


class PersonRole(enum.StrEnum):
    """A person's part in the incident."""

    VICTIM = "victim"
    SUSPECT = "suspect"
    CHILD = "child"
    WITNESS = "witness"
    CALLER = "caller"


class Incident(Base):
    """A family-crisis call and everything the night does with it."""

    __tablename__ = "incident"
    # The board's open queue in its order: a small index of only the calls not closed.
    __table_args__ = (
        Index(
            "ix_incident_open",
            "priority",
            "received_at",
            "id",
            postgresql_where=text("status <> 'closed'"),
            sqlite_where=text("status <> 'closed'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    status: Mapped[IncidentStatus] = mapped_column(String(16), default=IncidentStatus.NEW)
    priority: Mapped[Priority] = mapped_column(String(2), default=Priority.P3)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now, index=True)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # When a unit was first assigned (set with the first assignment): the board's "since
    # dispatch" timer, read with the row instead of asked of the assignments on every update.
    dispatched_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    address_text: Mapped[str | None] = mapped_column(CaseText)
    address_normalised: Mapped[str | None] = mapped_column(CaseText)
    address_index: Mapped[str | None] = mapped_column(BlindIndex(), index=True)
    # The structured address a unit is sent (triage.addresses): the geocoder's street, the
    # typed house number and box. Access instructions live apart, never in an SMS.
    address_street: Mapped[str | None] = mapped_column(CaseText)
    address_number: Mapped[str | None] = mapped_column(CaseText)
    address_box: Mapped[str | None] = mapped_column(CaseText)
    access_notes: Mapped[str | None] = mapped_column(CaseText)
    postcode: Mapped[str | None] = mapped_column(String(8))
    district: Mapped[str | None] = mapped_column(String(64))
    # Exact coordinates locate a home: encrypted. The coarse copy (two decimals, about 1 km)
    # stays plain for overviews and statistics, and is all that anonymisation keeps.
    lat: Mapped[float | None] = mapped_column("lat_secret", CaseFloat)
    lon: Mapped[float | None] = mapped_column("lon_secret", CaseFloat)
    lat_coarse: Mapped[float | None] = mapped_column(Float)
    lon_coarse: Mapped[float | None] = mapped_column(Float)
    # How sure the point is: its radius (metres, encrypted with it), when the fix was made and
    # who gave it (triage.fixes.SOURCES); all three go with the point.
    location_accuracy_m: Mapped[float | None] = mapped_column(CaseFloat)
    location_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    location_source: Mapped[str | None] = mapped_column(String(16))
    location_quality: Mapped[LocationQuality] = mapped_column(
        String(16), default=LocationQuality.UNVERIFIED
    )
    caller_phone: Mapped[str | None] = mapped_column(CaseText)
    caller_phone_index: Mapped[str | None] = mapped_column(BlindIndex(), index=True)
    narrative: Mapped[str | None] = mapped_column(CaseText)
    flags: Mapped[list[str]] = mapped_column(JSON, default=list)
    requested_skills: Mapped[list[str]] = mapped_column(JSON, default=list)
    children_present: Mapped[bool | None] = mapped_column(Boolean)
    # The canonical address key (triage.canonical: street, number, box, postcode), encrypted;
    # `address_index` is its blind index, what repeat matching, duplicates and search compare.
    address_key: Mapped[str | None] = mapped_column(CaseText)
    # {"count": int|None, "ages": [int], "present": bool|None, "at_risk": bool|None}; case data.
    children: Mapped[dict[str, Any] | None] = mapped_column(CaseJSON)
    # Motive codes (triage.scoring.MOTIVES): they reveal e.g. orientation, so encrypted too.
    motives: Mapped[list[str] | None] = mapped_column(CaseJSON)
    disposition: Mapped[str | None] = mapped_column(String(32))
    restricted: Mapped[bool] = mapped_column(Boolean, default=False)
    restricted_reason: Mapped[str | None] = mapped_column(CaseText)
    legal_hold: Mapped[bool] = mapped_column(Boolean, default=False)
    # A training incident (`demo night`, or created with `exercise`): CAP sends it as Exercise.
    exercise: Mapped[bool] = mapped_column(Boolean, default=False)
    # The id of the EIDO this incident was created from (POST /api/v1/eido): a second copy of
    # the same EIDO reads this incident instead of creating another.
    eido_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    anonymised_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    idempotency_key: Mapped[str | None] = mapped_column(String(128), unique=True)
    idempotency_fingerprint: Mapped[str | None] = mapped_column(String(64))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_by_token_id: Mapped[int | None] = mapped_column(ForeignKey("api_token.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now, index=True)
    updated_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, default=clock.now, onupdate=clock.now
    )

    persons: Mapped[list[Person]] = relationship(
        back_populates="incident", order_by="Person.id", cascade="all, delete-orphan"
    )

    @property
    def sms_address(self) -> str:
        """The address a unit is sent: structured parts only (`triage.addresses.sms_line`)."""
        return addresses.sms_line(
            self.address_street, self.address_number, self.address_box, self.postcode, self.district
        )

    @validates("lat", "lon")
    def _keep_coarse(self, key: str, value: float | None) -> float | None:
        """Setting an exact coordinate sets its coarse copy (anonymisation keeps the coarse one)."""
        setattr(self, f"{key}_coarse", None if value is None else coarse(value))
        return value


class Person(Base):
    """Someone on an incident: victim, suspect, child, witness or caller."""

    __tablename__ = "person"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id"), index=True)
    role: Mapped[PersonRole] = mapped_column(String(16))
    name: Mapped[str | None] = mapped_column(CaseText)
    age: Mapped[int | None] = mapped_column(Integer)
    language: Mapped[str | None] = mapped_column(String(8))
    phone: Mapped[str | None] = mapped_column(CaseText)
    phone_index: Mapped[str | None] = mapped_column(BlindIndex(), index=True)
    birth_year: Mapped[int | None] = mapped_column(Integer)
    # The person record this person was confirmed to be (by a dispatcher, never automatically).
    record_id: Mapped[int | None] = mapped_column(ForeignKey("person_record.id"), index=True)

    incident: Mapped[Incident] = relationship(back_populates="persons")
    keys: Mapped[list[PersonKey]] = relationship(cascade="all, delete-orphan")


class PersonRecord(Base):
    """One real person across incidents: the persons a dispatcher confirmed to be the same."""

    __tablename__ = "person_record"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))


class PersonKey(Base):
    """A blind index a person can be found by: phone, name (with birth year), phonetic name."""

    __tablename__ = "person_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # triage.keys.KINDS
    value: Mapped[str] = mapped_column(BlindIndex(), index=True)


class PersonRejection(Base):
    """A dispatcher said two persons are not the same: the pair is not offered again."""

    __tablename__ = "person_rejection"
    __table_args__ = (UniqueConstraint("person_id", "other_person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    other_person_id: Mapped[int] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), index=True
    )
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)


class ProtectiveOrder(Base):
    """A temporary house ban (law of 15 May 2012) or a court order: who must stay away from
    whom and where, from when to when, issued by whom."""

    __tablename__ = "protective_order"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))  # house_ban | court_order | ...
    subject_name: Mapped[str | None] = mapped_column(CaseText)
    subject_birth_year: Mapped[int | None] = mapped_column(Integer)
    subject_phone: Mapped[str | None] = mapped_column(CaseText)
    # [{"name": str, "birth_year": int|None, "phone": str|None}]
    protected_persons: Mapped[list[dict[str, Any]]] = mapped_column(CaseJSON, default=list)
    address_text: Mapped[str | None] = mapped_column(CaseText)
    address_key: Mapped[str | None] = mapped_column(CaseText)
    address_index: Mapped[str | None] = mapped_column(BlindIndex(), index=True)
    valid_from: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    valid_to: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    issuing_authority: Mapped[str] = mapped_column(CaseText)
    order_reference: Mapped[str | None] = mapped_column(CaseText)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    revoke_reason: Mapped[str | None] = mapped_column(CaseText)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)
    # Restricted (a colleague is involved, say): its details for supervisors only; it still
    # raises the flags for everyone.
    restricted: Mapped[bool] = mapped_column(Boolean, default=False)
    # When retention removed its names, address and keys (kind, dates, authority stay).
    anonymised_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    keys: Mapped[list[OrderKey]] = relationship(cascade="all, delete-orphan")


class OrderKey(Base):
    """A blind index of a person named in an order (`role`: subject or protected)."""

    __tablename__ = "order_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(
        ForeignKey("protective_order.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(BlindIndex(), index=True)


class Referral(Base):
    """A referral offered to the victim (victim support, psychosocial support, the child-abuse
    confidence centre): suggested by a rule or offered by a person, then accepted or declined."""

    __tablename__ = "referral"
    __table_args__ = (UniqueConstraint("incident_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))  # suggested | offered | accepted | declined
    reason: Mapped[str | None] = mapped_column(String(64))  # why it was suggested (a code)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)


class Assessment(Base):
    """One immutable scoring of one instrument; a re-assessment is a new version."""

    __tablename__ = "assessment"
    __table_args__ = (UniqueConstraint("incident_id", "instrument_id", "version"),)
    # The version is counted by the INSERT (triage.screening): read back with RETURNING.
    __mapper_args__ = {"eager_defaults": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id"), index=True)
    instrument_id: Mapped[str] = mapped_column(String(64))
    instrument_version: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer, default=1, server_default=FetchedValue())
    answers: Mapped[dict[str, str]] = mapped_column(CaseJSON)
    score: Mapped[float] = mapped_column(Float)
    level: Mapped[str] = mapped_column(String(32))
    computed_level: Mapped[str] = mapped_column(String(32))
    unknown_count: Mapped[int] = mapped_column(Integer, default=0)
    priority: Mapped[Priority] = mapped_column(String(2))
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    override_level: Mapped[str | None] = mapped_column(String(32))
    override_reason: Mapped[str | None] = mapped_column(CaseText)
    override_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # The victim's own fear, in their words' scale (triage.trajectory), its own item: case data.
    victim_fear: Mapped[str | None] = mapped_column(CaseText)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)


class TimelineSource(enum.StrEnum):
    """Where a change came from."""

    CONSOLE = "console"
    API = "api"
    SMS = "sms"
    SYSTEM = "system"


class TimelineEvent(Base):
    """One line of the shared timeline: who did what to an incident or a unit, when."""

    __tablename__ = "status_event"
    # The statistics count escalation lines per call: a small index of only those lines.
    __table_args__ = (
        Index(
            "ix_status_event_escalation",
            "incident_id",
            postgresql_where=text("kind LIKE 'escalation.%'"),
            sqlite_where=text("kind LIKE 'escalation.%'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now, index=True)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incident.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), index=True)
    kind: Mapped[str] = mapped_column(String(48))
    from_state: Mapped[str | None] = mapped_column(String(32))
    to_state: Mapped[str | None] = mapped_column(String(32))
    detail: Mapped[str | None] = mapped_column(CaseText)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    actor_label: Mapped[str | None] = mapped_column(String(100))
    source: Mapped[TimelineSource] = mapped_column(String(16))


def coarse(value: float) -> float:
    """A coordinate rounded to two decimals: about 1.1 km north-south, 0.7 km east-west here."""
    return round(value, 2)


class GeocodeCacheEntry(Base):
    """A geocoding result, cached by the blind index of the normalised address."""

    __tablename__ = "geocode_cache"

    id: Mapped[int] = mapped_column(primary_key=True)
    address_index: Mapped[str] = mapped_column(BlindIndex(), unique=True)
    backend: Mapped[str] = mapped_column(String(32))
    quality: Mapped[LocationQuality] = mapped_column(String(16))
    lat: Mapped[float | None] = mapped_column("lat_secret", CaseFloat)  # a home, if exact
    lon: Mapped[float | None] = mapped_column("lon_secret", CaseFloat)
    postcode: Mapped[str | None] = mapped_column(String(8))
    district: Mapped[str | None] = mapped_column(String(64))
    street: Mapped[str | None] = mapped_column(CaseText)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)


class AmlReport(Base):
    """A caller's handset location (AML, triage.aml) as received: attached to the open call from
    that number, or held for the intake that follows within AML_MATCH_WINDOW_S.

    Only what locating needs is kept: the number's blind index (never the number), the point and
    its radius (encrypted), the time of the fix, confidence and method. `digest` (a hash of the
    message as received) makes the same message twice one report.
    """

    __tablename__ = "aml_report"

    id: Mapped[int] = mapped_column(primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now, index=True)
    phone_index: Mapped[str | None] = mapped_column(BlindIndex(), index=True)
    lat: Mapped[float] = mapped_column(CaseFloat)
    lon: Mapped[float] = mapped_column(CaseFloat)
    radius_m: Mapped[float | None] = mapped_column(CaseFloat)
    located_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    confidence: Mapped[int | None] = mapped_column(Integer)
    method: Mapped[str | None] = mapped_column(String(16))
    incident_id: Mapped[int | None] = mapped_column(
        ForeignKey("incident.id", ondelete="CASCADE"), index=True
    )
    applied: Mapped[bool] = mapped_column(Boolean, default=False)  # it moved the call's point
