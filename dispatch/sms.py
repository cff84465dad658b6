"""SMS to night-team units: backends (Twilio or local outbox) and outbox delivery.

The caller writes an outbound `Message` (status "pending") in the same transaction as the
assignment. `deliver_due` later claims each due row with one compare-and-set UPDATE, commits
the claim, calls the provider and records the outcome in a second transaction, so no outbox
row is ever handed to the provider by two workers. A retry first asks the provider whether an
earlier, unanswered attempt got through; rows left in "sending" by a crash are settled by
`reconcile_sending`. The texts themselves are composed in `dispatch.texts`.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import requests
from flask import Flask, current_app
from sqlalchemy import or_, select, update
from twilio.base.exceptions import TwilioRestException, TwilioServiceException
from twilio.http import HttpClient
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from core import clock, realtime
from core.db import db
from dispatch import alarms, events
from dispatch.models import Message, MessageDirection, MessageStatus, as_written
from dispatch.replies import MAX_SMS_CHARS  # noqa: F401 - part of the SMS API
from dispatch.texts import (  # noqa: F401 - the texts belong to the SMS API too
    compose_assignment_sms,
    compose_help_sms,
    compose_repage_sms,
    compose_unknown_sender_reply,
    compose_welfare_sms,
)

log = logging.getLogger(__name__)

STATUS_CALLBACK_PATH = "/webhooks/twilio/status"
HTTP_CLIENT_KEY = "nachtwacht.twilio_http_client"
DEFAULT_MAX_ATTEMPTS = 5
BACKOFF_BASE_S = 5.0
BACKOFF_CAP_S = 300.0
HTTP_TIMEOUT_S = 10.0
CLOCK_SLACK = dt.timedelta(minutes=5)  # provider clocks and "date sent" lag behind ours
TRANSIENT_HTTP = {408, 429}


# --- Backends.


@dataclass(frozen=True)
class SentMessage:
    """What the provider knows of one message: its id, status and (when listed) body."""

    sid: str
    status: str | None
    body: str | None = None


class SmsBackend(Protocol):
    """Hands one SMS to a provider; can list what it sent to a number since a time."""

    name: str

    def send(self, message_id: int, to: str, body: str) -> SentMessage: ...  # raise on failure

    def sent_since(self, to: str, since: dt.datetime) -> list[SentMessage]: ...


class OutboxBackend:
    """Deliver nothing over the network: the console shows the outbox (demo, offline)."""

    name = "outbox"

    def send(self, message_id: int, to: str, body: str) -> SentMessage:
        """Mark the message as delivered locally."""
        return SentMessage(f"LOCAL-{message_id}", MessageStatus.DELIVERED_LOCALLY)

    def sent_since(self, to: str, since: dt.datetime) -> list[SentMessage]:
        """Nothing left the building, so a stuck row is simply retried."""
        return []


class TwilioBackend:
    """Send through Twilio's Programmable Messaging API with the official library."""

    name = "twilio"

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        *,
        messaging_service_sid: str | None = None,
        from_number: str | None = None,
        status_callback: str | None = None,
        http_client: HttpClient | None = None,
    ) -> None:
        self.client = Client(account_sid, auth_token, http_client=http_client)
        self.sender: dict[str, str] = (
            {"messaging_service_sid": messaging_service_sid}
            if messaging_service_sid
            else {"from_": from_number or ""}
        )
        self.status_callback = status_callback

    def send(self, message_id: int, to: str, body: str) -> SentMessage:
        """Create the message at Twilio and return its SID."""
        extra = {"status_callback": self.status_callback} if self.status_callback else {}
        created = self.client.messages.create(to=to, body=body, **self.sender, **extra)
        return SentMessage(str(created.sid), created.status, created.body)

    def sent_since(self, to: str, since: dt.datetime) -> list[SentMessage]:
        """List Twilio's messages to `to` sent after `since`."""
        found = self.client.messages.list(to=to, date_sent_after=since, limit=100)
        return [SentMessage(str(m.sid), m.status, m.body) for m in found if m.sid]


def get_backend(app: Flask) -> SmsBackend:
    """Twilio when the configuration enables it, else the local outbox."""
    config = app.config["CONFIG"]
    if not config.twilio_enabled:
        return OutboxBackend()
    http_client = app.extensions.get(HTTP_CLIENT_KEY) or TwilioHttpClient(
        timeout=float(app.config.get("SMS_HTTP_TIMEOUT", HTTP_TIMEOUT_S))
    )
    return TwilioBackend(
        config.TWILIO_ACCOUNT_SID,
        config.TWILIO_AUTH_TOKEN,
        messaging_service_sid=config.TWILIO_MESSAGING_SERVICE_SID,
        from_number=config.TWILIO_FROM_NUMBER,
        status_callback=config.PUBLIC_BASE_URL.rstrip("/") + STATUS_CALLBACK_PATH,
        http_client=http_client,
    )


