"""What administrators may do to accounts, and what they may not do alone.

Administrators manage accounts but see no case content, so none of their actions may become a
way in. Everything that could give someone access waits for a second person (another
administrator, or a supervisor; never the one who asked, never the account holder): a new
account, any change of role, and a one-time reset code, which is handed to the approver to pass
on, never to the administrator. Administrators never set passwords and never change their own
account. Every administrator action on an account is audited and shown live to supervisors.
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets

from sqlalchemy import select

from accounts import service
from accounts.models import Organisation, Role, RoleGrant, User
from accounts.twofactor import code_hash
from core import audit, clock
from core.db import db
from core.errors import DomainError
from core.i18n import lazy_gettext as _l
from core.realtime import publish, rooms

RESET_CODE_HOURS = 24


def tell_supervisors(action: str, actor: User, user: User, **more: object) -> None:
    """An action on an account, live on the supervisors' consoles."""
    payload = {
        "kind": "account_change",
        "key": f"account:{action}:{user.id}:{clock.now().timestamp()}",
        "action": action,
        "admin": actor.username,
        "username": user.username,
        **more,
    }
    publish("escalation", payload, [rooms.SUPERVISORS])


def not_oneself(user: User, admin: User) -> None:
    """An administrator never changes their own account (role, state, reset)."""
    if user.id == admin.id:
        raise DomainError(
            403,
            "forbidden",
            _l("Another person changes your account."),
            {"user": _l("This is your own account.")},
        )


def _ask(kind: str, user: User, admin: User, role: Role | None = None) -> RoleGrant:
    grant = RoleGrant(kind=kind, user_id=user.id, role=role, requested_by_id=admin.id)
    db.session.add(grant)
    db.session.flush()
    audit.record(f"{kind}_requested", "user", user.id)
    tell_supervisors(f"{kind}_requested", admin, user, role=str(role) if role else None)
    return grant


def pending(user: User, kind: str | None = None) -> RoleGrant | None:
    """A request for this account waiting for approval."""
    query = select(RoleGrant).where(RoleGrant.user_id == user.id, RoleGrant.approved_at.is_(None))
    if kind:
        query = query.where(RoleGrant.kind == kind)
    return db.session.execute(query.limit(1)).scalar_one_or_none()


def create_account(
    username: str, role: Role, organisation: Organisation | None, display_name: str, admin: User
) -> tuple[User, RoleGrant]:
    """A new account, disabled and without a usable password until a second person approves
    (and receives its one-time code for the first login)."""
    user = service.create_user(
        username, secrets.token_urlsafe(32), role, organisation, display_name
    )
    user.active = False
    return user, _ask("account", user, admin, role)


def request_role(user: User, role: Role, admin: User) -> RoleGrant:
    """Any change of role waits for a second person; the account keeps its role until then."""
    not_oneself(user, admin)
    return _ask("role", user, admin, role)


def request_reset(user: User, admin: User) -> RoleGrant:
    """A reset code, handed to whoever approves (never to the administrator who asks)."""
    not_oneself(user, admin)
    return _ask("reset", user, admin)


def set_active(user: User, active: bool, admin: User) -> None:
    """Disable at once; enable only an account with nothing waiting for approval."""
    not_oneself(user, admin)
    if active and not user.active and pending(user, "account") is not None:
        raise DomainError(
            409,
            "conflict",
            _l("This account waits for approval."),
            {"active": _l("Approve the account first.")},
        )
    if not active:
        user.session_version += 1  # a disabled account starts from a new login
    user.active = active


def _issue_code(user: User) -> tuple[str, dt.datetime]:
    code = f"{secrets.token_hex(4)}-{secrets.token_hex(4)}"
    expires = clock.now() + dt.timedelta(hours=RESET_CODE_HOURS)
    user.reset_code_hash, user.reset_expires_at = code_hash(code), expires
    user.password_hash = service.hash_password(secrets.token_urlsafe(32))  # known to nobody
    user.must_change_password = True
    user.session_version += 1
    return code, expires


def approve(grant: RoleGrant, approver: User) -> tuple[User, str | None, dt.datetime | None]:
    """A second person approves: the account opens, the role changes or a code is issued —
    the code goes to the approver to hand over. Never the requester or the account holder."""
    if grant.approved_at is not None:
        raise DomainError(
            409, "conflict", _l("Already approved."), {"grant": _l("Already approved.")}
        )
    if approver.id in (grant.requested_by_id, grant.user_id):
        raise DomainError(
            403,
            "forbidden",
            _l("Someone other than the requester and the account holder must approve."),
            {"grant": _l("Needs a second person.")},
        )
    user = db.session.get(User, grant.user_id)
    assert user is not None  # a grant belongs to an account
    grant.approved_by_id, grant.approved_at = approver.id, clock.now()
    code = expires = None
    if grant.kind == "account":
        user.active = True
        code, expires = _issue_code(user)
    elif grant.kind == "role" and grant.role is not None:
        user.role = grant.role
        user.session_version += 1  # a changed role starts from a new login
    elif grant.kind == "reset":
        code, expires = _issue_code(user)
    audit.record(f"{grant.kind}_approved", "user", user.id)
    tell_supervisors(f"{grant.kind}_approved", approver, user)
    return user, code, expires


def pending_grants() -> list[RoleGrant]:
    """Requests waiting for approval."""
    query = select(RoleGrant).where(RoleGrant.approved_at.is_(None)).order_by(RoleGrant.id)
    return list(db.session.execute(query).scalars())


def redeem_reset_code(username: str, code: str) -> User | None:
    """The user whose unexpired reset code this is (spent now), else None."""
    user = service.user_by_name(username)
    if user is None or not user.reset_code_hash or not user.active:
        return None
    expired = user.reset_expires_at is None or user.reset_expires_at <= clock.now()
    if expired or not hmac.compare_digest(user.reset_code_hash, code_hash(code)):
        return None
    user.reset_code_hash = user.reset_expires_at = None
    audit.record("reset_code_used", "user", user.id, username=user.username)
    return user
