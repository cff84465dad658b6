"""Verifying and purging the audit hash chain; the `flask audit` commands and `/api/v1/audit`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import click
from flask.cli import AppGroup
from flask_login import current_user
from pydantic import Field
from sqlalchemy import delete, func, select, text

from app.api.core import api, endpoint, problem
from app.audit import GENESIS_HASH, AuditCheckpoint, AuditEvent, AuditHead, chain_hash
from app.auth.models import Role
from app.db import db
from app.schemas import DbId, Input, Output, PageInfo
from app.security import allow
from core import clock

ADMIN_OBJECTS = ("user", "unit", "organisation", "api_token")
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


audit_cli = AppGroup("audit", help="The tamper-evident audit trail.")


@audit_cli.command("verify")
def verify_command() -> None:
    """Walk the hash chain; exit 1 naming the first event that does not verify."""
    verdict = verify_chain()
    if not verdict.ok:
        where = f"event {verdict.bad_id}" if verdict.bad_id else "the end of the chain"
        click.echo(
            f"audit chain BROKEN at {where}: {verdict.problem} ({verdict.events} events verified)"
        )
        raise SystemExit(1)
    click.echo(f"audit chain ok: {verdict.events} events")


@audit_cli.command("purge")
@click.option(
    "--days", type=click.IntRange(min=1), default=None, help="Default: AUDIT_RETENTION_DAYS."
)
def purge_command(days: int | None) -> None:
    """Remove audit events older than the audit retention (default 1825 days)."""
    from flask import current_app

    keep = days or int(current_app.config.get("AUDIT_RETENTION_DAYS", 1825))
    removed = purge_before(clock.now() - dt.timedelta(days=keep))
    db.session.commit()
    click.echo(f"purged {removed} audit events older than {keep} days")


class AuditQuery(Input):
    """Filters for the audit trail."""

    object_type: str | None = Field(None, max_length=32)
    object_id: DbId | None = None
    page: int = Field(1, ge=1, le=100_000)
    per_page: int = Field(50, ge=1, le=200)


class AuditRead(Output):
    """One audit event (ids, never case content)."""

    id: int
    occurred_at: dt.datetime
    username: str | None
    role: str | None
    organisation: str | None
    token_name: str | None
    action: str
    object_type: str | None
    object_id: int | None
    object_ids: list[int] | None
    request_id: str | None
    client_addr: str | None


class AuditList(Output):
    """A page of audit events, newest first."""

    items: list[AuditRead]
    page: PageInfo


@api.get("/audit")
@endpoint(
    "Who touched what",
    allow(Role.SUPERVISOR, Role.ADMIN),
    query=AuditQuery,
    response=AuditList,
    tags=("audit",),
)
def audit_trail(query: AuditQuery):
    """Supervisors see case audit; administrators only the audit of administrative actions."""
    stmt = select(AuditEvent)
    if Role(current_user.role) == Role.ADMIN:
        if query.object_type and query.object_type not in ADMIN_OBJECTS:
            raise problem(
                403,
                "forbidden",
                "Administrators see only administrative audit.",
                {"object_type": f"one of {', '.join(ADMIN_OBJECTS)}"},
            )
        stmt = stmt.where(AuditEvent.object_type.in_(ADMIN_OBJECTS))
    if query.object_type:
        stmt = stmt.where(AuditEvent.object_type == query.object_type)
    if query.object_id:
        stmt = stmt.where(AuditEvent.object_id == query.object_id)
    total = db.session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    rows = db.session.execute(
        stmt.order_by(AuditEvent.id.desc())
        .offset((query.page - 1) * query.per_page)
        .limit(query.per_page)
    ).scalars()
    return AuditList(
        items=[AuditRead.model_validate(r) for r in rows],
        page=PageInfo(page=query.page, per_page=query.per_page, total=total),
    )
