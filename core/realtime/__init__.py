"""The one place that emits realtime events, after the database transaction commits.

Services call `publish(...)` while they work; the events wait in the session and go out to
Socket.IO rooms only once the commit succeeds. A rollback discards them.
"""

from __future__ import annotations

import functools
import logging
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from flask import Flask
from socketio import PubSubManager, RedisManager

from core.db import after_commit, db
from core.extensions import socketio
from core.realtime import rooms

log = logging.getLogger(__name__)
NAMESPACE = "/console"
RESYNC_EVENT = "board.resync"
REVOKE_EVENT = "nachtwacht.revoke"  # never delivered: the managers disconnect the room instead


@dataclass(frozen=True)
class PendingEvent:
    """An event name, a JSON-ready payload and the rooms that may see it."""

    name: str
    payload: dict[str, Any]
    rooms: tuple[str, ...]


def publish(name: str, payload: dict[str, Any], rooms: tuple[str, ...] | list[str]) -> None:
    """Queue an event for emission after the current transaction commits."""
    session = db.session()
    if not session.in_transaction():
        session.begin()  # tie the event to a transaction so a rollback discards it
    after_commit(functools.partial(_emit, PendingEvent(name, payload, tuple(rooms))))


def publish_split(
    name: str,
    full: dict[str, Any],
    redacted: dict[str, Any],
    *,
    full_rooms: tuple[str, ...] | list[str],
    redacted_rooms: tuple[str, ...] | list[str],
) -> None:
    """Queue one event in two versions: the whole payload for the rooms allowed to see it, a
    redacted one (`redacted: true`) for the others.

    Both carry the same `event_id`, and the redacted one goes out first: a console in both kinds
    of room (a supervisor is on the board too) keeps the whole version and drops the other.
    """
    event_id = uuid.uuid4().hex
    if redacted_rooms:
        publish(name, {**redacted, "redacted": True, "event_id": event_id}, redacted_rooms)
    if full_rooms:
        publish(name, {**full, "redacted": False, "event_id": event_id}, full_rooms)


def _emit(pending: PendingEvent) -> None:
    try:
        if pending.name == REVOKE_EVENT and not isinstance(socketio.server.manager, PubSubManager):
            for room in pending.rooms:
                disconnect_room(room, NAMESPACE)  # one process: nobody else to tell
            return
        socketio.emit(pending.name, pending.payload, to=list(pending.rooms), namespace=NAMESPACE)
    except Exception:  # noqa: BLE001 - a broken queue must not undo a committed change
        log.exception("could not emit %s", pending.name)


def revoke_live(room: str) -> None:
    """After the commit, close every live connection in `room` (`user:<id>`, `token:<id>`).

    A logout, a password or role change, a disabled account or a revoked token ends the live
    feed too, on every process: the event travels like any other, and each process's manager
    disconnects its own sockets in the room instead of delivering it.
    """
    publish(REVOKE_EVENT, {}, [room])


def disconnect_room(room: str, namespace: str) -> None:
    """Disconnect this process's sockets in a room (server side: the client has no say)."""
    manager = socketio.server.manager
    for sid, _eio_sid in list(manager.get_participants(namespace, room)):
        socketio.server.disconnect(sid, namespace=namespace, ignore_queue=True)


def init_app(app: Flask) -> None:
    """Bind Socket.IO (a redis:// queue gets the healing manager)."""
    url = app.config.get("REDIS_URL")
    channel = app.config.get("SOCKETIO_CHANNEL", "nachtwacht")
    queue: dict[str, Any] = {"message_queue": url, "channel": channel}
    if url and url.startswith(("redis://", "rediss://")):
        queue = {"client_manager": HealingRedisManager(url, channel=channel)}
    socketio.init_app(
        app,
        async_mode="threading",
        cors_allowed_origins=list(app.config["ALLOWED_ORIGINS"]),  # as core.policies
        manage_session=False,
        namespaces=[NAMESPACE],  # the default namespace "/" and any other are refused
        **queue,
    )


def board_rooms() -> tuple[str, ...]:
    """Rooms of dispatchers and supervisors."""
    return rooms.board()


class HealingRedisManager(RedisManager):
    """Socket.IO's Redis manager for consoles that must not silently miss a call.

    What is published while this process is not subscribed (Redis down, or not yet re-subscribed)
    reaches none of its consoles. So a lost subscription is retried within seconds (the library
    backs off up to a minute), and once it is back every console of this process is told to
    reload the board snapshot (`board.resync`), which holds whatever it missed.
    """

    RETRY_S = (0.5, 5.0)  # first wait, longest wait

    def _handle_emit(self, message: dict) -> None:
        if message.get("event") == REVOKE_EVENT:
            disconnect_room(message.get("room"), message.get("namespace") or NAMESPACE)
            return
        super()._handle_emit(message)

    def _redis_listen_with_retries(self) -> Iterator[Any]:  # pragma: no cover - live tests
        # python-socketio 5.18's loop, with a short backoff and the resync after a loss.
        wait, lost = self.RETRY_S[0], False
        while True:
            try:
                self._redis_connect()
                self.pubsub.subscribe(self.channel)
                wait = self.RETRY_S[0]
                if lost:
                    lost = False
                    log.warning("Redis is back: consoles reload the board")
                    self.server.emit(RESYNC_EVENT, {}, namespace=NAMESPACE, ignore_queue=True)
                yield from self.pubsub.listen()
            except Exception as exc:  # noqa: BLE001 - any failure: reconnect and resubscribe
                log.error("Redis subscription lost (%s); retrying in %.1f s", exc, wait)
                lost = True
                time.sleep(wait)
                wait = min(wait * 2, self.RETRY_S[1])
