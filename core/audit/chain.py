"""Verifying and purging the audit hash chain."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import delete, select, text

from core.audit import (
    CONTENT,
    GENESIS_HASH,
    AuditCheckpoint,
    AuditEvent,
    AuditHead,
    audit_key,
    canonical_of,
    keyed,
    unkeyed_hash,
)
from core.db import db

BATCH = 5000
UNKEYED_END = "the chain of before the keyed one does not end where its checkpoint says"


@dataclass(frozen=True)
class Verdict:
    """The outcome of walking the chain."""

    ok: bool
    events: int
    bad_id: int | None = None
    problem: str = ""
    through: tuple[int, str, int] | None = None  # (last event id, its hash, events appended)


def _checkpoint(kind: str = "purge") -> AuditCheckpoint | None:
    return db.session.execute(
        select(AuditCheckpoint)
        .where(AuditCheckpoint.kind == kind)
        .order_by(AuditCheckpoint.last_event_id.desc(), AuditCheckpoint.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def starting_point(incremental: bool = False) -> AuditCheckpoint | None:
    """Where a walk starts: the last purge checkpoint, or, for an incremental walk, the last
    `verified` one when it is newer (a walk that verified signed it)."""
    purge = _checkpoint("purge")
    verified = _checkpoint("verified") if incremental else None
    if verified is not None and (purge is None or verified.last_event_id > purge.last_event_id):
        return verified
    return purge


def verify_chain(step: Callable[[int], None] | None = None, incremental: bool = False) -> Verdict:
    """Walk every event from the last purge checkpoint (`incremental`: from the last verified
    one); the first that does not verify is named.

    Every checkpoint must carry AUDIT_KEY's signature; no event at or below the last purge
    checkpoint may remain; events up to the carry-over checkpoint (the unkeyed chain of before
    migration 0011) must end exactly at the hash it signed, and every later one must carry the
    HMAC of its content under AUDIT_KEY; the walk must end at the head, with as many events
    appended as the head counts. `step(n)` hears of each batch walked (progress).
    """
    for checkpoint in db.session.execute(select(AuditCheckpoint)).scalars():
        if not checkpoint.signed():
            return Verdict(False, 0, None, f"checkpoint {checkpoint.id} is unsigned or forged")
    purge, carry = _checkpoint("purge"), _checkpoint("carry_over")
    below = db.session.execute(
        select(AuditEvent.id).where(AuditEvent.id <= (purge.last_event_id if purge else 0)).limit(1)
    ).scalar_one_or_none()
    if below is not None:
        return Verdict(False, 0, below, "an event at or below a purge checkpoint still exists")
    start = starting_point(incremental)
    last_id = start.last_event_id if start else 0
    expected = start.last_hash if start else GENESIS_HASH
    carry_id = carry.last_event_id if carry and carry.last_event_id > last_id else None
    carry_hash = carry.last_hash if carry else None
    count, keyed_hash = 0, _keyed_hasher(audit_key())
    while True:
        # Plain rows of the columns, not ORM objects: a walk reads every event once.
        rows = db.session.execute(
            select(*COLUMNS).where(AuditEvent.id > last_id).order_by(AuditEvent.id).limit(BATCH)
        ).all()
        for event in rows:
            event_id, prev_hash, event_hash, occurred_at, reason, *content = event
            if carry_id is not None and event_id > carry_id:
                if last_id != carry_id or expected != carry_hash:
                    return Verdict(False, count, event_id, UNKEYED_END)
                carry_id = None
            if prev_hash != expected:
                return Verdict(False, count, event_id, "does not follow the previous event")
            keyed_part = carry_id is None
            made = (keyed_hash if keyed_part else unkeyed_hash)(
                prev_hash, canonical_of(occurred_at, reason, tuple(content))
            )
            if not hmac.compare_digest(made, event_hash):
                return Verdict(False, count, event_id, "content does not match its hash")
            expected, last_id, count = event_hash, event_id, count + 1
        if step is not None:
            step(len(rows))
        if len(rows) < BATCH:
            break
    if carry_id is not None and (last_id != carry_id or expected != carry_hash):
        return Verdict(False, count, None, UNKEYED_END)
    return _check_head(last_id, expected, count, start)


COLUMNS = [
    AuditEvent.id,
    AuditEvent.prev_hash,
    AuditEvent.hash,
    AuditEvent.occurred_at,
    AuditEvent.reason,
    *(getattr(AuditEvent, name) for name in CONTENT),
]


def _keyed_hasher(key: str) -> Callable[[str, str], str]:
    """`chain_hash` under one key, with the key's HMAC state made once and copied per event."""
    keyed_state = hmac.new(key.encode(), digestmod=hashlib.sha256)

    def made(prev_hash: str, canonical: str) -> str:
        state = keyed_state.copy()
        state.update((prev_hash + canonical).encode())
        return state.hexdigest()

    return made


