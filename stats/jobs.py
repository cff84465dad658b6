"""Keep settled nights' figures: the hourly job and `flask --app wsgi stats recompute`."""

from __future__ import annotations

import bisect
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
from stats.schemas import EARLIEST, LATEST, MAX_DAYS
from stats.service import night_hours
from triage.models import Incident

log = logging.getLogger(__name__)
CHUNK = 31  # nights counted (and committed) together
stats_cli = AppGroup("stats", help="Shift statistics.")


def settled_nights(first: dt.date, last: dt.date) -> list[Period]:
    """The nights from first to last (dates they start on) that have settled by now."""
    now = clock.now()
    nights = periods.nights(first, last, clock.zone(), *night_hours())
    return [n for n in nights if nightly.settled(n, now)]


def _kept(first: dt.date, last: dt.date, hours: tuple[int, int]) -> dict[str, dt.datetime]:
    """The kept nights of the current VERSION, by date, with when they were kept."""
    rows = db.session.execute(
        select(NightFigures.night_date, NightFigures.computed_at).where(
            NightFigures.night_date >= first,
            NightFigures.night_date <= last,
            NightFigures.start_hour == hours[0],
            NightFigures.end_hour == hours[1],
            NightFigures.version == nightly.VERSION,
        )
    )
    return {day.isoformat(): at for day, at in rows}


def keep(nights: list[Period], replace: bool, step: Callable[[int], object]) -> int:
    """Store the nights' figures in chunks, one commit each (a crash keeps whole chunks)."""
    hours, written = night_hours(), 0
    for at in range(0, len(nights), CHUNK):
        chunk = nights[at : at + CHUNK]
        written += nightly.keep(chunk, hours, replace=replace)
        db.session.commit()
        step(len(chunk))
    return written


def _changed(nights: list[Period], kept: dict[str, dt.datetime]) -> set[str]:
    """The kept nights with a call changed after they were kept (a priority or district
    corrected, a flag lifted): one statement over the calls changed since the oldest one."""
    if not kept or not nights:
        return set()
    changed = db.session.execute(
        select(Incident.created_at, Incident.updated_at).where(
            Incident.updated_at > min(kept.values()),
            Incident.created_at >= nights[0].start,
            Incident.created_at < nights[-1].end,
        )
    )
    starts = [n.start for n in nights]
    found = set()
    for created, updated in changed:
        night = nights[max(bisect.bisect_right(starts, created) - 1, 0)]
        if night.holds(created) and night.label in kept and updated > kept[night.label]:
            found.add(night.label)
    return found


def keep_settled(app: Flask, now: dt.datetime | None = None) -> int:
    """Store every settled night of the last MAX_DAYS not stored yet, or whose calls changed
    after it was; safe to run twice."""
    today = (now or clock.now()).astimezone(clock.zone()).date()
    first = today - dt.timedelta(days=MAX_DAYS)
    kept = _kept(first, today, night_hours())
    settled = settled_nights(first, today)
    stale = _changed(settled, kept)
    missing = [n for n in settled if n.label not in kept or n.label in stale]
    written = keep(missing, replace=True, step=lambda n: None)  # replace: older or stale
    if written:
        log.info("statistics: kept the figures of %d settled night(s)", written)
    return written


@stats_cli.command("recompute")
@click.option("--from", "first", type=click.DateTime(["%Y-%m-%d"]), required=True)
@click.option("--to", "last", type=click.DateTime(["%Y-%m-%d"]), default=None)
def recompute(first: dt.datetime, last: dt.datetime | None) -> None:
    """Count the settled nights from..to again and keep their figures (after a correction)."""
    start, end = first.date(), (last or first).date()
    for name, day in (("--from", start), ("--to", end)):
        if not EARLIEST <= day <= LATEST:
            raise click.BadParameter(f"must lie between {EARLIEST} and {LATEST}", param_hint=name)
    if end < start:
        raise click.BadParameter("must not be before --from", param_hint="--to")
    if (end - start).days + 1 > MAX_DAYS:
        raise click.BadParameter(f"at most {MAX_DAYS} nights at a time", param_hint="--to")
    nights = settled_nights(start, end)
    with progress("stats recompute: nights", len(nights), every=CHUNK) as step:
        written = keep(nights, replace=True, step=step)
    click.echo(f"kept the figures of {written} settled night(s)")
    if (skipped := (end - start).days + 1 - len(nights)) > 0:
        click.echo(f"{skipped} night(s) not settled yet: they are counted live until then")
