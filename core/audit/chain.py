"""Verifying and purging the audit hash chain."""

from __future__ import annotations

import datetime as dt
import hmac
import json
import queue
import threading
from collections.abc import Callable, Iterator
from contextlib import closing, suppress
from dataclasses import dataclass
from typing import Any

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
    keyed_hasher,
    unkeyed_hash,
)
from core.db import db

BATCH = 10_000  # events read at a time by a walk
PURGE_BATCH = 50_000  # events purged (and committed, by the caller) at a time
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
    count, keyed_hash = 0, keyed_hasher(audit_key())
    with closing(_event_batches(last_id)) as batches:
        for rows in batches:
            for event_id, prev_hash, event_hash, message, _ in rows:
                if carry_id is not None and event_id > carry_id:
                    if last_id != carry_id or expected != carry_hash:
                        return Verdict(False, count, event_id, UNKEYED_END)
                    carry_id = None
                if prev_hash != expected:
                    return Verdict(False, count, event_id, "does not follow the previous event")
                made = keyed_hash(message) if carry_id is None else unkeyed_hash("", message)
                if not hmac.compare_digest(made, event_hash):
                    return Verdict(False, count, event_id, "content does not match its hash")
                expected, last_id, count = event_hash, event_id, count + 1
            if step is not None:
                step(len(rows))
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
# id, prev_hash, hash, what the hash covers (prev_hash + canonical JSON), and a value ignored
Event = tuple[int, str, str, str, Any]


def _event_batches(after: int) -> Iterator[list[Event]]:
    """The events after an id, in id order, a batch at a time, each with what its hash covers.

    On PostgreSQL and SQLite the database writes it (`FAST_SQL`), and on PostgreSQL the next
    batch is read while this one is hashed; whatever `_vouched` cannot vouch for is made by
    `canonical_of`, so the text is the same either way. Elsewhere: `canonical_of`."""
    name = db.session.get_bind().dialect.name
    if name not in FAST_SQL:
        yield from _plain_batches(after)
        return
    cursor = db.session.connection().connection.cursor()
    sql = FAST_SQL[name]

    def fetch(last: int) -> list[tuple]:
        cursor.execute(sql, (last, BATCH))
        return cursor.fetchall()

    fetched = _read_ahead(fetch, after) if name == "postgresql" else _read_in_turn(fetch, after)
    try:
        for rows in fetched:
            yield _vouched(rows)
    finally:
        fetched.close()
        cursor.close()


def _plain_batches(after: int) -> Iterator[list[Event]]:
    while True:
        rows = db.session.execute(
            select(*COLUMNS).where(AuditEvent.id > after).order_by(AuditEvent.id).limit(BATCH)
        ).all()
        yield [(row[0], row[1], row[2], _message(row), None) for row in rows]
        if len(rows) < BATCH:
            return
        after = rows[-1][0]


def _message(row: Any) -> str:
    """What an event's hash covers, from its COLUMNS: prev_hash and canonical JSON."""
    _, prev_hash, _, occurred_at, reason, *content = row
    return prev_hash + canonical_of(occurred_at, reason, tuple(content))


def _read_in_turn(fetch: Callable[[int], list], after: int) -> Iterator[list]:
    while True:
        rows = fetch(after)
        yield rows
        if len(rows) < BATCH:
            return
        after = rows[-1][0]


def _read_ahead(fetch: Callable[[int], list], after: int) -> Iterator[list]:
    """`_read_in_turn`, with the next batch read by a thread while the caller works on this
    one (the database builds it meanwhile). The caller may stop early: the thread then ends
    after its current read, before this generator closes."""
    ready: queue.Queue = queue.Queue(maxsize=1)
    stop = threading.Event()

    def reader() -> None:
        try:
            for rows in _read_in_turn(fetch, after):
                ready.put(rows)
                if stop.is_set():
                    return
        except BaseException as error:  # noqa: BLE001 (raised again in the caller's thread)
            ready.put(error)
        ready.put(None)

    thread = threading.Thread(target=reader, name="audit-verify-read", daemon=True)
    thread.start()
    try:
        while (rows := ready.get()) is not None:
            if isinstance(rows, BaseException):
                raise rows
            yield rows
    finally:
        stop.set()
        while thread.is_alive():
            with suppress(queue.Empty):
                ready.get(timeout=0.05)
        thread.join()


def _vouched(rows: list[tuple]) -> list[Event]:
    """The database's text where it is what `canonical_of` gives, else `canonical_of`'s.

    The database quotes string values without escaping them: right as long as no value needs
    an escape, which holds when the text is printable ASCII without a backslash (also the mark
    of object_ids it could not shorten, and of a row SQLite could not vouch for) and holds
    exactly as many double quotes as its keys and non-null strings give (a quote inside a
    value adds one). Checked for the whole batch at once; rows that fail go one by one."""
    texts = [row[3] for row in rows]
    if None not in texts and _quotes_only("".join(texts)) == sum(row[4] for row in rows):
        return rows
    odd = [row[0] for row in rows if row[3] is None or _quotes_only(row[3]) != row[4]]
    found = db.session.execute(select(*COLUMNS).where(AuditEvent.id.in_(odd))).all()
    made = {row[0]: _message(row) for row in found}
    return [(r[0], r[1], r[2], made[r[0]], None) if r[0] in made else r for r in rows]


