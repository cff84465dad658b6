"""A settled night's figures, kept so that a month or a year is read, not recounted.

A night is settled `STATISTICS_SETTLE_DAYS` after it ends (SMS reports, escalations, referrals
and the morning's pickup have come in by then). The `statistics` job stores each settled night
once; `flask --app wsgi stats recompute` stores them again after a correction. Aggregates only:
counts, and the night's durations in seconds (to merge percentiles exactly), never an incident.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Date, Integer, LargeBinary, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core import clock
from core.db import Base, UTCDateTime


class NightFigures(Base):
    """One night's counts and durations, for one setting of the night's hours."""

    __tablename__ = "stat_night"
    __table_args__ = (UniqueConstraint("night_date", "start_hour", "end_hour"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    night_date: Mapped[dt.date] = mapped_column(Date)  # the date the night starts on
    start_hour: Mapped[int] = mapped_column(Integer)
    end_hour: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)  # stats.nightly.VERSION when computed
    counts: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Sorted float64 seconds (array('d')), per measure: call processing, acknowledged, ...
    durations: Mapped[bytes] = mapped_column(LargeBinary)
    computed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)
