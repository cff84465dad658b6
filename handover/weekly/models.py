"""The weekly triage-table list: one per Veilig Huis organisation per week, and its cases."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accounts.models import Organisation
from core import clock
from core.db import Base, CaseText, UTCDateTime
from handover.models import LegalBasis


class TriageList(Base):
    """The list of one organisation for one week (Monday `week_start`): built exactly once."""

    __tablename__ = "triage_list"
    __table_args__ = (UniqueConstraint("organisation_id", "week_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    week_start: Mapped[dt.date] = mapped_column(Date)
    window_start: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    window_end: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)
    # Sent: the organisation may read it, and it is no longer changed (None: a draft).
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    picked_up_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    picked_up_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    purged_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    organisation: Mapped[Organisation] = relationship(lazy="joined")
    entries: Mapped[list[TriageListEntry]] = relationship(
        order_by="TriageListEntry.id", cascade="all, delete-orphan"
    )


class TriageListEntry(Base):
    """A case on a list: selected by the rules (`reasons`) or added by a supervisor (with a
    reason); a supervisor's removal keeps the row, with who, when and why."""

    __tablename__ = "triage_list_entry"
    __table_args__ = (UniqueConstraint("list_id", "incident_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("triage_list.id"), index=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id"), index=True)
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)  # handover.weekly.selection
    legal_basis: Mapped[LegalBasis] = mapped_column(String(32))
    added_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    added_reason: Mapped[str | None] = mapped_column(CaseText)
    removed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    removed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    removed_reason: Mapped[str | None] = mapped_column(CaseText)
