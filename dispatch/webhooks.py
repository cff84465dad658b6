"""Twilio webhooks: inbound SMS replies from units and delivery status callbacks.

Both validate `X-Twilio-Signature` against PUBLIC_BASE_URL + path (so it works behind a proxy);
with no TWILIO_AUTH_TOKEN they refuse everything. Inbound messages are inserted first with
their unique MessageSid, so a retried webhook is applied once.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, abort, current_app, request
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from accounts.actor import Actor
from core import clock
from core.db import db
from core.phones import normalise_phone
from core.policies import WEBHOOK, protect
from core.realtime import board_rooms, publish
from dispatch import alarms, events, flows, service
from dispatch.models import Message, MessageDirection, MessageStatus, Unit
from dispatch.replies import danger_words, parse_reply
from dispatch.service import TransitionError
from dispatch.texts import (
    compose_check_in_sms,
    compose_confirmation_sms,
    compose_distress_sms,
    compose_forwarded_sms,
    compose_help_sms,
    compose_refusal_sms,
    compose_unknown_sender_reply,
)
from triage.models import Incident, TimelineSource
from triage.service import add_timeline, phone_index

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks/twilio")
log = logging.getLogger(__name__)
FORWARD = [MessageStatus.QUEUED, MessageStatus.SENT, MessageStatus.DELIVERED]
FINAL_BAD = {MessageStatus.UNDELIVERED, MessageStatus.FAILED}


def signature_ok() -> bool:
    """Validate Twilio's signature over the public URL and the form parameters."""
    token = current_app.config.get("TWILIO_AUTH_TOKEN")
    signature = request.headers.get("X-Twilio-Signature", "")
    if not token or not signature:
        return False
    url = current_app.config["PUBLIC_BASE_URL"].rstrip("/") + request.full_path.rstrip("?")
    return RequestValidator(token).validate(url, request.form.to_dict(flat=True), signature)


def twiml(text: str | None) -> Response:
    """A TwiML answer (with a confirmation SMS when `text` is given)."""
    reply = MessagingResponse()
    if text:
        reply.message(text)
    return Response(str(reply), mimetype="application/xml")


def _store_inbound(sid: str, sender: str, to: str, body: str, unit: Unit | None) -> Message | None:
    """Insert the inbound SMS first; None when this MessageSid was already applied."""
    message = Message(
        direction=MessageDirection.INBOUND,
        provider_sid=sid,
        from_number=sender,
        to_number=to or "",
        body=body,
        status=MessageStatus.RECEIVED,
        kind="reply",
        unit_id=unit.id if unit else None,
    )
    db.session.add(message)
    try:
        db.session.flush()
    except IntegrityError:
        # Nothing else is in this transaction yet. (A savepoint would be the cleaner form, but
        # pysqlite's RELEASE of a first SAVEPOINT commits it: the row would outlive a failure.)
        db.session.rollback()
        return None
    return message


@bp.post("/sms")
@protect(WEBHOOK)
def inbound_sms():
    """A unit's SMS reply: acknowledge, en route, on scene, clear, or help."""
    if not signature_ok():
        abort(403)
    form = request.form
    sid, body = form.get("MessageSid", "")[:64], form.get("Body", "")[:1600]
    if not sid:
        abort(400)
    sender = normalise_phone(form.get("From", ""))
    unit = (
        db.session.execute(select(Unit).where(Unit.phone == sender)).unique().scalar_one_or_none()
    )
    message = _store_inbound(sid, sender, form.get("To", ""), body, unit)
    if message is None:
        return twiml(None)  # a retry of a webhook we already applied
    answer = _apply(message, unit, body)
    return twiml(answer)


