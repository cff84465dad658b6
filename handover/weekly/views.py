"""What a list page shows of each case: reference, district, latest levels and their trajectory,
referrals, the legal basis and why it is on the list. Never names, narrative or addresses.

Levels, trajectory and referrals are read from triage when the page is shown (a supervisor's
later re-assessment shows), through triage's query functions; the trajectory uses only earlier
incidents the reader may see (a restricted one stays out), and never an exercise.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from accounts.actor import Actor
from accounts.models import User
from core import clock
from core.db import db
from handover.weekly.models import TriageList, TriageListEntry
from triage import referral_rules, screening, trajectory
from triage.explain import language
from triage.labels import level_label
from triage.models import Incident
from triage.trajectory_table import text


@dataclass
class CaseRow:
    """One case as the page shows it."""

    entry_id: int
    reference: str
    district: str | None
    received_at: dt.datetime | None
    reasons: list[str]
    legal_basis: str
    levels: list[dict[str, Any]] = field(default_factory=list)
    referrals: list[dict[str, str]] = field(default_factory=list)
    added: dict[str, Any] | None = None
    removed: dict[str, Any] | None = None


def _username(user_id: int | None) -> str | None:
    user = db.session.get(User, user_id) if user_id else None
    return user.username if user else None


def _title(instrument_id: str) -> str:
    inst = screening.instruments().get(instrument_id)
    if inst is None:
        return instrument_id
    return text(inst.title)


def levels(actor: Actor, incident: Incident) -> list[dict[str, Any]]:
    """Per instrument: the latest level, and the earlier levels of the same person or address."""
    earlier = [i for i, _ in trajectory.earlier_incidents(actor, incident) if not i.exercise]
    by_instrument: dict[str, list[Any]] = {}
    screens = trajectory.screens([*earlier, incident], incident.id)
    for screen in sorted(screens, key=lambda s: (s.at, s.incident_id)):
        by_instrument.setdefault(screen.instrument, []).append(screen)
    rows = []
    for instrument, series in sorted(by_instrument.items()):
        current = [s for s in series if s.current]
        if not current:
            continue  # only earlier incidents screened with it: not this case's level
        rows.append(
            {
                "instrument": _title(instrument),
                "level": level_label(current[-1].level),
                "trajectory": [
                    {"at": s.at, "level": level_label(s.level)} for s in series if not s.current
                ],
            }
        )
    return rows


def referrals(incident_id: int) -> list[dict[str, str]]:
    """The incident's referrals: kind and how far they got, in the reader's language."""
    nl = language() == "nl"
    rows = []
    for kind, row in sorted(referral_rules.stored(incident_id).items()):
        name = referral_rules.KINDS.get(kind, (kind, kind))
        status = referral_rules.STATUSES.get(row.status) or referral_rules.SHOWN.get(
            row.status, (row.status, row.status)
        )
        rows.append({"kind": name[1 if nl else 0], "status": status[1 if nl else 0]})
    return rows


def _change(at: dt.datetime | None, user_id: int | None, reason: str | None) -> dict | None:
    if at is None or user_id is None:
        return None
    return {"at": at, "by": _username(user_id), "reason": reason}


def case_row(entry: TriageListEntry, actor: Actor) -> CaseRow:
    """An entry as the page shows it (an anonymised incident: its reference only)."""
    incident = db.session.get(Incident, entry.incident_id)
    assert incident is not None
    row = CaseRow(
        entry_id=entry.id,
        reference=incident.reference,
        district=incident.district,
        received_at=incident.received_at,
        reasons=list(entry.reasons or []),
        legal_basis=str(entry.legal_basis),
        added=_change(entry.added_at, entry.added_by_id, entry.added_reason),
        removed=_change(entry.removed_at, entry.removed_by_id, entry.removed_reason),
    )
    if incident.anonymised_at is None:
        row.levels = levels(actor, incident)
        row.referrals = referrals(incident.id)
    return row


def summary(row: TriageList, shown: list[TriageListEntry]) -> dict[str, Any]:
    """A list's head: organisation, week, counts, sent, pickup and acknowledgement."""
    zone = clock.zone()
    return {
        "id": row.id,
        "organisation": row.organisation.name,
        "week_start": row.week_start,
        "week_end": row.week_start + dt.timedelta(days=6),
        "window_start": row.window_start.astimezone(zone),
        "created_at": row.created_at,
        "case_count": sum(1 for e in shown if e.removed_at is None),
        "removed_count": sum(1 for e in shown if e.removed_at is not None),
        "sent_at": row.sent_at,
        "sent_by": _username(row.sent_by_id) if row.sent_at else None,
        "picked_up_at": row.picked_up_at,
        "picked_up_by": _username(row.picked_up_by_id),
        "acknowledged_at": row.acknowledged_at,
        "acknowledged_by": _username(row.acknowledged_by_id),
        "purged": row.purged_at is not None,
    }