def _quotes_only(text: str) -> int:
    """How many double quotes the text holds when every other character of it is printable
    ASCII and not a backslash; -1 otherwise."""
    if not text.isascii():
        return -1
    rest = text.encode().translate(None, PLAIN_ASCII)
    return len(rest) if rest.count(b'"') == len(rest) else -1


PLAIN_ASCII = bytes(c for c in range(0x20, 0x7F) if c not in b'"\\')
STRINGS = ("action", "client_addr", "object_type", "organisation", "request_id", "role")
STRINGS += ("token_name", "username")
SQLITE_MOMENT = (
    "-".join(["[0-9]" * 4, "[0-9]" * 2, "[0-9]" * 2]) + " " + ":".join(["[0-9]" * 2] * 3)
)


def _fast_sql(dialect: str) -> str:
    """The walk's query: id, prev_hash, hash, prev_hash + canonical JSON, and the number of
    double quotes that text holds when no value holds one.

    Keys in canonical (sorted) order; strings quoted, NULL as null; object_ids without the
    spaces of its stored JSON when it holds only numbers (else a backslash: not vouched for);
    occurred_at in UTC, its microseconds unless zero. SQLite types values per row: a value of
    another type than its column's is not vouched for (NULL), nor an unusual moment's text."""
    postgres = dialect == "postgresql"
    ids = "object_ids::text" if postgres else "object_ids"
    if postgres:
        moment = """to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US')"""
    else:
        moment = "substr(occurred_at, 1, 10) || 'T' || substr(occurred_at, 12)"
    number = "coalesce({}::text, 'null')" if postgres else "coalesce({}, 'null')"
    parts = {name: f"""coalesce('"' || {name} || '"', 'null')""" for name in STRINGS}
    parts |= {name: number.format(name) for name in ("object_id", "user_id")}
    parts["object_ids"] = (
        f"CASE WHEN {ids} IS NULL OR {ids} = 'null' THEN 'null'"
        f" WHEN ltrim({ids}, '[], 0123456789') = '' THEN replace({ids}, ' ', '') ELSE '\\' END"
    )
    parts["occurred_at"] = f"""'"' || replace({moment}, '.000000', '') || '+00:00"'"""
    pieces = ["prev_hash", "'{'"]
    for key in sorted([*parts, "reason"]):
        if key == "reason":
            pieces.append(
                """CASE WHEN reason IS NULL THEN '' ELSE ',"reason":"' || reason || '"' END"""
            )
        else:
            pieces += [f"""'{"," if len(pieces) > 2 else ""}"{key}":'""", parts[key]]
    message = " || ".join([*pieces, "'}'"])  # a NULL (none but prev_hash) leaves it NULL
    strings = " + ".join(f"({name} IS NOT NULL){'::int' if postgres else ''}" for name in STRINGS)
    quotes = f"26 + 2 * ({strings}) + CASE WHEN reason IS NULL THEN 0 ELSE 4 END"
    if not postgres:
        guard = [f"typeof({name}) IN ('text', 'null')" for name in (*STRINGS, "reason", ids)]
        guard += [f"typeof({name}) IN ('integer', 'null')" for name in ("object_id", "user_id")]
        guard += [f"occurred_at GLOB '{SQLITE_MOMENT}.{'[0-9]' * 6}'"]
        message = f"CASE WHEN {' AND '.join(guard)} THEN {message} END"
    mark = "%s" if postgres else "?"
    return (
        f"SELECT id, prev_hash, hash, {message}, {quotes} FROM audit_event"
        f" WHERE id > {mark} ORDER BY id LIMIT {mark}"
    )


FAST_SQL = {name: _fast_sql(name) for name in ("postgresql", "sqlite")}


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


def purge_before(
    cutoff: dt.datetime,
    batch: int | None = None,
    after_batch: Callable[[int], None] | None = None,
) -> int:
    """Remove the oldest events (a prefix only) before the cut-off, and store a signed
    checkpoint to continue from; how many went. With `batch`, at most that many at a time,
    each batch with its own checkpoint, `after_batch(removed)` called after each (the caller
    commits there: an interrupted purge leaves a chain that verifies, and goes on when run
    again)."""
    last = db.session.execute(
        select(AuditEvent.id)
        .where(AuditEvent.occurred_at < cutoff)
        .order_by(AuditEvent.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    total = 0
    while last is not None and (removed := _purge_batch(last, batch)):
        total += removed
        if after_batch is not None:
            after_batch(removed)
    return total


def _purge_batch(last_due: int, batch: int | None) -> int:
    """Delete the next events up to `last_due` (at most `batch`) and sign the checkpoint."""
    previous = _checkpoint("purge")
    start = previous.last_event_id if previous else 0
    after_start = select(AuditEvent.id, AuditEvent.hash).where(
        AuditEvent.id > start, AuditEvent.id <= last_due
    )
    if batch is None:
        upto = db.session.execute(after_start.order_by(AuditEvent.id.desc()).limit(1)).first()
    else:
        upto = (
            db.session.execute(
                after_start.order_by(AuditEvent.id).offset(batch - 1).limit(1)
            ).first()
            or db.session.execute(after_start.order_by(AuditEvent.id.desc()).limit(1)).first()
        )
    if upto is None:
        return 0
    removed = _delete_prefix(start, upto.id)
    checkpoint = AuditCheckpoint(
        kind="purge",
        last_event_id=upto.id,
        last_hash=upto.hash,
        purged_total=(previous.purged_total if previous else 0) + removed,
    )
    checkpoint.sign()
    db.session.add(checkpoint)
    db.session.flush()  # the next batch starts from it
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
