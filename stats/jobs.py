"""Keep settled nights' figures: the hourly job and `flask --app wsgi stats recompute`."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import select

from core import clock
from core.db import db
from core.progress import progress
from stats import nightly, periods
from stats.models import NightFigures
from stats.periods import Period
from stats.schemas import MAX_DAYS
from stats.service import night_hours

log = logging.getLogger(__name__)
CHUNK = 31  # nights counted (and committed) together
stats_cli = AppGroup("stats", help="Shift statistics.")


def settled_nights(first: dt.date, last: dt.date) -> list[Period]:
    """The nights from first to last (dates they start on) that have settled by now."""
    now = clock.now()
    nights = periods.nights(first, last, clock.zone(), *night_hours())
    return [n for n in nights if nightly.settled(n, now)]


def _kept(first: dt.date, last: dt.date, hours: tuple[int, int]) -> set[str]:
    rows = db.session.execute(
        select(NightFigures.night_date).where(
            NightFigures.night_date >= first,
            NightFigures.night_date <= last,
            NightFigures.start_hour == hours[0],
            NightFigures.end_hour == hours[1],
            NightFigures.version == nightly.VERSION,
        )
    ).scalars()
    return {day.isoformat() for day in rows}


def keep(nights: list[Period], replace: bool, step: Callable[[int], object]) -> int:
    """Store the nights' figures in chunks, one commit each (a crash keeps whole chunks)."""
    hours, written = night_hours(), 0
    for at in range(0, len(nights), CHUNK):
        chunk = nights[at : at + CHUNK]
        written += nightly.keep(chunk, hours, replace=replace)
        db.session.commit()
        step(len(chunk))
    return written


def keep_settled(app: Flask, now: dt.datetime | None = None) -> int:
    """Store every settled night of the last MAX_DAYS not stored yet; safe to run twice."""
    today = (now or clock.now()).astimezone(clock.zone()).date()
    first = today - dt.timedelta(days=MAX_DAYS)
    kept = _kept(first, today, night_hours())
    missing = [n for n in settled_nights(first, today) if n.label not in kept]
    written = keep(missing, replace=True, step=lambda n: None)  # replace: an older VERSION
    if written:
        log.info("statistics: kept the figures of %d settled night(s)", written)
    return written


@stats_cli.command("recompute")
@click.option("--from", "first", type=click.DateTime(["%Y-%m-%d"]), required=True)
@click.option("--to", "last", type=click.DateTime(["%Y-%m-%d"]), default=None)
def recompute(first: dt.datetime, last: dt.datetime | None) -> None:
    """Count the settled nights from..to again and keep their figures (after a correction)."""
    nights = settled_nights(first.date(), (last or first).date())
    with progress("stats recompute: nights", len(nights), every=CHUNK) as step:
        written = keep(nights, replace=True, step=step)
    click.echo(f"kept the figures of {written} settled night(s)")
