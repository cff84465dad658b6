"""Two-factor login with TOTP (pyotp): enrolment with a server-rendered QR code, recovery codes.

Required for supervisors and administrators (for everyone with REQUIRE_2FA=all): until they
enrol they reach nothing but the enrolment page. API tokens, issued only on the server's
command line, are not asked for a second factor.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

import pyotp
import segno
from flask import current_app, g, request, session
from markupsafe import Markup
from sqlalchemy import ForeignKey, String, select
from sqlalchemy.orm import Mapped, mapped_column

from accounts.models import Role, User
from core import audit, clock
from core.db import Base, UTCDateTime, db

ISSUER = "Nachtwacht"
RECOVERY_CODES = 10
PENDING = "2fa_pending_user"  # session key: password checked, second factor not yet
ALWAYS_OPEN = {"auth.logout", "auth.enrol_2fa", "auth.second_factor", "static", "health.healthz"}


class RecoveryCode(Base):
    """A single-use recovery code, stored as a hash."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


def required_for(user: User) -> bool:
    """Whether this user must use a second factor."""
    if current_app.config.get("REQUIRE_2FA") == "all":
        return True
    return Role(user.role) in (Role.SUPERVISOR, Role.ADMIN)


def needs_enrolment(user: User) -> bool:
    """Required but not set up yet."""
    return required_for(user) and not user.totp_enabled


def _hash(code: str) -> str:
    return hashlib.sha256(code.replace("-", "").strip().lower().encode()).hexdigest()


def new_secret() -> str:
    """A fresh base32 TOTP secret."""
    return pyotp.random_base32()


def qr_svg(user: User, secret: str) -> Markup:
    """The provisioning URI as an inline SVG QR code (no outside service)."""
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=ISSUER)
    svg = segno.make(uri, error="m").svg_inline(scale=5, dark="#0f2740")
    return Markup(svg)  # noqa: S704 - segno output, no user input beyond the escaped URI


def code_ok(secret: str, code: str) -> bool:
    """A 6-digit TOTP code, allowing one step of clock drift."""
    code = code.replace(" ", "")
    return code.isdigit() and len(code) == 6 and pyotp.TOTP(secret).verify(code, valid_window=1)


def enable(user: User, secret: str) -> list[str]:
    """Store the confirmed secret and ten fresh recovery codes; returns the codes once."""
    user.totp_secret, user.totp_enabled = secret, True
    db.session.query(RecoveryCode).filter_by(user_id=user.id).delete()
    codes = [f"{secrets.token_hex(3)}-{secrets.token_hex(3)}" for _ in range(RECOVERY_CODES)]
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_hash(c)) for c in codes)
    user.session_version += 1  # other sessions must log in again with the second factor
    audit.record("2fa_enrolled", "user", user.id)
    return codes


def use_recovery_code(user: User, code: str) -> bool:
    """Spend a recovery code (once)."""
    row = db.session.execute(
        select(RecoveryCode).where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _hash(code),
            RecoveryCode.used_at.is_(None),
        )
    ).scalar_one_or_none()
    if row is None:
        return False
    row.used_at = clock.now()
    return True


def reset(user: User) -> None:
    """Remove the second factor (the user enrols again at the next login)."""
    user.totp_secret, user.totp_enabled = None, False
    db.session.query(RecoveryCode).filter_by(user_id=user.id).delete()
    user.session_version += 1
    audit.record("2fa_reset", "user", user.id)


def gate() -> object | None:
    """Before every request: a session user who must enrol reaches only the enrolment page."""
    from flask import redirect, url_for
    from flask_login import current_user
    from werkzeug.exceptions import Forbidden

    if not current_user.is_authenticated or g.get("api_token") is not None:
        return None  # (reading current_user first runs the token loader)
    if request.endpoint in ALWAYS_OPEN or not needs_enrolment(current_user):
        return None
    if request.path.startswith(("/api/", "/webhooks/")):
        raise Forbidden("Set up two-factor login first.")
    return redirect(url_for("auth.enrol_2fa"))


def pending_user() -> User | None:
    """The user who passed the password step and still owes a code."""
    pending = session.get(PENDING)
    if not pending:
        return None
    user = db.session.get(User, pending[0])
    return user if user is not None and user.session_version == pending[1] else None
