"""`flask audit verify|purge`: check the chain, remove what is past its retention."""

from __future__ import annotations

import datetime as dt
import logging
from typing import IO

import click
from flask.cli import AppGroup
from sqlalchemy import func, select

from core import clock
from core.audit import AuditEvent, chain
from core.audit.chain import (
    BATCH,
    anchor_line,
    check_anchors,
    mark_verified,
    purge_before,
    starting_point,
    verify_chain,
)
from core.db import db
from core.progress import progress

audit_cli = AppGroup("audit", help="The tamper-evident audit trail.")


@audit_cli.command("verify")
@click.option(
    "--anchor",
    "anchor_file",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="Also check the heads anchored in this file (AUDIT_ANCHOR_FILE).",
)
@click.option(
    "--incremental",
    is_flag=True,
    help="Walk only the events after the last verified checkpoint (a walk that verified).",
)
def verify_command(anchor_file: str | None, incremental: bool) -> None:
    """Walk the chain; exit 1 naming the first event that does not verify. A walk that
    verifies signs a checkpoint where it ended, for the next `--incremental` walk."""
    start = starting_point(incremental)
    after = start.last_event_id if start else 0
    total = db.session.execute(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.id > after)
    ).scalar_one()
    with progress("audit verify", total, every=BATCH) as step:
        verdict = verify_chain(step, incremental=incremental)
    if verdict.ok and anchor_file:
        with open(anchor_file, encoding="utf-8") as handle:
            verdict = check_anchors(handle.read().splitlines()) or verdict
    if not verdict.ok:
        where = f"event {verdict.bad_id}" if verdict.bad_id else "the end of the chain"
        click.echo(
            f"audit chain BROKEN at {where}: {verdict.problem} ({verdict.events} events verified)"
        )
        raise SystemExit(1)
    mark_verified(verdict)
    db.session.commit()
    since = f" after event {after}" if incremental and after else ""
    click.echo(f"audit chain ok: {verdict.events} events{since}")


@audit_cli.command("purge")
@click.option(
    "--days", type=click.IntRange(min=1), default=None, help="Default: AUDIT_RETENTION_DAYS."
)
def purge_command(days: int | None) -> None:
    """Remove audit events older than the audit retention (default 1825 days)."""
    from flask import current_app

    keep = days or int(current_app.config.get("AUDIT_RETENTION_DAYS", 1825))
    removed = purge_committed(clock.now() - dt.timedelta(days=keep))
    click.echo(f"purged {removed} audit events older than {keep} days")


def purge_committed(cutoff: dt.datetime, stream: IO[str] | None = None) -> int:
    """Remove audit events older than the cut-off, PURGE_BATCH at a time, each batch committed
    with its signed checkpoint (an interrupted purge leaves a chain that verifies)."""
    size = chain.PURGE_BATCH  # read now (tests make it small)
    with progress("audit purge", None, every=size, stream=stream) as step:

        def committed(removed: int) -> None:
            db.session.commit()
            step(removed)

        removed = purge_before(cutoff, size, committed)
    db.session.commit()
    return removed


def write_anchor(config) -> str:
    """Append the signed head to AUDIT_ANCHOR_FILE, or log it (journald, syslog) without one."""
    line = anchor_line(clock.now())
    path = config.get("AUDIT_ANCHOR_FILE")
    if path:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(line + "\n")
    else:
        logging.getLogger("nachtwacht.audit.anchor").info("audit anchor %s", line)
    return line


@audit_cli.command("anchor")
def anchor_command() -> None:
    """Append the chain's signed head to AUDIT_ANCHOR_FILE (outside the database)."""
    from flask import current_app

    click.echo(write_anchor(current_app.config))
