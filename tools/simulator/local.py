"""`flask demo night`: tokens for the seeded demo accounts, the run, and the summary.

Runs inside the app context of the server's own configuration (same database), so it can issue
short-lived bearer tokens through the token service and read the Twilio auth token the server
validates webhook signatures with. The tokens are revoked when the night is over.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import IO

import click
import requests
from flask import Flask
from sqlalchemy import select

from accounts import service as accounts
from accounts.models import ApiToken
from core import audit, clock
from core.db import db
from core.progress import progress
from dispatch.models import Unit
from tools.simulator.driver import Credentials, NightDriver, Options, summary
from tools.simulator.model import Call
from tools.simulator.plan import plan_night

DISPATCHERS = ("dispatcher", "dispatcher2")
TOKEN_NAME = "demo-night"


def issue_credentials(app: Flask) -> tuple[Credentials, list[int]]:
    """One-day tokens for the demo dispatchers and one officer per unit, and their ids.

    Tokens an interrupted earlier night left behind are revoked first.
    """
    leftover = db.session.execute(
        select(ApiToken.id).where(ApiToken.name == TOKEN_NAME, ApiToken.revoked_at.is_(None))
    ).scalars()
    revoke(list(leftover))
    issued: list[ApiToken] = []

    def token_for(username: str) -> str | None:
        user = accounts.user_by_name(username)
        if user is None or not user.active:
            return None
        token, raw = accounts.create_token(user, TOKEN_NAME, [], expires_days=1)
        issued.append(token)
        return raw

    dispatchers = [t for t in map(token_for, DISPATCHERS) if t]
    if not dispatchers:
        raise click.ClickException("no demo dispatcher accounts: run `flask demo seed` first")
    officers = {}
    for unit in db.session.execute(select(Unit).order_by(Unit.id)).unique().scalars():
        if unit.members and (raw := token_for(unit.members[0].user.username)):
            officers[unit.call_sign] = raw
    db.session.commit()
    credentials = Credentials(
        dispatchers=dispatchers,
        officers=officers,
        twilio_token=app.config.get("TWILIO_AUTH_TOKEN"),
        public_base_url=app.config["PUBLIC_BASE_URL"],
        twilio_number=app.config.get("TWILIO_FROM_NUMBER") or "+3235550100",
    )
    return credentials, [t.id for t in issued]


def revoke(token_ids: list[int]) -> None:
    """Revoke the night's tokens."""
    for token_id in token_ids:
        token = db.session.get(ApiToken, token_id)
        if token is not None and token.revoked_at is None:
            token.revoked_at = clock.now()
            audit.record("revoke", "api_token", token.id)
    db.session.commit()


def check_server(base_url: str) -> None:
    """Fail early, and clearly, when no server answers at the URL."""
    try:
        requests.get(f"{base_url.rstrip('/')}/healthz", timeout=5).raise_for_status()
    except requests.RequestException as exc:
        raise click.ClickException(
            f"no Nachtwacht server at {base_url} ({exc.__class__.__name__}); start one with"
            " `make run`, or pass --base-url"
        ) from None


def duration_s(calls: list[Call], speed: float) -> float:
    """Roughly how long the night takes in real seconds."""
    if speed <= 0 or not calls:
        return 0.0
    return max(c.at_s + sum(s.after_s for s in c.steps) for c in calls) / speed


def header(calls: list[Call], seed: int, options: Options, url: str, creds: Credentials) -> str:
    """What is about to happen."""
    pace = f"speed {options.speed:g}× (about {duration_s(calls, options.speed):.0f} s)"
    if options.speed <= 0:
        pace = "as fast as possible"
    sms = "signed Twilio webhooks"
    if not creds.twilio_token:
        sms = (
            "no TWILIO_AUTH_TOKEN configured, so units report their status through the"
            " dispatcher API (POST /api/v1/units/<id>/status) instead of signed SMS webhooks"
        )
    flows = min(options.concurrency, len(calls))
    return (
        f"night simulator: {len(calls)} calls, seed {seed}, {pace}, {flows} flows in parallel,"
        f" server {url}\nunit replies: {sms}"
    )


def above_bar(out: Callable, stream: IO[str]) -> Callable[[str], None]:
    """`out`, clearing the terminal's line first when a progress bar is drawn there, so that
    each call's line is printed above the bar (the bar redraws below it on the next step)."""
    try:
        bar = stream.isatty() and sys.stdout.isatty()  # (a log file gets no escape codes)
    except (AttributeError, ValueError):
        bar = False
    return (lambda text: out(f"\r\x1b[K{text}")) if bar else out


def run_night(
    app: Flask,
    calls: int,
    seed: int,
    options: Options,
    base_url: str,
    out: Callable = click.echo,
    stream: IO[str] | None = None,
) -> dict:
    """Plan and play the night, print one line per call and the summary; return the tally.

    Progress (calls played / planned) goes to `stream` (stderr): a bar on a terminal, a count
    line every ten calls in a log."""
    stream = stream or sys.stderr
    check_server(base_url)
    plan = plan_night(seed, calls)
    creds, token_ids = issue_credentials(app)
    out(header(plan, seed, options, base_url, creds))
    started = time.monotonic()
    try:
        with progress("demo night: calls played", len(plan), every=10, stream=stream) as step:
            line = above_bar(out, stream)
            stats = NightDriver([base_url], creds, options, out=line, played=step).run(plan)
    finally:
        revoke(token_ids)
    for line in summary(stats, time.monotonic() - started):
        out(line)
    return stats.as_dict()
