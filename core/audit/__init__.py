"""Audit events: who read or changed what, kept as an append-only chain keyed with AUDIT_KEY.

Events name objects by type and id and never hold case content. Each event's `hash` is an
HMAC-SHA256, under AUDIT_KEY (from the environment, never in the database), of the previous
event's hash and the event's canonical JSON: with write access to the database alone, an edited
or inserted event cannot be given a hash that verifies. Checkpoints (where a purge removed a
prefix, or where the unkeyed chain of before migration 0011 hands over) are signed the same way.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import json
import uuid
from collections.abc import Callable
from typing import Any

from flask import current_app, g, has_request_context, request
from flask_login import current_user
from sqlalchemy import (
    JSON,
    ForeignKey,
    Integer,
    String,
    bindparam,
    insert,
    select,
    union_all,
    update,
)
from sqlalchemy.event import listens_for
from sqlalchemy.orm import Mapped, Session, mapped_column

from core import clock
from core.db import Base, UTCDateTime, db, queued, transaction_queue

GENESIS_HASH = "0" * 64


class AuditHead(Base):
    """The single row that serialises appends and remembers the chain's last hash."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    last_hash: Mapped[str] = mapped_column(String(64), default=GENESIS_HASH)
    appended: Mapped[int] = mapped_column(Integer, default=0)


class AuditCheckpoint(Base):
    """Where the chain continues: after a purged prefix (`purge`: no event at or below it may
    remain), where the keyed chain took over from the unkeyed one (`carry_over`), or where a
    walk that verified ended (`verified`: an incremental walk starts there). `purged_total`
    counts the events appended before the next one: the purged ones, or (verified) all."""

    __tablename__ = "audit_checkpoint"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)
    kind: Mapped[str] = mapped_column(String(16), default="purge", server_default="purge")
    last_event_id: Mapped[int] = mapped_column(Integer)
    last_hash: Mapped[str] = mapped_column(String(64))
    purged_total: Mapped[int] = mapped_column(Integer)
    signature: Mapped[str | None] = mapped_column(String(64))

    def payload(self) -> str:
        """What the signature covers."""
        return f"checkpoint:{self.kind}:{self.last_event_id}:{self.last_hash}:{self.purged_total}"

    def sign(self, key: str | None = None) -> None:
        """Sign with AUDIT_KEY."""
        self.signature = keyed(self.payload(), key)

    def signed(self, key: str | None = None) -> bool:
        """Whether the signature is AUDIT_KEY's."""
        return bool(self.signature) and hmac.compare_digest(
            self.signature or "", keyed(self.payload(), key)
        )


class AuditEvent(Base):
    """One audited action; `hash` chains it to the previous event."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    username: Mapped[str | None] = mapped_column(String(64))
    role: Mapped[str | None] = mapped_column(String(32))
    organisation: Mapped[str | None] = mapped_column(String(64))
    token_name: Mapped[str | None] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(32))
    object_type: Mapped[str | None] = mapped_column(String(32))
    object_id: Mapped[int | None] = mapped_column(Integer)
    object_ids: Mapped[list[int] | None] = mapped_column(JSON)
    request_id: Mapped[str | None] = mapped_column(String(64))
    client_addr: Mapped[str | None] = mapped_column(String(64))
    # The reason a user had to state for a read (a search), never the query itself. Plain like
    # the rest of the append-only trail (key rotation could not re-encrypt it); the form asks
    # for no names.
    reason: Mapped[str | None] = mapped_column(String(200))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)

    def canonical(self) -> str:
        """The event's content as canonical JSON (what the hash covers)."""
        return canonical_json(self)


# What the hash covers, besides occurred_at (and reason, when there is one).
CONTENT = (
    "user_id",
    "username",
    "role",
    "organisation",
    "token_name",
    "action",
    "object_type",
    "object_id",
    "object_ids",
    "request_id",
    "client_addr",
)


_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"))


def canonical_json(event: Any) -> str:
    """An event's content as canonical JSON (what the hash covers)."""
    return canonical_of(
        event.occurred_at, event.reason, tuple(getattr(event, name) for name in CONTENT)
    )