def provider_status(status: str | None) -> MessageStatus:
    """Map a provider's status to ours; Twilio's own "sending" is "queued" here."""
    known = {s.value for s in MessageStatus} - {MessageStatus.SENDING, MessageStatus.PENDING}
    if status in known:
        return MessageStatus(status)
    return MessageStatus.DELIVERED if status == "read" else MessageStatus.QUEUED


# --- Errors and backoff.


def is_transient(exc: BaseException) -> bool:
    """Network errors, timeouts, 408/429 and 5xx may succeed later; other 4xx never will."""
    if isinstance(exc, TwilioRestException | TwilioServiceException):
        status = int(exc.status or 0)
        return status in TRANSIENT_HTTP or status >= 500 or status < 400
    # requests.RequestException (timeouts, refused connections) and anything unexpected:
    # retrying is safe because each retry first checks whether the earlier attempt arrived.
    return True


def error_text(exc: BaseException) -> str:
    """A short, colour-free description of a send error for `last_error`."""
    if isinstance(exc, TwilioRestException):
        text = f"HTTP {exc.status} (Twilio {exc.code}): {exc.msg}"
    elif isinstance(exc, TwilioServiceException):
        text = f"HTTP {exc.status} (Twilio {exc.code}): {exc.title} {exc.detail or ''}"
    elif isinstance(exc, requests.RequestException):
        text = f"network: {type(exc).__name__}: {exc}"
    else:
        text = f"{type(exc).__name__}: {exc}"
    return text.strip()[:500]


def backoff_seconds(attempt: int, *, rand: Callable[[], float] = random.random) -> float:
    """Seconds before retry number `attempt`: exponential, capped, with half of it jittered."""
    ceiling = min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2 ** max(attempt - 1, 0))
    return ceiling / 2 + rand() * ceiling / 2


# --- Delivery.


@dataclass(frozen=True)
class Claim:
    """An outbox row this worker owns until it records the outcome."""

    message_id: int
    to: str
    body: str
    attempts: int
    unit_id: int | None
    incident_id: int | None
    created_at: dt.datetime

    @classmethod
    def of(cls, row: Message) -> Claim:
        """Copy what delivery needs out of the row (it expires at commit)."""
        first = (row.id, row.to_number, row.body, row.attempts)
        return cls(*first, row.unit_id, row.incident_id, row.created_at)


def _due(now: dt.datetime) -> Any:
    return or_(Message.next_attempt_at.is_(None), Message.next_attempt_at <= now)


