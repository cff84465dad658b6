"""Declarative base, column types and database set-up shared by every domain package."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime, MetaData, String, Text, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase, Session
from sqlalchemy.types import TypeDecorator

from core import crypto

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


T = TypeVar("T")


class Base(DeclarativeBase):
    """Declarative base with a naming convention so migrations name constraints stably."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


log = logging.getLogger(__name__)


class Database(SQLAlchemy):
    """Flask-SQLAlchemy whose end-of-request clean-up survives a database connection that died.

    A response is built before the app context is torn down; if the connection was cut after the
    commit (a restarted or failed-over database), the final ROLLBACK fails. That must not turn a
    committed 201 into a bare 500: the pool has already discarded the connection.
    """

    def _teardown_session(self, exc: BaseException | None) -> None:
        try:
            self.session.remove()
        except DBAPIError as error:
            if not error.connection_invalidated:
                raise
            self.session.registry.clear()
            log.warning("database connection lost after the request: %s", error.orig)


# Serialising before or after the commit reads the same values (no reload after commit).
db = Database(model_class=Base, session_options={"expire_on_commit": False})

_AFTER_COMMIT = "nachtwacht.after_commit"
_BEFORE_COMMIT = "nachtwacht.before_commit"
_SAVEPOINT_MARKS = "nachtwacht.savepoint_marks"
# Lists a transaction collects (follow-ups, audit events still to append): a rollback drops what
# it undid, a savepoint's rollback only what was queued since the savepoint began.
_QUEUES: list[str] = [_AFTER_COMMIT, _BEFORE_COMMIT]


def in_transaction(work: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """The one edge: run a request's (or command's) work, commit if it returns, roll back if not.

    Views, pages and webhooks never commit themselves; `endpoint()` and `protect()` call this.
    """
    try:
        result = work(*args, **kwargs)
        db.session.commit()  # a commit that fails (its before-commit work too) rolls back
    except BaseException:
        db.session.rollback()
        raise
    return result


def transaction_queue(name: str) -> None:
    """Declare a list kept in `session.info[name]` that belongs to the open transaction: a
    rollback (of a savepoint: of what was queued since it began) drops its entries."""
    if name not in _QUEUES:
        _QUEUES.append(name)


def queued(session: Session, name: str) -> list[Any]:
    """The open transaction's entries of a declared queue (created empty); begins the
    transaction if none is open, so its commit or rollback is what settles them."""
    if not session.in_transaction():
        session.begin()
    return session.info.setdefault(name, [])


def after_commit(action: Callable[[], None]) -> None:
    """Run `action` once the current transaction commits (now, if none is open); not on rollback."""
    session = db.session()
    if not session.in_transaction():
        action()
        return
    queued(session, _AFTER_COMMIT).append(action)


def before_commit(action: Callable[[], None]) -> None:
    """Run `action` inside the current transaction as it commits, after the work and before
    the final flush (a question asked once for the whole transaction); it may still write and
    queue after-commit follow-ups. Dropped on rollback, like the work that queued it."""
    queued(db.session(), _BEFORE_COMMIT).append(action)


@event.listens_for(Session, "before_commit")
def _run_before_commit(session: Session) -> None:
    if session.in_nested_transaction():  # a released savepoint: the outermost commit runs them
        return
    while actions := session.info.pop(_BEFORE_COMMIT, None):
        for action in actions:
            action()


@event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    # SQLAlchemy fires this for a released savepoint too: only the outermost commit counts.
    if session.in_nested_transaction():
        return
    session.info.pop(_SAVEPOINT_MARKS, None)
    actions = session.info.pop(_AFTER_COMMIT, [])
    for name in _QUEUES:  # settled by this commit: the next transaction starts with none
        session.info.pop(name, None)
    for action in actions:
        try:
            action()
        except Exception:  # noqa: BLE001 - a follow-up must not undo a committed change
            log.exception("after-commit action failed")


@event.listens_for(Session, "after_transaction_create")
def _mark_savepoint(session: Session, transaction: Any) -> None:
    """Remember how long each queue was when a savepoint began."""
    if transaction.nested:
        marks = session.info.setdefault(_SAVEPOINT_MARKS, {})
        marks[id(transaction)] = {name: len(session.info.get(name, [])) for name in _QUEUES}


@event.listens_for(Session, "after_soft_rollback")
def _drop_queued(session: Session, previous_transaction: Any) -> None:
    """A rollback drops the queued entries of what it undid: all of them, or, for a savepoint,
    those queued since it began (the outer work and its entries stay)."""
    if not previous_transaction.nested:
        for name in _QUEUES:
            session.info.pop(name, None)
        session.info.pop(_SAVEPOINT_MARKS, None)
        return
    marks = session.info.get(_SAVEPOINT_MARKS, {}).pop(id(previous_transaction), None)
    for name, mark in (marks or {}).items():
        del session.info.get(name, [])[mark:]


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC timestamps on every backend (SQLite stores naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class CaseText(TypeDecorator[str]):
    """Case data (names, phone numbers, addresses, free text): encrypted at rest with Fernet.

    Services read and write plain strings; the database only ever sees ciphertext.
    """

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Any) -> str | None:
        return None if value is None else crypto.encrypt(value)

    def process_result_value(self, value: str | None, dialect: Any) -> str | None:
        return None if value is None else crypto.decrypt(value)


class CaseFloat(TypeDecorator[float]):
    """A case number that locates someone (a home's exact coordinates): encrypted like CaseText.

    The database cannot compare or sort it; keep a coarse plain copy beside it where an
    overview needs one (`Incident.lat_coarse`).
    """

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: float | None, dialect: Any) -> str | None:
        return None if value is None else crypto.encrypt(repr(float(value)))

    def process_result_value(self, value: str | None, dialect: Any) -> float | None:
        return None if value is None else float(crypto.decrypt(value))


class CaseJSON(TypeDecorator[Any]):
    """Structured case data (raw answers, note content) stored as encrypted JSON."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        if value is None:
            return None
        return crypto.encrypt(json.dumps(value, sort_keys=True, ensure_ascii=False))

    def process_result_value(self, value: str | None, dialect: Any) -> Any:
        return None if value is None else json.loads(crypto.decrypt(value))


ENCRYPTED_TYPES = (CaseText, CaseFloat, CaseJSON)  # what key rotation re-encrypts


def BlindIndex() -> String:  # noqa: N802 - reads like a type in model declarations
    """Column type holding a keyed HMAC of a normalised case value (hex SHA-256)."""
    return String(64)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    """Make SQLite wait for writers and enforce foreign keys (WAL for concurrent readers)."""
    module = type(dbapi_connection).__module__
    if not module.startswith("sqlite3"):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
