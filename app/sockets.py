"""Socket.IO `/console` namespace: authenticated connections join the rooms their role allows.

Socket.IO handlers run without Flask's before-request hooks, so each declares an access policy
(checked here, listed in the route and event matrix test) and applies the same rules as HTTP:
role and token scope, and no live data for a user who still owes two-factor enrolment.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from typing import Any

from flask import g
from flask_login import current_user
from flask_socketio import ConnectionRefusedError, join_room
from sqlalchemy import event, select

from accounts.login import token_hash
from accounts.models import ApiToken, Role, User
from accounts.twofactor import needs_enrolment
from core import clock
from core.db import db
from core.extensions import socketio
from core.policies import allow, is_allowed
from core.realtime import NAMESPACE, revoke_live, rooms

log = logging.getLogger(__name__)

# Admins manage users and units; they get no live case data.
CONNECT = allow(Role.DISPATCHER, Role.SUPERVISOR, Role.SOCIAL_WORKER, Role.OFFICER)


def _token_user(auth: Any) -> User | None:
    raw = auth.get("token") if isinstance(auth, dict) else None
    if not isinstance(raw, str) or not raw:
        return None
    token = db.session.execute(
        select(ApiToken).where(ApiToken.token_hash == token_hash(raw))
    ).scalar_one_or_none()
    if token is None or token.revoked_at or (token.expires_at and token.expires_at <= clock.now()):
        return None
    g.api_token = token
    return token.user if token.user.active else None


def rooms_for(user: User) -> list[str]:
    """The rooms a user's role may listen to."""
    role = Role(user.role)
    if role in (Role.DISPATCHER, Role.SUPERVISOR):
        names = [rooms.BOARD]
        if role == Role.SUPERVISOR:
            names.append(rooms.SUPERVISORS)
        return names
    if role == Role.SOCIAL_WORKER and user.organisation_id:
        return [rooms.organisation(user.organisation_id)]
    if role == Role.OFFICER:
        return [rooms.officer(user.id)]
    return []


def _may_connect(user: User | None) -> bool:
    """The connect policy, a token's scopes and the two-factor rule, as on HTTP requests."""
    if user is None:
        return False
    token = g.get("api_token")
    if not is_allowed(user, CONNECT, token):
        return False
    if token is None and user.must_change_password:
        return False  # a reset code opens the new-password page and nothing else
    return token is not None or not needs_enrolment(user)


def on_connect(auth: Any = None) -> bool:
    """Accept a logged-in session or a valid token; join the user's rooms."""
    user = current_user if current_user.is_authenticated else _token_user(auth)
    if user is None:
        db.session.remove()
        raise ConnectionRefusedError("authentication required")
    allowed = _may_connect(user)
    joined = rooms_for(user) if allowed else []
    # A revoked session or token also ends the live feed (core.realtime.revoke_live); the user's
    # room also carries the whole version of events about restricted incidents they are in.
    token = g.get("api_token")
    joined += [rooms.user(user.id)] + ([f"token:{token.id}"] if token is not None else [])
    db.session.remove()
    if not allowed:
        raise ConnectionRefusedError("not allowed")
    for room in joined:
        join_room(room)
    return True


on_connect.access_policy = CONNECT  # type: ignore[attr-defined]


def _session_version_changed(user: User, value: Any, oldvalue: Any, _initiator: Any) -> None:
    if user.id is not None and value != oldvalue:
        revoke_live(rooms.user(user.id))  # logout, password, role, account or 2FA change


def _token_revoked(token: ApiToken, value: Any, oldvalue: Any, _initiator: Any) -> None:
    if token.id is not None and value is not None and oldvalue is None:
        revoke_live(f"token:{token.id}")