def canonical_of(occurred_at: dt.datetime, reason: str | None, values: tuple[Any, ...]) -> str:
    """The canonical JSON of an event's occurred_at, reason and CONTENT values (in order)."""
    content = dict(zip(CONTENT, values, strict=True))
    content["occurred_at"] = occurred_at.astimezone(dt.UTC).isoformat()
    if reason is not None:  # only then, so every earlier event keeps its hash
        content["reason"] = reason
    return _CANONICAL.encode(content)


def audit_key() -> str:
    """The app's AUDIT_KEY."""
    return str(current_app.config["AUDIT_KEY"])


def keyed(message: str, key: str | None = None) -> str:
    """HMAC-SHA256 of a message under AUDIT_KEY (hex)."""
    return hmac.new((key or audit_key()).encode(), message.encode(), hashlib.sha256).hexdigest()


def chain_hash(prev_hash: str, canonical: str, key: str | None = None) -> str:
    """HMAC-SHA256 under AUDIT_KEY of the previous hash and the canonical JSON."""
    return keyed(prev_hash + canonical, key)


def unkeyed_hash(prev_hash: str, canonical: str) -> str:
    """The chain of before migration 0011: sha256(prev_hash + canonical JSON)."""
    return hashlib.sha256((prev_hash + canonical).encode()).hexdigest()


def request_id() -> str | None:
    """The current request's id (generated once per request)."""
    if not has_request_context():
        return None
    if "request_id" not in g:
        g.request_id = request.headers.get("X-Request-Id", "")[:64] or uuid.uuid4().hex
    return g.request_id


def _actor() -> dict[str, Any]:
    if not has_request_context() or not current_user or current_user.is_anonymous:
        return {}
    org = current_user.organisation
    token = g.get("api_token")
    return {
        "user_id": current_user.id,
        "username": current_user.username,
        "role": str(current_user.role),
        "organisation": org.slug if org else None,
        "token_name": token.name if token else None,
    }


def record(
    action: str,
    object_type: str | None = None,
    object_id: int | None = None,
    object_ids: list[int] | None = None,
    reason: str | None = None,
    **actor: Any,
) -> AuditEvent:
    """Append an audit event to the caller's transaction: it is chained and written when the
    transaction commits (and dropped with it on a rollback), so the chain head is locked only
    for the commit itself, never while the rest of the work runs."""
    fields = {**_actor(), **actor}
    event = AuditEvent(
        occurred_at=clock.now(),
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_ids=object_ids,
        reason=reason,
        request_id=request_id(),
        client_addr=request.remote_addr if has_request_context() else None,
        **fields,
    )
    queued(db.session(), _PENDING).append(event)
    if has_request_context() and object_type and object_id is not None:
        g.setdefault("audited", set()).add((object_type, object_id))
    return event


def read(object_type: str, object_id: int) -> None:
    """Record that a response carries this object's case data, unless this request already
    recorded something about it (a create, an update, a view): serialisers call this, so an
    endpoint cannot forget the audit."""
    if has_request_context() and (object_type, object_id) in g.get("audited", set()):
        return
    record("view", object_type, object_id)


_PENDING = "nachtwacht.audit_pending"
transaction_queue(_PENDING)


@listens_for(Session, "before_commit")
def _append_pending(session: Session) -> None:
    """Chain and write the transaction's events as it commits: one UPDATE locks the head and
    reads its hash (PostgreSQL's row lock, SQLite's write lock, held until the commit ends),
    one INSERT writes every event and moves the head (on SQLite an UPDATE after it)."""
    if not session.in_nested_transaction():  # a released savepoint's wait for the outermost
        _write_pending(session)


def write_pending() -> None:
    """Write the transaction's events now, for a read of the trail in the same transaction
    (this takes the chain head's lock until the commit). Not inside a savepoint: its rollback
    would undo events queued before it."""
    session = db.session()
    if session.in_nested_transaction():
        raise RuntimeError("audit.write_pending() inside a savepoint")
    _write_pending(session)


