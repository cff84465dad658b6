"""What administrators may do to accounts, and what they may not do alone.

Administrators manage accounts but see no case content, so none of their actions may become a
way in: they never set a password (they issue a one-time reset code, after which the user
chooses a new password at the next login; the old one stops working), a supervisor or admin
role takes effect only when a second administrator or a supervisor approves it, and every
administrator action on an account is audited and shown live to the supervisors.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

from sqlalchemy import select
from werkzeug.security import generate_password_hash

from accounts import service
from accounts.models import Organisation, Role, RoleGrant, User
from core import audit, clock
from core.db import db
from core.errors import DomainError
from core.realtime import publish, rooms

PRIVILEGED = (Role.SUPERVISOR, Role.ADMIN)
RESET_CODE_HOURS = 24


def _hash(code: str) -> str:
    return hashlib.sha256(code.replace("-", "").strip().lower().encode()).hexdigest()


def tell_supervisors(action: str, admin: User, user: User, **more: object) -> None:
    """An administrator's action on an account, live on the supervisors' consoles."""
    payload = {
        "kind": "account_change",
        "key": f"account:{action}:{user.id}:{clock.now().timestamp()}",
        "action": action,
        "admin": admin.username,
        "username": user.username,
        **more,
    }
    publish("escalation", payload, [rooms.SUPERVISORS])


def issue_reset_code(user: User, admin: User) -> tuple[str, dt.datetime]:
    """A one-time code (24 h) the user logs in with once, then sets a new password; the old
    password and every session end now."""
    code = f"{secrets.token_hex(4)}-{secrets.token_hex(4)}"
    expires = clock.now() + dt.timedelta(hours=RESET_CODE_HOURS)
    user.reset_code_hash, user.reset_expires_at = _hash(code), expires
    user.password_hash = generate_password_hash(secrets.token_urlsafe(32))  # known to nobody
    user.must_change_password = True
    user.session_version += 1
    audit.record("reset_code_issued", "user", user.id)
    tell_supervisors("reset_code_issued", admin, user)
    return code, expires


def redeem_reset_code(username: str, code: str) -> User | None:
    """The user whose unexpired reset code this is (spent now), else None."""
    user = service.user_by_name(username)
    if user is None or not user.reset_code_hash or not user.active:
        return None
    expired = user.reset_expires_at is None or user.reset_expires_at <= clock.now()
    if expired or not hmac.compare_digest(user.reset_code_hash, _hash(code)):
        return None
    user.reset_code_hash = user.reset_expires_at = None
    audit.record("reset_code_used", "user", user.id, username=user.username)
    return user


def create_account(
    username: str,
    role: Role,
    organisation: Organisation | None,
    display_name: str,
    admin: User,
) -> tuple[User, str, RoleGrant | None]:
    """A new account with a reset code for its first login; a privileged role waits for
    approval (the account stays disabled until then)."""
    initial = Role.DISPATCHER if role in PRIVILEGED else role
    user = service.create_user(
        username, secrets.token_urlsafe(32), initial, organisation, display_name
    )
    grant = None
    if role in PRIVILEGED:
        user.active = False
        grant = request_role(user, role, admin)
    code, _expires = issue_reset_code(user, admin)
    tell_supervisors("create", admin, user, role=str(role))
    return user, code, grant


def request_role(user: User, role: Role, admin: User) -> RoleGrant:
    """Ask for a supervisor or admin role; nothing changes until someone else approves."""
    grant = RoleGrant(user_id=user.id, role=role, requested_by_id=admin.id)
    db.session.add(grant)
    db.session.flush()
    audit.record("role_requested", "user", user.id)
    tell_supervisors("role_requested", admin, user, role=str(role))
    return grant


def pending_grants() -> list[RoleGrant]:
    """Role grants waiting for approval."""
    query = select(RoleGrant).where(RoleGrant.approved_at.is_(None)).order_by(RoleGrant.id)
    return list(db.session.execute(query).scalars())


def approve(grant: RoleGrant, approver: User) -> User:
    """A second administrator or a supervisor approves; never the requester, never oneself."""
    if grant.approved_at is not None:
        raise DomainError(409, "conflict", "Already approved.", {"grant": "already approved"})
    if approver.id in (grant.requested_by_id, grant.user_id):
        raise DomainError(
            403,
            "forbidden",
            "Someone other than the requester and the account holder must approve.",
            {"grant": "needs a second person"},
        )
    user = db.session.get(User, grant.user_id)
    assert user is not None  # a grant belongs to an account
    grant.approved_by_id, grant.approved_at = approver.id, clock.now()
    user.role, user.active = grant.role, True
    user.session_version += 1
    audit.record("role_granted", "user", user.id)
    tell_supervisors("role_granted", approver, user, role=str(grant.role))
    return user