def engine_connect(server: Any, eio_sid: str, environ: dict) -> bool:
    """The Engine.IO handshake: nobody gets a socket (and a server thread) without a session
    cookie or a bearer token that may listen live, and no process holds more than
    MAX_SOCKETS_PER_PROCESS of them, so threads stay free for HTTP (`/healthz`, the API)."""
    app = environ.get("flask.app")
    if app is None:
        return False
    with app.request_context(environ):
        try:
            user = current_user if current_user.is_authenticated else None
            allowed = user is not None and _may_connect(user)
            user_id = user.id if user is not None else None
        finally:
            db.session.remove()
    live = {sid for sid, s in server.eio.sockets.items() if not s.closed}
    with _lock:
        owners = _owners(server)
        mine = sum(1 for sid, uid in owners.items() if uid == user_id and sid in live)
        if (
            not allowed
            or len(live) > app.config.get("MAX_SOCKETS_PER_PROCESS", 40)
            or mine >= app.config.get("MAX_SOCKETS_PER_USER", 5)
        ):
            return False  # Engine.IO answers 401; the socket is dropped before anything runs
        for sid in [sid for sid in owners if sid not in live]:
            owners.pop(sid)
        owners[eio_sid] = user_id
        _waiting(server)[eio_sid] = time.monotonic()
        if not getattr(server, "nachtwacht_sweeping", False):
            server.nachtwacht_sweeping = True
            server.start_background_task(_sweep, server, app.config)
    server._handle_eio_connect(eio_sid, environ)
    return True


_lock = threading.Lock()
SERVER = "nachtwacht.socketio_server"  # app.extensions key: the Socket.IO server of this app


def _kept(server: Any, name: str) -> dict:
    """Bookkeeping kept on this app's Socket.IO server (each app binds its own)."""
    if not hasattr(server, name):
        setattr(server, name, {})
    return getattr(server, name)


def _owners(server: Any) -> dict[str, int | None]:
    """Whose each engine socket of this server is (MAX_SOCKETS_PER_USER)."""
    return _kept(server, "nachtwacht_owners")


def _waiting(server: Any) -> dict[str, float]:
    """Engine sockets of this server not yet joined to /console, and since when."""
    return _kept(server, "nachtwacht_waiting")


def _sweep(server: Any, config: Any) -> None:
    """Close sockets that have not joined /console within SOCKET_JOIN_TIMEOUT_S; stop when
    none is waiting (the next handshake starts it again)."""
    while True:
        timeout_s = float(config.get("SOCKET_JOIN_TIMEOUT_S", 5.0))
        time.sleep(min(1.0, max(timeout_s / 2, 0.05)))
        with _lock:
            waiting = _waiting(server)
            if not waiting:
                server.nachtwacht_sweeping = False
                return
            due = [sid for sid, since in waiting.items() if time.monotonic() - since > timeout_s]
            for eio_sid in list(waiting):
                gone = eio_sid not in server.eio.sockets
                if gone or server.manager.sid_from_eio_sid(eio_sid, NAMESPACE) is not None:
                    waiting.pop(eio_sid, None)  # gone, or joined
                elif eio_sid in due:
                    waiting.pop(eio_sid, None)
                    _close(server, eio_sid)


def _close(server: Any, eio_sid: str) -> None:
    """Close an engine socket without waiting for its client to fetch the close packet (a
    client that never polls again would hold the sweeper for good)."""
    socket = server.eio.sockets.get(eio_sid)
    if socket is None:
        return
    try:
        socket.close(wait=False, reason=server.eio.reason.SERVER_DISCONNECT)
    except Exception:  # noqa: BLE001 - a broken socket must not stop the sweeper
        log.exception("could not close an unjoined socket")
    finally:
        server.eio.sockets.pop(eio_sid, None)


def without_compression(wsgi_app: Any) -> Any:
    """Wrap a WSGI app so that simple-websocket never sees a `Sec-WebSocket-Extensions` offer.

    It accepts permessage-deflate from every browser that offers it, and then keeps a zlib
    compressor and decompressor for each console (about 100 kB more per connection) and
    compresses every broadcast once per console. The events are small JSON: sent as they are.
    A function, not a callable object: a Python call adds no C stack to the thread that serves
    the websocket for as long as it is open.
    """

    def serve(environ: dict, start_response: Any) -> Any:
        environ.pop("HTTP_SEC_WEBSOCKET_EXTENSIONS", None)
        return wsgi_app(environ, start_response)

    return serve


def register_handlers(app: Any) -> None:
    """Bind the handlers to the namespace (idempotent across app instances)."""
    server = socketio.server  # this app's: the handshake guard replaces Socket.IO's own handler
    app.extensions[SERVER] = server
    app.wsgi_app = without_compression(app.wsgi_app)
    server.eio.on("connect", functools.partial(engine_connect, server))
    socketio.on_event("connect", on_connect, namespace=NAMESPACE)
    for attribute, listener in (
        (User.session_version, _session_version_changed),
        (ApiToken.revoked_at, _token_revoked),
    ):
        if not event.contains(attribute, "set", listener):
            event.listen(attribute, "set", listener)
