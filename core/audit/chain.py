"""Verifying and purging the audit hash chain."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, select, text

from core.audit import GENESIS_HASH, AuditCheckpoint, AuditEvent, AuditHead, chain_hash
from core.db import db

BATCH = 5000


@dataclass(frozen=True)
class Verdict:
    """The outcome of walking the chain."""

    ok: bool
    events: int
    bad_id: int | None = None
    problem: str = ""


def _checkpoint() -> AuditCheckpoint | None:
    return db.session.execute(
        select(AuditCheckpoint).order_by(AuditCheckpoint.id.desc()).limit(1)
    ).scalar_one_or_none()


def verify_chain() -> Verdict:
    """Walk every event from the last checkpoint; the first that does not verify is named."""
    checkpoint = _checkpoint()
    expected = checkpoint.last_hash if checkpoint else GENESIS_HASH
    last_id, count = (checkpoint.last_event_id if checkpoint else 0), 0
    while True:
        rows = (
            db.session.execute(
                select(AuditEvent)
                .where(AuditEvent.id > last_id)
                .order_by(AuditEvent.id)
                .limit(BATCH)
            )
            .scalars()
            .all()
        )
        for event in rows:
            if event.prev_hash != expected:
                return Verdict(False, count, event.id, "does not follow the previous event")
            if chain_hash(event.prev_hash, event.canonical()) != event.hash:
                return Verdict(False, count, event.id, "content does not match its hash")
            expected, last_id, count = event.hash, event.id, count + 1
        db.session.expunge_all()
        if len(rows) < BATCH:
            break
    return _check_head(expected, count, checkpoint)


def _check_head(last_hash: str, count: int, checkpoint: AuditCheckpoint | None) -> Verdict:
    head = db.session.get(AuditHead, 1)
    purged = checkpoint.purged_total if checkpoint else 0
    if head is not None and (head.last_hash != last_hash or head.appended != count + purged):
        return Verdict(False, count, None, "events are missing after the last one that verifies")
    return Verdict(True, count)


def purge_before(cutoff: dt.datetime) -> int:
    """Remove the oldest events (a prefix only) and store a checkpoint to continue from."""
    last = db.session.execute(
        select(AuditEvent)
        .where(AuditEvent.occurred_at < cutoff)
        .order_by(AuditEvent.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    if last is None:
        return 0
    previous = _checkpoint()
    start = previous.last_event_id if previous else 0
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL nachtwacht.audit_purge = 'on'"))
    removed = db.session.execute(
        delete(AuditEvent).where(AuditEvent.id > start, AuditEvent.id <= last.id)
    ).rowcount
    total = (previous.purged_total if previous else 0) + removed
    db.session.add(AuditCheckpoint(last_event_id=last.id, last_hash=last.hash, purged_total=total))
    return removed