def claim_message(message_id: int, now: dt.datetime) -> Claim | None:
    """Move a due pending row to "sending" with one compare-and-set UPDATE and commit it."""
    result = db.session.execute(
        update(Message)
        .where(Message.id == message_id, Message.direction == MessageDirection.OUTBOUND)
        .where(Message.status == as_written(MessageStatus.PENDING.value), _due(now))
        .values(status=MessageStatus.SENDING, attempts=Message.attempts + 1, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        db.session.rollback()
        return None
    row = db.session.get(Message, message_id, populate_existing=True)
    assert row is not None
    claim = Claim.of(row)
    db.session.commit()
    return claim


def _settle(claim: Claim, now: dt.datetime, **values: Any) -> bool:
    """Write the outcome only if the row is still this claim's (compare-and-set)."""
    result = db.session.execute(
        update(Message)
        .where(Message.id == claim.message_id, Message.status == MessageStatus.SENDING)
        .where(Message.attempts == claim.attempts)
        .values(updated_at=now, **values)
        .execution_options(synchronize_session=False)
    )
    settled = result.rowcount == 1  # type: ignore[attr-defined]
    if not settled:
        log.warning("message %s changed while being sent; outcome not recorded", claim.message_id)
    return settled


def _alarm(claim: Claim, reason: str) -> None:
    alarms.sms_failed(claim.message_id, reason)


def _status_event(claim: Claim, status: MessageStatus) -> None:
    """Tell the board the SMS thread changed (sent after the commit; never the body)."""
    payload = events.outbound_status_event(
        claim.message_id, status, claim.incident_id, claim.unit_id
    )
    realtime.publish("message.status", payload, realtime.board_rooms())


def _record_sent(claim: Claim, sent: SentMessage, now: dt.datetime) -> str:
    status = provider_status(sent.status)
    values = {"status": status, "provider_sid": sent.sid, "sent_at": now, "last_error": None}
    failed = status in (MessageStatus.FAILED, MessageStatus.UNDELIVERED)
    if _settle(claim, now, **values):
        _status_event(claim, status)
        if failed:
            _alarm(claim, "provider_" + status)
    db.session.commit()
    return "sent"


def _record_error(claim: Claim, exc: BaseException, now: dt.datetime) -> str:
    max_attempts = int(current_app.config.get("SMS_MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS))
    transient = is_transient(exc)
    text = error_text(exc)
    log.warning("SMS %s attempt %s failed: %s", claim.message_id, claim.attempts, text)
    if transient and claim.attempts < max_attempts:
        retry_at = now + dt.timedelta(seconds=backoff_seconds(claim.attempts))
        _settle(claim, now, status=MessageStatus.PENDING, next_attempt_at=retry_at, last_error=text)
        outcome = "retry"
    else:
        if _settle(claim, now, status=MessageStatus.FAILED, last_error=text):
            _status_event(claim, MessageStatus.FAILED)
            _alarm(claim, "max_attempts" if transient else "rejected")
        outcome = "failed"
    db.session.commit()
    return outcome


def find_earlier(backend: SmsBackend, to: str, body: str, since: dt.datetime) -> SentMessage | None:
    """The provider's message with this body to this number, not yet recorded on any row."""
    candidates = [m for m in backend.sent_since(to, since - CLOCK_SLACK) if _same(m.body, body)]
    if not candidates:
        return None
    known = set(
        db.session.scalars(
            select(Message.provider_sid).where(
                Message.provider_sid.in_([m.sid for m in candidates])
            )
        )
    )
    return next((m for m in candidates if m.sid not in known), None)


def _same(listed: str | None, body: str) -> bool:
    # Trial accounts prefix a notice, so compare the end of the listed body.
    return listed is not None and listed.strip().endswith(body.strip())


def deliver_message(
    message_id: int, *, now: dt.datetime | None = None, backend: SmsBackend | None = None
) -> str:
    """Send one due outbox row: "sent", "retry", "failed", or "skipped" when not claimable."""
    now = now or clock.now()
    backend = backend or get_backend(current_app)
    claim = claim_message(message_id, now)
    if claim is None:
        return "skipped"
    try:
        earlier = None
        if claim.attempts > 1:  # an earlier attempt may have reached the provider unanswered
            earlier = find_earlier(backend, claim.to, claim.body, claim.created_at)
        db.session.rollback()  # hold no transaction open during the provider call
        sent = earlier or backend.send(claim.message_id, claim.to, claim.body)
    except Exception as exc:  # noqa: BLE001 - every failure is classified and recorded
        db.session.rollback()
        return _record_error(claim, exc, now)
    return _record_sent(claim, sent, now)


def deliver_due(app: Flask, *, now: dt.datetime | None = None, limit: int = 50) -> int:
    """Deliver due outbox rows (a job); return how many this run claimed."""
    now = now or clock.now()
    backend = get_backend(app)
    ids = db.session.scalars(
        select(Message.id)
        .where(Message.direction == MessageDirection.OUTBOUND)
        .where(Message.status == as_written(MessageStatus.PENDING.value), _due(now))
        .order_by(Message.id)
        .limit(limit)
    ).all()
    db.session.rollback()  # end the read so each claim starts its own write transaction
    return sum(_deliver_logged(message_id, now, backend) != "skipped" for message_id in ids)


def _deliver_logged(message_id: int, now: dt.datetime, backend: SmsBackend) -> str:
    try:
        return deliver_message(message_id, now=now, backend=backend)
    except Exception:  # noqa: BLE001 - one bad row must not hold up the others
        db.session.rollback()
        log.exception("delivering message %s failed", message_id)
        return "error"


# --- Rows stuck in "sending" (the process died between claim and outcome).


def reconcile_sending(
    app: Flask, *, older_than_s: float = 60, now: dt.datetime | None = None
) -> int:
    """Settle rows stuck in "sending": record the provider's SID if it sent, else retry."""
    now = now or clock.now()
    backend = get_backend(app)
    cutoff = now - dt.timedelta(seconds=older_than_s)
    rows: Sequence[Message] = db.session.scalars(
        select(Message)
        .where(Message.direction == MessageDirection.OUTBOUND)
        .where(Message.status == MessageStatus.SENDING, Message.updated_at <= cutoff)
        .order_by(Message.id)
        .limit(100)
    ).all()
    claims = [Claim.of(row) for row in rows]
    db.session.rollback()
    return sum(_reconcile_one(backend, claim, now) for claim in claims)


def _reconcile_one(backend: SmsBackend, claim: Claim, now: dt.datetime) -> bool:
    try:
        earlier = find_earlier(backend, claim.to, claim.body, claim.created_at)
    except Exception:  # noqa: BLE001 - provider unreachable: leave the row, try next run
        db.session.rollback()
        log.exception("could not reconcile message %s", claim.message_id)
        return False
    if earlier is not None:
        _record_sent(claim, earlier, now)
        return True
    settled = _settle(
        claim, now, status=MessageStatus.PENDING, next_attempt_at=now, last_error="stuck; retried"
    )
    db.session.commit()
    return settled
