"""`flask --app wsgi handover ...` commands."""

from __future__ import annotations

import datetime as dt

import click
from flask.cli import AppGroup

from core import clock
from handover import packets, settings
from handover.window import handover_instant, latest_handover_date

handover_cli = AppGroup("handover", help="Morning handover packets.")


@handover_cli.command("build")
@click.option(
    "--date",
    "day",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Handover date YYYY-MM-DD (default: the latest whose handover time has passed).",
)
def build(day: dt.datetime | None) -> None:
    """Build the missing packets of one handover date (idempotent: a rerun changes nothing)."""
    now = clock.now()
    at, zone = settings.handover_time(), settings.zone()
    date = day.date() if day else latest_handover_date(now, at, zone)
    try:
        result = packets.build_date(date, now, actor="cli")
    except packets.NotYetDueError:
        due = handover_instant(date, at, zone).astimezone(zone)
        raise click.ClickException(
            f"the handover of {date.isoformat()} is at {due:%Y-%m-%d %H:%M:%S %Z}, which has not "
            "passed yet; packets are built only once the handover time has passed"
        ) from None
    click.echo(
        f"handover {date.isoformat()}: built {len(result.built)} packet(s), "
        f"{result.existing} already existed"
    )
    for packet_id in result.built:
        click.echo(f"  packet {packet_id}")