def _check_head(
    last_id: int, last_hash: str, count: int, checkpoint: AuditCheckpoint | None
) -> Verdict:
    # A checkpoint's `purged_total` counts the events appended before the walk's first one: the
    # purged ones (purge), or every one up to it (verified).
    head = db.session.get(AuditHead, 1)
    before = checkpoint.purged_total if checkpoint else 0
    if head is not None and (head.last_hash != last_hash or head.appended != count + before):
        return Verdict(False, count, None, "events are missing after the last one that verifies")
    return Verdict(True, count, through=(last_id, last_hash, count + before))


def mark_verified(verdict: Verdict) -> AuditCheckpoint | None:
    """Sign where a walk that verified ended, so the next incremental walk starts there."""
    if not verdict.ok or verdict.through is None or verdict.events == 0:
        return None  # nothing walked: the checkpoint it started from already says so
    last_id, last_hash, appended = verdict.through
    checkpoint = AuditCheckpoint(
        kind="verified", last_event_id=last_id, last_hash=last_hash, purged_total=appended
    )
    checkpoint.sign()
    db.session.add(checkpoint)
    db.session.flush()
    return checkpoint


def _delete_prefix(start: int, upto: int) -> int:
    """Delete events (start, upto]. On PostgreSQL set up by migration 0015 only the
    `audit_purge` function (run as the audit tables' own role) may; before that, the session
    setting the 0004 trigger honours."""
    if db.session.get_bind().dialect.name == "postgresql":
        if db.session.execute(text("SELECT to_regproc('audit_purge')")).scalar() is not None:
            return int(
                db.session.execute(text("SELECT audit_purge(:upto)"), {"upto": upto}).scalar()
            )
        db.session.execute(text("SET LOCAL nachtwacht.audit_purge = 'on'"))
    return db.session.execute(
        delete(AuditEvent).where(AuditEvent.id > start, AuditEvent.id <= upto)
    ).rowcount


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
    previous = _checkpoint("purge")
    start = previous.last_event_id if previous else 0
    removed = _delete_prefix(start, last.id)
    total = (previous.purged_total if previous else 0) + removed
    checkpoint = AuditCheckpoint(
        kind="purge", last_event_id=last.id, last_hash=last.hash, purged_total=total
    )
    checkpoint.sign()
    db.session.add(checkpoint)
    return removed


def anchor_line(now: dt.datetime) -> str:
    """The chain's head, signed with AUDIT_KEY, as one JSON line to keep outside the database."""
    head = db.session.get(AuditHead, 1)
    appended, last_hash = (head.appended, head.last_hash) if head else (0, GENESIS_HASH)
    at = now.astimezone(dt.UTC).isoformat(timespec="seconds")
    signature = keyed(f"anchor:{at}:{appended}:{last_hash}")
    return json.dumps(
        {"at": at, "appended": appended, "last_hash": last_hash, "signature": signature},
        sort_keys=True,
    )


def check_anchors(lines: list[str]) -> Verdict | None:
    """Compare anchored heads with the chain: each must be signed, and its last event must still
    be there (or purged). A chain truncated and its head rewritten fails here."""
    purge = _checkpoint("purge")
    purged = purge.purged_total if purge else 0
    head = db.session.get(AuditHead, 1)
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            anchor = json.loads(line)
            at, appended, last_hash = anchor["at"], int(anchor["appended"]), anchor["last_hash"]
            signature = str(anchor["signature"])
        except (ValueError, KeyError, TypeError):
            return Verdict(False, 0, None, f"anchor line {number} cannot be read")
        if not hmac.compare_digest(signature, keyed(f"anchor:{at}:{appended}:{last_hash}")):
            return Verdict(False, 0, None, f"anchor line {number} is not signed with AUDIT_KEY")
        if appended <= purged or appended == 0:
            continue
        present = db.session.execute(
            select(AuditEvent.id).where(AuditEvent.hash == last_hash)
        ).scalar_one_or_none()
        if present is None or head is None or head.appended < appended:
            return Verdict(
                False, 0, None, f"events anchored at {at} ({appended} appended) are missing"
            )
    return None
