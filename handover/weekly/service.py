"""The weekly list's changes and reads: the week's case facts (read through triage's query
functions), a supervisor's additions and removals (with a reason, while it is a draft), and the
organisation's pickup and acknowledgement (each once, compare-and-set). Services flush; the
page or job that called them commits.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from accounts.actor import Actor
from core import audit
from core.db import db
from core.errors import DomainError
from core.i18n import lazy_gettext as _l
from handover.models import LegalBasis
from handover.weekly.models import TriageList, TriageListEntry
from handover.weekly.selection import CaseFacts
from triage import trajectory
from triage.access import sees
from triage.models import Incident

REASON_MAX = 500
REFERENCE_MAX = 32  # Incident.reference


class ListError(DomainError):
    """A change to a list that cannot be made, naming the field."""


def case_facts(start: dt.datetime, end: dt.datetime) -> list[CaseFacts]:
    """The facts the selection reads of every non-exercise incident received in [start, end)."""
    incidents = list(
        db.session.execute(
            select(Incident)
            .where(
                Incident.received_at >= start,
                Incident.received_at < end,
                Incident.exercise.is_(False),  # training stays training: not even read
            )
            .order_by(Incident.received_at, Incident.id)
        ).scalars()
    )
    levels: dict[int, dict[str, str]] = {i.id: {} for i in incidents}
    for screen in trajectory.screens(incidents):  # the latest screen per instrument
        levels[screen.incident_id][screen.instrument] = screen.level
    return [
        CaseFacts(
            incident_id=i.id,
            flags=frozenset(i.flags or []),
            levels=levels[i.id],
            exercise=bool(i.exercise),
            restricted=bool(i.restricted),
            anonymised=i.anonymised_at is not None,
        )
        for i in incidents
    ]


def _refuse(status: int, code: str, field: str, message) -> ListError:
    return ListError(status, code, message, {field: message})


def _invalid(field: str, message) -> ListError:
    return ListError(422, "validation_error", _l("Some fields are not valid."), {field: message})


def check_reason(reason: str | None) -> str:
    """A stated reason, trimmed; missing or too long is a 422 naming the field."""
    text = (reason or "").strip()
    if not text:
        raise _invalid("reason", _l("State the reason."))
    if len(text) > REASON_MAX:
        raise _invalid("reason", _l("At most %(count)s characters.", count=REASON_MAX))
    return text


def _draft(row: TriageList) -> None:
    """Lock the list's row while it is a draft (PostgreSQL: FOR UPDATE; the send's
    compare-and-set then waits), so a change never lands on a list sent meanwhile; 409 if sent."""
    still_draft = db.session.execute(
        select(TriageList.id)
        .where(TriageList.id == row.id, TriageList.sent_at.is_(None))
        .with_for_update()
    ).scalar_one_or_none()
    if still_draft is None:
        raise _refuse(
            409, "conflict", "list", _l("This list was already sent; it can no longer change.")
        )


def _incident_to_add(reference: str | None, actor: Actor) -> Incident:
    text = (reference or "").strip().upper()
    if not text:
        raise _invalid("reference", _l("Give the incident's reference."))
    if len(text) > REFERENCE_MAX or not text.isprintable():  # NUL: PostgreSQL text refuses it
        raise _invalid("reference", _l("No incident with this reference."))
    incident = db.session.execute(
        select(Incident).where(Incident.reference == text)
    ).scalar_one_or_none()
    if incident is None or not sees(actor, incident):
        raise _invalid("reference", _l("No incident with this reference."))
    if incident.exercise:
        raise _invalid("reference", _l("An exercise incident never goes on the list."))
    if incident.anonymised_at is not None:
        raise _invalid("reference", _l("This incident was anonymised."))
    return incident


def add_case(
    row: TriageList, reference: str | None, reason: str | None, actor: Actor, now: dt.datetime
) -> TriageListEntry:
    """A supervisor puts a case on a draft list, with a reason (a removed one comes back)."""
    _draft(row)
    text = check_reason(reason)
    incident = _incident_to_add(reference, actor)
    entry = db.session.execute(
        select(TriageListEntry).where(
            TriageListEntry.list_id == row.id, TriageListEntry.incident_id == incident.id
        )
    ).scalar_one_or_none()
    if entry is not None and entry.removed_at is None:
        raise _invalid("reference", _l("This case is already on the list."))
    if entry is None:
        entry = TriageListEntry(list_id=row.id, incident_id=incident.id, reasons=[])
    entry.legal_basis = LegalBasis.CASE_CONSULTATION_458TER
    entry.added_at, entry.added_by_id, entry.added_reason = now, actor.user.id, text
    entry.removed_at = entry.removed_by_id = entry.removed_reason = None
    try:
        with db.session.begin_nested():  # a second supervisor adding it at the same moment
            db.session.add(entry)
    except IntegrityError:
        raise _invalid("reference", _l("This case is already on the list.")) from None
    audit.record("add", "triage_list", row.id, object_ids=[incident.id])
    return entry


def remove_case(
    row: TriageList, entry_id: int, reason: str | None, actor: Actor, now: dt.datetime
) -> None:
    """A supervisor takes a case off a draft list, with a reason (once: compare-and-set)."""
    _draft(row)
    text = check_reason(reason)
    entry = db.session.get(TriageListEntry, entry_id)
    if entry is None or entry.list_id != row.id:
        raise _refuse(404, "not_found", "entry", _l("This case is not on the list."))
    result = db.session.execute(
        update(TriageListEntry)
        .where(TriageListEntry.id == entry.id, TriageListEntry.removed_at.is_(None))
        .values(removed_at=now, removed_by_id=actor.user.id, removed_reason=text)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise _refuse(409, "conflict", "entry", _l("This case was already removed."))
    db.session.refresh(entry)
    audit.record("remove", "triage_list", row.id, object_ids=[entry.incident_id])


def _first(row: TriageList, at: str, by: str, user_id: int, now: dt.datetime) -> bool:
    column = getattr(TriageList, at)
    result = db.session.execute(
        update(TriageList)
        .where(TriageList.id == row.id, column.is_(None), TriageList.sent_at.is_not(None))
        .values({at: now, by: user_id})
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(row)
    return result.rowcount == 1


def pick_up(row: TriageList, user_id: int, now: dt.datetime) -> bool:
    """Record the organisation's first opening of a sent list; False if picked up before."""
    if not _first(row, "picked_up_at", "picked_up_by_id", user_id, now):
        return False
    audit.record("pickup", "triage_list", row.id)
    return True


