"""`flask user create` and `flask token create`."""

from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import AppGroup

from accounts import service
from accounts.models import Role
from core.db import db


@click.group("user", cls=AppGroup)
def user_cli() -> None:
    """Manage users."""


@user_cli.command("create")
@click.argument("name")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--organisation", "organisation_slug", help="Organisation slug.")
@click.option("--password-stdin", is_flag=True, required=True, help="Read the password from stdin.")
@click.option("--display-name", default="")
def create_user(
    name: str, role: str, organisation_slug: str | None, password_stdin: bool, display_name: str
) -> None:
    """Create a user, reading the password from standard input."""
    password = sys.stdin.readline().rstrip("\r\n")
    org = None
    if organisation_slug:
        org = service.organisation_by_slug(organisation_slug)
        if org is None:
            raise click.ClickException(f"no organisation with slug {organisation_slug!r}")
    try:
        user = service.create_user(name, password, Role(role), org, display_name)
    except service.AccountError as exc:
        db.session.rollback()
        raise click.ClickException(f"{exc.field}: {exc.message}") from None
    db.session.commit()
    click.echo(f"created user {user.username} ({user.role}) id={user.id}")


@user_cli.command("reset-2fa")
@click.argument("name")
def reset_2fa(name: str) -> None:
    """Remove a user's second factor; they enrol again at their next login."""
    from accounts import twofactor

    user = service.user_by_name(name)
    if user is None:
        raise click.ClickException(f"no user {name!r}")
    twofactor.reset(user)
    db.session.commit()
    click.echo(f"two-factor login reset for {user.username}; they enrol again at the next login")


@click.group("token", cls=AppGroup)
def token_cli() -> None:
    """Manage API tokens."""


@token_cli.command("create")
@click.argument("name")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    type=click.Choice(["intake", "aml", "eido"]),
    help="Limit the token: intake = create incidents, read back its own; aml = send callers' "
    "handset locations (POST /api/v1/aml); eido = send incidents as EIDO (POST /api/v1/eido).",
)
@click.option("--expires-days", type=click.IntRange(min=1), default=None)
def create_token(name: str, scopes: tuple[str, ...], expires_days: int | None) -> None:
    """Create a token for user NAME; the token is the last line printed."""
    user = service.user_by_name(name)
    if user is None:
        raise click.ClickException(f"no user {name!r}")
    token, raw = service.create_token(user, f"{name}-cli", list(scopes), expires_days)
    db.session.commit()
    click.echo(
        f"token id={token.id} for {user.username} ({user.role}); "
        "store it now, it is not shown again:"
    )
    click.echo(raw)


@token_cli.command("list")
def list_tokens() -> None:
    """List tokens (never their values): id, user, name, scopes, expiry, last use, revoked."""
    from sqlalchemy import select

    from accounts.models import ApiToken

    rows = db.session.execute(select(ApiToken).order_by(ApiToken.id)).scalars().all()
    click.echo("id  user  name  scopes  expires  last_used  revoked")
    for t in rows:
        stamp = lambda v: v.strftime("%Y-%m-%d %H:%M") if v else "-"  # noqa: E731
        click.echo(
            f"{t.id}  {t.user.username}  {t.name}  {','.join(t.scopes) or '(role)'}  "
            f"{stamp(t.expires_at)}  {stamp(t.last_used_at)}  {stamp(t.revoked_at)}"
        )


@token_cli.command("revoke")
@click.argument("token_id", type=int)
def revoke_token(token_id: int) -> None:
    """Revoke a token by id; it stops working at once."""
    from accounts.models import ApiToken
    from core import audit, clock

    token = db.session.get(ApiToken, token_id)
    if token is None:
        raise click.ClickException(f"no token with id {token_id}")
    if token.revoked_at is None:
        token.revoked_at = clock.now()
        audit.record("revoke", "api_token", token.id)
        db.session.commit()
    click.echo(f"token {token_id} revoked")


def register_cli(app: Flask) -> None:
    """Attach the command groups."""
    app.cli.add_command(user_cli)
    app.cli.add_command(token_cli)
