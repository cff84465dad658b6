"""Handover notes for partner organisations and the morning packets that carry them."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import Boolean, Column, Date, ForeignKey, Integer, String, Table, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accounts.models import Organisation
from core import clock
from core.db import Base, CaseJSON, UTCDateTime


class LegalBasis(enum.StrEnum):
    """Why sharing case data with a partner is lawful (Belgian Criminal Code)."""

    CONSENT = "consent"
    CASE_CONSULTATION_458TER = "case_consultation_458ter"
    REPORT_458BIS = "report_458bis"


class Consent(enum.StrEnum):
    """Whether the person agreed to be contacted."""

    YES = "yes"
    NO = "no"
    NOT_ASKED = "not_asked"


note_target = Table(
    "handover_note_target",
    Base.metadata,
    Column("note_id", ForeignKey("handover_note.id"), primary_key=True),
    Column("organisation_id", ForeignKey("organisation.id"), primary_key=True),
)

packet_note = Table(
    "handover_packet_note",
    Base.metadata,
    Column("packet_id", ForeignKey("handover_packet.id"), primary_key=True),
    Column("note_id", ForeignKey("handover_note.id"), primary_key=True),
)


class HandoverNote(Base):
    """A structured note; a correction is a new version pointing at the one it replaces."""

    __tablename__ = "handover_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)
    # Unique: a version is corrected at most once, so two racing corrections cannot fork it.
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("handover_note.id"), unique=True)
    content: Mapped[dict[str, Any]] = mapped_column(CaseJSON)
    legal_basis: Mapped[LegalBasis] = mapped_column(String(32))
    consent: Mapped[Consent] = mapped_column(String(16))
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now, index=True)

    organisations: Mapped[list[Organisation]] = relationship(secondary=note_target)


class HandoverPacket(Base):
    """The 07:00 packet for one organisation: built exactly once per handover date."""

    __tablename__ = "handover_packet"
    __table_args__ = (UniqueConstraint("organisation_id", "handover_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    handover_date: Mapped[dt.date] = mapped_column(Date)
    window_start: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    window_end: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    reminded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    purged_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    organisation: Mapped[Organisation] = relationship(lazy="joined")
    notes: Mapped[list[HandoverNote]] = relationship(secondary=packet_note)
