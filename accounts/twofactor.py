"""Two-factor login with TOTP (pyotp): enrolment with a server-rendered QR code, recovery codes.

Required for supervisors and administrators (for everyone with REQUIRE_2FA=all): until they
enrol they reach nothing but the enrolment page. API tokens, issued only on the server's
command line, are not asked for a second factor.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

import pyotp
from flask import current_app, g, request, session
from markupsafe import Markup
from sqlalchemy import ForeignKey, String, or_, select, update
from sqlalchemy.orm import Mapped, mapped_column

from accounts.models import Role, User
from core import audit, clock
from core.db import Base, UTCDateTime, db
from core.i18n import lazy_gettext as _l

ISSUER = "Nachtwacht"
RECOVERY_CODES = 10
PENDING = "2fa_pending_user"  # session key: password checked, second factor not yet
ALWAYS_OPEN = {"auth.logout", "auth.enrol_2fa", "auth.second_factor", "static", "health.healthz"}
NEW_PASSWORD_OPEN = {"auth.logout", "auth.new_password", "static", "health.healthz"}


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


def code_hash(code: str) -> str:
    """How one-time codes (recovery, reset) are stored: SHA-256 of the code as typed, loosely."""
    return hashlib.sha256(code.replace("-", "").strip().lower().encode()).hexdigest()


def new_secret() -> str:
    """A fresh base32 TOTP secret."""
    return pyotp.random_base32()


def qr_svg(user: User, secret: str) -> Markup:
    """The provisioning URI as an inline SVG QR code (no outside service)."""
    import segno  # only enrolment draws one: not kept in every server process

    uri = pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=ISSUER)
    svg = segno.make(uri, error="m").svg_inline(scale=5, dark="#0f2740")
    return Markup(svg)  # noqa: S704 - segno output, no user input beyond the escaped URI


PENDING_S = 300  # the password step is good for five minutes
PENDING_FAILURES = 3  # wrong codes in one pending login before the password is asked again
FREE_FAILURES = 5  # wrong codes on an account before each next try waits (30 s, doubling)
MAX_WAIT_S = 900


def _step(secret: str, code: str, now: dt.datetime) -> int | None:
    """The time step (±1 for clock drift) whose code this is, at the app's clock."""
    code = code.replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def code_ok(secret: str, code: str) -> bool:
    """A 6-digit TOTP code for a secret being set up (one step of clock drift allowed)."""
    return _step(secret, code, clock.now()) is not None


def lock(user: User) -> None:
    """Take the account's row for this transaction (a no-op write: PostgreSQL's row lock,
    SQLite's write lock) and read it afresh, so parallel code tries run one after another."""
    db.session.execute(
        update(User)
        .where(User.id == user.id)
        .values(second_factor_failures=User.second_factor_failures)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(user)


def accept_code(user: User, code: str) -> bool:
    """The user's current code, once: a time step already used is refused (no replay, also
    not by two requests at the same moment: the step is claimed with a conditional write)."""
    step = _step(user.totp_secret or "", code, clock.now())
    if step is None:
        return False
    claimed = db.session.execute(
        update(User)
        .where(
            User.id == user.id,
            or_(User.totp_last_step.is_(None), User.totp_last_step < step),
        )
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        return False
    user.totp_last_step = step
    return True


def proves(user: User, code: str) -> bool:
    """The current authenticator code (once) or an unused recovery code."""
    return accept_code(user, code) or use_recovery_code(user, code)


def wait_s(user: User) -> int:
    """Seconds before this account may try a code again (0: now)."""
    until = user.second_factor_wait_until
    return max(0, int((until - clock.now()).total_seconds()) + 1) if until else 0


def failed(user: User) -> None:
    """A wrong code on the account: after FREE_FAILURES each next try waits longer."""
    user.second_factor_failures = (user.second_factor_failures or 0) + 1
    over = user.second_factor_failures - FREE_FAILURES
    if over >= 0:
        user.second_factor_wait_until = clock.now() + dt.timedelta(
            seconds=min(MAX_WAIT_S, 30 * 2**over)
        )


def succeeded(user: User) -> None:
    """A good code clears the account's count."""
    user.second_factor_failures, user.second_factor_wait_until = 0, None


def enable(user: User, secret: str) -> list[str]:
    """Store the confirmed secret and ten fresh recovery codes; returns the codes once."""
    user.totp_secret, user.totp_enabled = secret, True
    user.totp_last_step = pyotp.TOTP(secret).timecode(clock.now()) + 1  # confirming code spent
    db.session.query(RecoveryCode).filter_by(user_id=user.id).delete()
    codes = [f"{secrets.token_hex(3)}-{secrets.token_hex(3)}" for _ in range(RECOVERY_CODES)]
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=code_hash(c)) for c in codes)
    user.session_version += 1  # other sessions must log in again with the second factor
    audit.record("2fa_enrolled", "user", user.id)
    return codes


def use_recovery_code(user: User, code: str) -> bool:
    """Spend a recovery code (once)."""
    row = db.session.execute(
        select(RecoveryCode).where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == code_hash(code),
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
    if current_user.must_change_password and request.endpoint not in NEW_PASSWORD_OPEN:
        if request.path.startswith(("/api/", "/webhooks/")):
            raise Forbidden(_l("Choose a new password first."))
        return redirect(url_for("auth.new_password"))
    if request.endpoint in ALWAYS_OPEN or not needs_enrolment(current_user):
        return None
    if request.path.startswith(("/api/", "/webhooks/")):
        raise Forbidden(_l("Set up two-factor login first."))
    return redirect(url_for("auth.enrol_2fa"))


def start_pending(user: User) -> None:
    """The password was right: the code is owed within PENDING_S, in PENDING_FAILURES tries."""
    session[PENDING] = [user.id, user.session_version, clock.now().timestamp(), 0]


def pending_user() -> User | None:
    """The user who passed the password step (less than PENDING_S ago) and still owes a code."""
    pending = session.get(PENDING)
    if not pending or len(pending) != 4:
        return None
    user_id, version, started, _failures = pending
    if clock.now().timestamp() - float(started) > PENDING_S:
        session.pop(PENDING, None)
        return None
    user = db.session.get(User, user_id)
    return user if user is not None and user.session_version == version else None


def pending_failed() -> bool:
    """Count a wrong code against this pending login; True when the password is asked again."""
    pending = list(session.get(PENDING) or [])
    if len(pending) != 4:
        return True
    pending[3] = int(pending[3]) + 1
    if pending[3] >= PENDING_FAILURES:
        session.pop(PENDING, None)
        return True
    session[PENDING] = pending
    return False
