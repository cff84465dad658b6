"""User, organisation and token operations (services flush; callers commit)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import current_app
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from accounts.login import new_token, token_hash
from accounts.models import ApiToken, Organisation, OrganisationKind, Role, User
from core import audit, clock, crypto
from core.audit import AuditEvent
from core.db import db
from core.errors import DomainError
from core.i18n import lazy_gettext as _l
from core.realtime import publish, rooms

MIN_PASSWORD_LENGTH = 10
# A real hash to compare against when the user does not exist, so timing does not tell.
_DUMMY_HASH = generate_password_hash("nachtwacht-dummy-password")


class AccountError(DomainError):
    """A user or token operation that cannot be done, with the offending field (422)."""

    def __init__(self, field: str, message: Any):
        super().__init__(422, "validation_error", message, {field: message})
        self.field = field


def organisation_by_slug(slug: str) -> Organisation | None:
    """Find an organisation by its slug."""
    return db.session.execute(
        select(Organisation).where(Organisation.slug == slug)
    ).scalar_one_or_none()


def user_by_name(username: str) -> User | None:
    """Find a user by username (case-insensitive)."""
    return db.session.execute(
        select(User).where(func.lower(User.username) == username.strip().lower())
    ).scalar_one_or_none()


def create_organisation(
    slug: str, name: str, kind: OrganisationKind, receives_handover: bool = False
) -> Organisation:
    """Add an organisation; slugs are unique."""
    if organisation_by_slug(slug):
        raise AccountError("slug", _l("An organisation %(slug)s already exists.", slug=slug))
    org = Organisation(slug=slug, name=name, kind=kind, receives_handover=receives_handover)
    db.session.add(org)
    db.session.flush()
    audit.record("create", "organisation", org.id)
    return org


def validate_password(password: str) -> None:
    """Refuse passwords that are too short."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(
            "password", _l("Must be at least %(n)s characters.", n=MIN_PASSWORD_LENGTH)
        )


def create_user(
    username: str,
    password: str,
    role: Role,
    organisation: Organisation | None = None,
    display_name: str = "",
) -> User:
    """Add a user with a hashed password."""
    if user_by_name(username):
        raise AccountError("username", _l("A user %(name)s already exists.", name=username))
    validate_password(password)
    if role == Role.SOCIAL_WORKER and organisation is None:
        raise AccountError("organisation", _l("A social worker belongs to an organisation."))
    user = User(
        username=username.strip(),
        display_name=display_name or username.strip(),
        password_hash=hash_password(password),
        role=role,
        organisation=organisation,
    )
    db.session.add(user)
    db.session.flush()
    audit.record("create", "user", user.id)
    return user


def hash_password(password: str) -> str:
    """Hash with PASSWORD_HASH_METHOD (scrypt; the test suite uses a cheap method)."""
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def set_password(user: User, password: str) -> None:
    """Change a password and revoke the user's existing sessions."""
    validate_password(password)
    user.password_hash = hash_password(password)
    user.session_version += 1
    db.session.flush()
    audit.record("update", "user", user.id)


def record_failed_login(typed: str) -> None:
    """Audit a failed login: the account when it exists, else only a keyed hash of the name.

    What was typed is never kept: people type passwords into the username box.
    """
    user = user_by_name(typed)
    if user is not None:
        audit.record("login_failed", "user", user.id, username=user.username)
        _alarm_on_burst(user)
        return
    digest = crypto.blind_index(typed.strip().lower(), purpose="login") or ""
    audit.record("login_failed", username=f"unknown:{digest[:16]}")


BURST_WINDOW = dt.timedelta(minutes=15)


def _alarm_on_burst(user: User) -> None:
    """Every LOGIN_ALARM_FAILURES failed logins on one account within 15 minutes, from wherever,
    the supervisors are alerted live (someone may be trying to get in, or to keep a dispatcher
    out) and it is audited."""
    threshold = int(current_app.config.get("LOGIN_ALARM_FAILURES", 10))
    audit.write_pending()  # this failure counts too
    failures = db.session.execute(
        select(func.count(AuditEvent.id)).where(
            AuditEvent.action == "login_failed",
            AuditEvent.object_type == "user",
            AuditEvent.object_id == user.id,
            AuditEvent.occurred_at >= clock.now() - BURST_WINDOW,
        )
    ).scalar_one()
    if threshold > 0 and failures % threshold == 0:
        audit.record("login_burst", "user", user.id, username=user.username)
        alarm = {
            "kind": "login_burst",
            "key": f"login_burst:{user.id}:{failures}",
            "username": user.username,
            "failures": failures,
        }
        publish("escalation", alarm, [rooms.SUPERVISORS])


def authenticate(username: str, password: str) -> User | None:
    """Return the active user for these credentials, else None (same cost either way)."""
    user = user_by_name(username)
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.active:
        return None
    return user


def create_token(
    user: User, name: str, scopes: list[str] | None = None, expires_days: int | None = None
) -> tuple[ApiToken, str]:
    """Issue a bearer token; the raw value is returned once and only its hash is stored."""
    raw = new_token()
    expires = clock.now() + dt.timedelta(days=expires_days) if expires_days else None
    token = ApiToken(
        name=name,
        user=user,
        token_hash=token_hash(raw),
        prefix=raw[:10],
        scopes=sorted(scopes or []),
        expires_at=expires,
    )
    db.session.add(token)
    db.session.flush()
    audit.record("create", "api_token", token.id)
    return token, raw