def _apply(message: Message, unit: Unit | None, body: str) -> str | None:
    """Apply a reply to the unit and its incident; return the answer SMS (in its language)."""
    if unit is None:
        alarms.unknown_sender(message, phone_index(message.from_number) or f"sms-{message.id}")
        return compose_unknown_sender_reply()
    reply, lang = parse_reply(body), unit.sms_language
    if reply.code == "help":
        # HELP is a reserved keyword on many SMS numbers: it means "send me the codes". But an
        # officer may mean it: the board gets a high alarm with the text, never silence.
        flows.touch(unit, clock.now())
        _unparsed(message, unit, body, kind="unit_help")
        return compose_help_sms(lang=lang)
    if reply.code is None:
        flows.touch(unit, clock.now())
        _unparsed(message, unit, body)
        return compose_forwarded_sms(unit.call_sign, lang=lang)
    try:
        if reply.code == "distress":
            _unparsed(message, unit, body, kind=None)  # the text on the timeline, for the record
        done = flows.report(unit, reply.code, _unit_actor(unit), reply.reference, message.id)
    except TransitionError as exc:
        _unparsed(message, unit, body)
        return compose_refusal_sms(unit.call_sign, exc.current, exc.requested, lang=lang)
    if reply.code == "distress":
        return compose_distress_sms(unit.call_sign, lang=lang)
    _received(message, unit, body, done)
    if done.checked_in:
        return compose_check_in_sms(unit.call_sign, lang=lang)
    return compose_confirmation_sms(unit.call_sign, reply.code, lang=lang)


def _received(message: Message, unit: Unit, body: str, done: flows.Report) -> None:
    """A code that did what it says: on the timeline of its incident and on the board."""
    message.incident_id = done.assignment.incident_id if done.assignment else None
    add_timeline(
        message.incident_id,
        "sms.received",
        _unit_actor(unit),
        unit_id=unit.id,
        detail=body,
        data={"code": done.code, **({"check_in": True} if done.checked_in else {})},
    )
    events.publish_received(message, unit, done.code)


def _unit_actor(unit: Unit) -> Actor:
    """SMS replies act as the unit (named by call sign on the timeline)."""
    return Actor(None, None, TimelineSource.SMS, name=f"unit {unit.call_sign}")


def _unparsed(message: Message, unit: Unit, body: str, kind: str | None = "unit_text") -> None:
    """Keep text that is not a code and show it to the dispatchers (an alarm of `kind`; free
    text with a distress word, such as mes or versterking, is a high alarm)."""
    now = clock.now()
    named = service.served_incident(unit.id, parse_reply(body).reference, now)
    current = flows.active_assignments(unit.id)
    # The incident the text names (if the unit served it), else the one it is on, else the one
    # it left last: the text follows that incident's guard, never broadcast as if it had none.
    latest = current[-1] if current else service.recent_assignment(unit.id, now)
    message.incident_id = named or (latest.incident_id if latest else None)
    add_timeline(
        message.incident_id, "sms.unparsed", _unit_actor(unit), unit_id=unit.id, detail=body
    )
    events.publish_received(message, unit, None)
    if kind is None:
        return
    if kind == "unit_text" and danger_words(body, current_app.config["DISTRESS_WORDS"]):
        kind = "unit_danger"
    incident = db.session.get(Incident, message.incident_id) if message.incident_id else None
    alarms.raise_alarm(
        kind, f"{kind}:{message.id}", incident=incident, unit=unit, message_id=message.id
    )


@bp.post("/status")
@protect(WEBHOOK)
def delivery_status():
    """Twilio's delivery callback: queued, sent, delivered, undelivered, failed."""
    if not signature_ok():
        abort(403)
    sid, raw = request.form.get("MessageSid", ""), request.form.get("MessageStatus", "")
    try:
        status = MessageStatus(raw)
    except ValueError:
        return Response(status=204)
    message = db.session.execute(
        select(Message).where(Message.provider_sid == sid)
    ).scalar_one_or_none()
    if message is None or not _advances(MessageStatus(message.status), status):
        return Response(status=204)
    db.session.execute(
        update(Message)
        .where(Message.id == message.id)
        .values(
            status=status,
            updated_at=clock.now(),
            last_error=request.form.get("ErrorCode") or message.last_error,
        )
    )
    message.status = status
    publish("message.status", events.message_event(message), board_rooms())
    if status in FINAL_BAD:
        alarms.sms_failed(message.id, str(status))
    return Response(status=204)


def _advances(current: MessageStatus, new: MessageStatus) -> bool:
    """Callbacks arrive out of order: never move a message back (delivered stays delivered)."""
    if current in FINAL_BAD or current == MessageStatus.DELIVERED:
        return False
    if new in FINAL_BAD:
        return True
    if current in FORWARD and new in FORWARD:
        return FORWARD.index(new) > FORWARD.index(current)
    return current in (MessageStatus.SENDING, MessageStatus.PENDING)