def acknowledge(row: TriageList, user_id: int, now: dt.datetime) -> bool:
    """Record the first acknowledgement (a pickup too); False when it was acknowledged before."""
    pick_up(row, user_id, now)
    if not _first(row, "acknowledged_at", "acknowledged_by_id", user_id, now):
        return False
    audit.record("acknowledge", "triage_list", row.id)
    return True


def shown_entries(row: TriageList, supervisor: bool) -> list[TriageListEntry]:
    """The entries a reader sees: all for a supervisor; for the organisation, the cases not
    removed, less those restricted since the rules chose them (a restricted case reaches a
    partner only when a supervisor put it on the list)."""
    if supervisor:
        return list(row.entries)
    kept = [e for e in row.entries if e.removed_at is None]
    chosen_by_rules = [e.incident_id for e in kept if e.added_by_id is None]
    restricted = (
        set(
            db.session.execute(
                select(Incident.id).where(
                    Incident.id.in_(chosen_by_rules), Incident.restricted.is_(True)
                )
            ).scalars()
        )
        if chosen_by_rules
        else set()
    )
    return [e for e in kept if e.added_by_id is not None or e.incident_id not in restricted]


def lists_of(organisation_id: int | None, since: dt.date, sent_only: bool) -> list[TriageList]:
    """Lists since a week, newest first: one organisation's (or all, for supervisors)."""
    query = select(TriageList).where(TriageList.week_start >= since)
    if organisation_id is not None:
        query = query.where(TriageList.organisation_id == organisation_id)
    if sent_only:
        query = query.where(TriageList.sent_at.is_not(None))
    query = query.order_by(TriageList.week_start.desc(), TriageList.organisation_id)
    return list(db.session.execute(query).unique().scalars())