def _write_pending(session: Session) -> None:
    events = session.info.pop(_PENDING, None)
    if not events:
        return
    # The transaction's own rows first, then the head: every writer takes the head's lock last,
    # so none waits for it while holding a row another head-holder still has to write.
    session.flush()
    prev = _lock_chain_head(session, len(events))
    hasher = keyed_hasher(audit_key())
    for event in events:
        event.prev_hash = prev
        event.hash = prev = hasher(prev + event.canonical())
    rows = [{name: getattr(event, name) for name in _WRITTEN} for event in events]
    if len(rows) <= _ONE_STATEMENT and session.get_bind().dialect.name == "postgresql":
        # A request's few events and the head's move in one round trip.
        values = {f"{name}_{i}": row[name] for i, row in enumerate(rows) for name in _WRITTEN}
        session.execute(_append_statement(len(rows)), {**values, "new_last_hash": prev})
    else:  # SQLite, or a batch job's hundreds: one cached INSERT for every row, then the head
        session.execute(insert(AuditEvent.__table__), rows)
        session.execute(_MOVE, {"new_last_hash": prev})


_ONE_STATEMENT = 8
# The columns an append writes (the id comes from the database).
_WRITTEN = ("occurred_at", "reason", "prev_hash", "hash", *CONTENT)
_HEAD = AuditHead.__table__
# Core statements on the head, built once: the head is never loaded as an object.
_LOCK = (
    update(_HEAD)
    .where(_HEAD.c.id == 1)
    .values(appended=_HEAD.c.appended + bindparam("count", type_=Integer))
    .returning(_HEAD.c.last_hash)
)
_MOVE = update(_HEAD).where(_HEAD.c.id == 1).values(last_hash=bindparam("new_last_hash"))


@functools.cache
def _append_statement(count: int):
    """INSERT of `count` events with the head's move, built once per count with bound values
    (`<column>_<i>`, `new_last_hash`): built per commit, its construction and cache key cost
    more than the round trip. Ids follow the rows' order: one row's VALUES, or for more the
    rows' SELECTs in a UNION ALL (PostgreSQL's Append reads them in order, as a VALUES list)."""
    table = AuditEvent.__table__
    bound = [
        {name: bindparam(f"{name}_{i}", type_=table.c[name].type) for name in _WRITTEN}
        for i in range(count)
    ]
    if count == 1:
        write = insert(table).values(bound[0])
    else:
        rows = [select(*(row[name].label(name) for name in _WRITTEN)) for row in bound]
        write = insert(table).from_select(_WRITTEN, union_all(*rows))
    return write.add_cte(_MOVE.cte("moved"))


def keyed_hasher(key: str) -> Callable[[str], str]:
    """`chain_hash(prev_hash, canonical, key)` of prev_hash + canonical: HMAC-SHA256 (RFC 2104)
    from the key's inner and outer SHA-256 states, made once and copied per event."""
    block = key.encode()
    block = (hashlib.sha256(block).digest() if len(block) > 64 else block).ljust(64, b"\0")
    inner = hashlib.sha256(bytes(byte ^ 0x36 for byte in block)).copy
    outer = hashlib.sha256(bytes(byte ^ 0x5C for byte in block)).copy

    def made(message: str) -> str:
        state = inner()
        state.update(message.encode())
        final = outer()
        final.update(state.digest())
        return final.hexdigest()

    if made(GENESIS_HASH + "{}") != chain_hash(GENESIS_HASH, "{}", key):
        raise RuntimeError("the HMAC states do not give chain_hash")
    return made


def _lock_chain_head(session: Session, count: int) -> str:
    """Lock the chain head row, count `count` more events and return its hash, so appends stay
    linear everywhere (the lock is held until the caller's transaction ends)."""
    last = session.execute(_LOCK, {"count": count}).scalar_one_or_none()
    if last is None:  # first event ever (tests create tables without the migration)
        session.add(AuditHead(id=1, last_hash=GENESIS_HASH, appended=count))
        session.flush()
        return GENESIS_HASH
    return last
