"""`flask audit verify|purge`: check the chain, remove what is past its retention."""

from __future__ import annotations

import datetime as dt

import click
from flask.cli import AppGroup

from core import clock
from core.audit.chain import purge_before, verify_chain
from core.db import db

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
