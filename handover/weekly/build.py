"""Building the weekly lists exactly once per (organisation, week), and sending them.

Exactly once, as for the morning packets (`handover.packets`): the list row is inserted first
under the unique (organisation, week_start) constraint; a builder that loses the race gets an
IntegrityError, rolls back and skips. Each list is its own transaction, so a crash leaves whole
lists or none. Which cases a list holds is decided once, when it is drafted
(`handover.weekly.selection`); a supervisor may then add or remove cases, with a reason, until
it is sent. Sending is one compare-and-set: the send time (or a supervisor) sends it once.

The organisations: those of kind `veilig_huis` (the triage table is theirs); the cases are
shared under art. 458ter (case consultation), which `handover.sharing` allows them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from accounts.models import Organisation, OrganisationKind
from core import audit, clock
from core.db import db
from handover import sharing
from handover.models import Consent, LegalBasis
from handover.weekly import service, settings, week
from handover.weekly.models import TriageList, TriageListEntry
from handover.weekly.selection import select_cases

BASIS = LegalBasis.CASE_CONSULTATION_458TER


class NotYetDueError(ValueError):
    """The build time of the requested week has not passed."""


@dataclass
class BuildResult:
    """What one build run did."""

    built: list[int]
    existing: int = 0


def organisations() -> list[Organisation]:
    """The organisations that get a weekly list: every Veilig Huis cleared to receive case data
    (`receives_handover`, as for the packets) that the legal basis allows."""
    query = select(Organisation).where(
        Organisation.kind == OrganisationKind.VEILIG_HUIS,
        Organisation.receives_handover.is_(True),
    )
    rows = db.session.execute(query.order_by(Organisation.id)).scalars()
    return [o for o in rows if sharing.may_share(BASIS, Consent.NOT_ASKED, str(o.kind))]


def _insert(org: Organisation, week_start: dt.date, now: dt.datetime) -> TriageList | None:
    """Insert the list row first; None when another builder already made it."""
    start, end = week.week_window(week_start, clock.zone())
    row = TriageList(
        organisation_id=org.id,
        week_start=week_start,
        window_start=start,
        window_end=end,
        created_at=now,
    )
    db.session.add(row)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        return None
    return row


def _fill(row: TriageList, actor: str) -> list[int]:
    chosen = select_cases(service.case_facts(row.window_start, row.window_end))
    for incident_id, reasons in chosen.items():
        db.session.add(
            TriageListEntry(
                list_id=row.id,
                incident_id=incident_id,
                reasons=reasons,
                legal_basis=BASIS,
                added_at=row.created_at,
            )
        )
    db.session.flush()
    audit.record("create", "triage_list", row.id, object_ids=list(chosen), username=actor)
    return list(chosen)


def build_list(
    org: Organisation, week_start: dt.date, now: dt.datetime, actor: str = "system"
) -> TriageList | None:
    """Build and commit one organisation's list of a week; None if it already existed."""
    try:
        row = _insert(org, week_start, now)
        if row is None:
            return None
        _fill(row, actor)
        if _send_due(week_start) <= now:  # a send time at or before the build: send at once
            _claim_send(row.id, now, None, actor)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return row


def _owed(org: Organisation, week_start: dt.date) -> bool:
    """A list is owed for the weeks that end after the organisation was created."""
    return org.created_at < week.week_window(week_start, clock.zone())[1]


def build_week(week_start: dt.date, now: dt.datetime, actor: str = "system") -> BuildResult:
    """Build the missing lists of one week (refused while its build time is to come)."""
    if week.build_instant(week_start, settings.build_time(), clock.zone()) > now:
        raise NotYetDueError(week_start.isoformat())
    result = BuildResult(built=[])
    for org in organisations():
        if not _owed(org, week_start):
            continue
        row = build_list(org, week_start, now, actor)
        if row is None:
            result.existing += 1
        else:
            result.built.append(row.id)
    return result


def due_weeks(now: dt.datetime) -> list[dt.date]:
    """The weeks the catch-up covers, oldest first."""
    return week.due_weeks(now, settings.build_time(), clock.zone(), settings.CATCHUP_WEEKS)


def build_due(now: dt.datetime, actor: str = "system") -> list[int]:
    """Build every missing list of the catch-up weeks (what the scheduler runs)."""
    built: list[int] = []
    for week_start in due_weeks(now):
        built += build_week(week_start, now, actor).built
    return built


def _send_due(week_start: dt.date) -> dt.datetime:
    zone = clock.zone()
    return week.send_instant(week_start, settings.build_time(), settings.send_time(), zone)


def _claim_send(list_id: int, now: dt.datetime, user_id: int | None, actor: str | None) -> bool:
    """Mark the list sent, once (compare-and-set); audit who sent it."""
    result = db.session.execute(
        update(TriageList)
        .where(TriageList.id == list_id, TriageList.sent_at.is_(None))
        .values(sent_at=now, sent_by_id=user_id)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    if actor:  # the job (a user who sends is named by the request)
        audit.record("send", "triage_list", list_id, username=actor)
    else:
        audit.record("send", "triage_list", list_id)
    return True


def send_due(now: dt.datetime) -> int:
    """Send every draft whose send time has passed, however old (a scheduler that was down
    longer than the catch-up must not leave a draft unsent for ever); commit."""
    query = select(TriageList.id, TriageList.week_start).where(TriageList.sent_at.is_(None))
    sent = 0
    for list_id, week_start in db.session.execute(query.order_by(TriageList.id)).all():
        if _send_due(week_start) <= now and _claim_send(list_id, now, None, "system"):
            sent += 1
    db.session.commit()
    return sent


def send_now(row: TriageList, user_id: int, now: dt.datetime) -> bool:
    """A supervisor sends a draft before its send time; False when it was already sent."""
    claimed = _claim_send(row.id, now, user_id, None)
    db.session.refresh(row)
    return claimed
