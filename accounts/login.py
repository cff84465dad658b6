"""Who is asking: the session user, a bearer token, and the token bookkeeping after a request."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from flask import Flask, current_app, g, session
from flask_babel import lazy_gettext
from sqlalchemy import select

from accounts.models import ApiToken, User
from core import clock
from core.db import db
from core.extensions import login_manager


def token_hash(raw: str) -> str:
    """SHA-256 of a raw token; only this is stored."""
    return hashlib.sha256(raw.encode()).hexdigest()


def new_token() -> str:
    """A fresh random bearer token."""
    return "nw_" + secrets.token_urlsafe(32)


LOGIN_AT = "login_at"  # when the session's login completed (epoch seconds, the app's clock)


def load_user(identity: str) -> User | None:
    """Load the session user; a stale session version means the session was revoked, and a
    session ends SESSION_HOURS after its login however active it stayed."""
    user_id, _, version = identity.partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    login_at = session.get(LOGIN_AT)
    hours = current_app.config.get("SESSION_HOURS", 12)
    if not isinstance(login_at, int | float) or clock.now().timestamp() - login_at > hours * 3600:
        return None
    user = db.session.get(User, int(user_id))
    if user is None or user.session_version != int(version):
        return None
    return user


def load_user_from_token(req: Any) -> User | None:
    """Authenticate `Authorization: Bearer <token>` requests."""
    header = req.headers.get("Authorization", "")
    scheme, _, raw = header.partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        return None
    token = db.session.execute(
        select(ApiToken).where(ApiToken.token_hash == token_hash(raw.strip()))
    ).scalar_one_or_none()
    now = clock.now()
    if token is None or token.revoked_at or (token.expires_at and token.expires_at <= now):
        return None
    if not token.user.active:
        return None
    g.api_token = token
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=1):
        token.last_used_at = now  # committed with the request, or by the teardown below
        g.token_touched = True
    return token.user


def init_app(app: Flask) -> None:
    """Register the login loaders, the second-factor gate and the token bookkeeping."""
    from accounts.twofactor import gate

    login_manager.user_loader(load_user)
    login_manager.request_loader(load_user_from_token)
    login_manager.login_view = "auth.login"
    login_manager.login_message = lazy_gettext("Log in to see this page.")
    login_manager.session_protection = "basic"
    app.before_request(gate)

    @app.teardown_request
    def _save_token_use(exc: BaseException | None) -> None:
        if g.pop("token_touched", False) and exc is None:
            try:
                db.session.commit()
            except Exception:  # noqa: BLE001 - bookkeeping must never break a response
                db.session.rollback()
