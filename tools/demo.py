"""`flask demo seed`: idempotent demo data — organisations, one account per role, units."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import select

from accounts import service as accounts
from accounts.models import OrganisationKind, Role, User
from core.db import db
from core.progress import progress
from dispatch import service as units
from dispatch.models import Unit, UnitStatus

DEMO_PASSWORD = "nachtwacht-demo"

ORGANISATIONS = [
    ("politie-antwerpen", "Politiezone Antwerpen", OrganisationKind.POLICE, False),
    ("caw-antwerpen", "CAW Antwerpen", OrganisationKind.CAW, True),
    ("veilig-huis-antwerpen", "Veilig Huis Antwerpen", OrganisationKind.VEILIG_HUIS, True),
    (
        "slachtofferhulp-antwerpen",
        "Slachtofferhulp Antwerpen",
        OrganisationKind.VICTIM_SUPPORT,
        True,
    ),
]

# username, role, organisation, display name
ACCOUNTS = [
    ("dispatcher", Role.DISPATCHER, "politie-antwerpen", "Dispatcher An Peeters"),
    ("dispatcher2", Role.DISPATCHER, "politie-antwerpen", "Dispatcher Youssef El Amrani"),
    ("supervisor", Role.SUPERVISOR, "politie-antwerpen", "Officier van dienst Els Janssens"),
    ("officer", Role.OFFICER, "politie-antwerpen", "Inspecteur Sarah Claes"),
    ("sw-caw", Role.SOCIAL_WORKER, "caw-antwerpen", "Maatschappelijk werker Lotte De Smet"),
    ("sw-veilighuis", Role.SOCIAL_WORKER, "veilig-huis-antwerpen", "Casemanager Pieter Maes"),
    ("sw-slachtofferhulp", Role.SOCIAL_WORKER, "slachtofferhulp-antwerpen", "Consulent Nora Aerts"),
    ("admin", Role.ADMIN, "politie-antwerpen", "Functioneel beheerder"),
]

# call sign, phone, skills, languages, lat, lon (spread over the districts)
UNITS = [
    (
        "NT-11",
        "+32470000011",
        ["child_interviewing", "female_officer"],
        ["nl", "fr"],
        51.2213,
        4.4051,
    ),
    ("NT-12", "+32470000012", ["shelter_transport"], ["nl", "en"], 51.2130, 4.4210),
    ("NT-21", "+32470000021", ["female_officer", "first_aid"], ["nl", "ar"], 51.2156, 4.4418),
    ("NT-22", "+32470000022", ["child_interviewing"], ["nl", "tr"], 51.2102, 4.4672),
    (
        "NT-31",
        "+32470000031",
        ["shelter_transport", "female_officer"],
        ["nl", "pl"],
        51.1924,
        4.4260,
    ),
    (
        "NT-32",
        "+32470000032",
        ["child_interviewing", "shelter_transport"],
        ["nl", "en", "fr"],
        51.1706,
        4.3940,
    ),
    ("NT-41", "+32470000041", ["first_aid"], ["nl", "ar", "fr"], 51.2478, 4.4333),
    ("NT-42", "+32470000042", ["female_officer"], ["nl", "en"], 51.2772, 4.4365),
    (
        "NT-51",
        "+32470000051",
        ["child_interviewing", "female_officer"],
        ["nl", "ru"],
        51.1729,
        4.3699,
    ),
    ("NT-52", "+32470000052", ["shelter_transport"], ["nl", "es"], 51.3190, 4.3040),
]


def seed_organisations() -> int:
    """Create the partner organisations that are missing."""
    created = 0
    for slug, name, kind, handover in ORGANISATIONS:
        if accounts.organisation_by_slug(slug) is None:
            accounts.create_organisation(slug, name, kind, handover)
            created += 1
    return created


def seed_users() -> int:
    """Create the demo accounts (and two officers per unit) that are missing."""
    created = 0
    wanted = list(ACCOUNTS) + [
        (f"officer-{call.lower()}-{n}", Role.OFFICER, "politie-antwerpen", f"Inspecteur {call}/{n}")
        for call, *_ in UNITS
        for n in (1, 2)
    ]
    for username, role, slug, display in wanted:
        if accounts.user_by_name(username) is None:
            org = accounts.organisation_by_slug(slug)
            accounts.create_user(username, DEMO_PASSWORD, role, org, display)
            created += 1
    return created


def seed_units() -> int:
    """Create the demo units (on duty around the clock, available) that are missing."""
    created = 0
    for call, phone, skills, languages, lat, lon in UNITS:
        if db.session.execute(select(Unit).where(Unit.call_sign == call)).scalar_one_or_none():
            continue
        members = [f"officer-{call.lower()}-1", f"officer-{call.lower()}-2"]
        if call == "NT-11":
            members[0] = "officer"
        unit = units.create_unit(
            {
                "call_sign": call,
                "phone": phone,
                "skills": skills,
                "languages": languages,
                "lat": lat,
                "lon": lon,
                "members": members,
            }
        )
        unit.status = UnitStatus.AVAILABLE
        created += 1
    return created


@click.group("demo", cls=AppGroup)
def demo_cli() -> None:
    """Demo data for trying Nachtwacht out."""


@demo_cli.command("seed")
def seed() -> None:
    """Create demo organisations, accounts and units (safe to run again)."""
    if current_app.config["CONFIG"].ENV_NAME == "production":
        raise click.ClickException("refusing to seed demo accounts in production")
    counts = (seed_organisations(), seed_users(), seed_units())
    db.session.commit()
    orgs, users, unit_count = counts
    click.echo(f"demo data: {orgs} organisations, {users} users, {unit_count} units created")
    click.echo(f"demo accounts (password for all: {DEMO_PASSWORD}):")
    for username, role, slug, _display in ACCOUNTS:
        click.echo(f"  {username:<20} {role.value:<14} {slug}")
    total_users = db.session.execute(select(db.func.count(User.id))).scalar_one()
    click.echo(f"({total_users} users in all, incl. two officers per unit)")


@demo_cli.command("night")
@click.option("--calls", type=click.IntRange(1, 5000), default=30, show_default=True)
@click.option(
    "--speed",
    type=click.FloatRange(min=0),
    default=60.0,
    show_default=True,
    help="Times real time; 0 = as fast as possible.",
)
@click.option("--concurrency", type=click.IntRange(1, 200), default=12, show_default=True)
@click.option("--base-url", default=None, help="The running server (default: PUBLIC_BASE_URL).")
@click.option("--seed", type=int, default=None, help="Same seed, same night (default: random).")
@click.option(
    "--allow-sms",
    is_flag=True,
    help="Play even though Twilio is configured (assignments then text the units' phones).",
)
@click.option(
    "--clean",
    is_flag=True,
    help="Play nothing: remove every exercise incident and what hangs off it.",
)
@click.option("--yes", is_flag=True, help="With --clean: do not ask for confirmation.")
def night(
    calls: int,
    speed: float,
    concurrency: int,
    base_url: str | None,
    seed: int | None,
    allow_sms: bool,
    clean: bool,
    yes: bool,
):
    """Play a synthetic night of calls (all exercises) through the HTTP API of a running
    server; with --clean, remove the exercise data instead."""
    import random

    from tools.simulator.driver import Options
    from tools.simulator.local import run_night

    config = current_app.config["CONFIG"]
    if config.ENV_NAME == "production":
        what = "remove exercise data" if clean else "play a synthetic night"
        raise click.ClickException(f"refusing to {what} in production")
    if clean:
        clean_exercises(yes)
        return
    if config.twilio_enabled and not allow_sms:
        raise click.ClickException(
            "Twilio is configured: every assignment would send a real SMS to the demo units' "
            "numbers. Unset the TWILIO_* settings or pass --allow-sms."
        )
    seed = random.SystemRandom().randrange(1, 100_000) if seed is None else seed
    options = Options(speed=speed, concurrency=concurrency)
    url = base_url or current_app.config["PUBLIC_BASE_URL"]
    run_night(current_app._get_current_object(), calls, seed, options, url)


def clean_exercises(yes: bool) -> None:
    """Remove every exercise incident and its rows (after confirmation); print the counts."""
    from tools.simulator.clean import clean, exercise_ids

    ids = exercise_ids()
    if not ids:
        click.echo("no exercise incidents: nothing to remove")
        return
    if not yes:
        click.confirm(
            f"remove {len(ids)} exercise incidents and everything that hangs off them?",
            abort=True,
        )
    with progress("demo night --clean: incidents", len(ids), every=200) as step:
        counts = clean(ids, step)
    db.session.commit()
    click.echo(f"removed {counts.pop('incident', 0)} exercise incidents")
    units_freed = counts.pop("units_made_available", 0)
    for table, n in sorted(counts.items()):
        if n:
            click.echo(f"  {table}: {n}")
    if units_freed:
        click.echo(f"{units_freed} units still on an exercise made available")


def register_cli(app: Flask) -> None:
    """Attach `flask demo`."""
    app.cli.add_command(demo_cli)
