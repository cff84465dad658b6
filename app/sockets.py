"""Socket.IO `/console` namespace: authenticated connections join the rooms their role allows."""

from __future__ import annotations

from typing import Any

from flask import g
from flask_login import current_user
from flask_socketio import ConnectionRefusedError, join_room
from sqlalchemy import select

from app.auth.models import ApiToken, Role, User
from app.db import db, utcnow
from app.extensions import socketio
from app.realtime import NAMESPACE
from app.security import token_hash


def _token_user(auth: Any) -> User | None:
    raw = auth.get("token") if isinstance(auth, dict) else None
    if not isinstance(raw, str) or not raw:
        return None
    token = db.session.execute(
        select(ApiToken).where(ApiToken.token_hash == token_hash(raw))
    ).scalar_one_or_none()
    if token is None or token.revoked_at or (token.expires_at and token.expires_at <= utcnow()):
        return None
    g.api_token = token
    return token.user if token.user.active else None


def rooms_for(user: User) -> list[str]:
    """The rooms a user's role may listen to."""
    role = Role(user.role)
    if role in (Role.DISPATCHER, Role.SUPERVISOR):
        rooms = ["board"]
        if role == Role.SUPERVISOR:
            rooms.append("supervisors")
        return rooms
    if role == Role.SOCIAL_WORKER and user.organisation_id:
        return [f"org:{user.organisation_id}"]
    if role == Role.OFFICER:
        return [f"officer:{user.id}"]
    return []


def on_connect(auth: Any = None) -> bool:
    """Accept a logged-in session or a valid token; join the user's rooms."""
    user = current_user if current_user.is_authenticated else _token_user(auth)
    rooms = rooms_for(user) if user is not None else None
    db.session.remove()
    if rooms is None:
        raise ConnectionRefusedError("authentication required")
    for room in rooms:
        join_room(room)
    return True


def register_handlers() -> None:
    """Bind the handlers to the namespace (idempotent across app instances)."""
    socketio.on_event("connect", on_connect, namespace=NAMESPACE)
