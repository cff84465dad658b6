"""Dispatch's part of retention: SMS bodies of anonymised incidents, and stray SMS."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from sqlalchemy import select, update

from core import audit
from core.db import db
from dispatch.models import Message


def anonymise(incident_id: int, counts: Counter) -> None:
    """Empty the bodies of an anonymised incident's SMS."""
    counts["sms_bodies"] += db.session.execute(
        update(Message).where(Message.incident_id == incident_id).values(body="")
    ).rowcount


def stray_messages(as_of: dt.datetime, days: int) -> list[Message]:
    """SMS that never belonged to an incident (unknown senders) and are past retention."""
    return list(
        db.session.execute(
            select(Message).where(
                Message.incident_id.is_(None),
                Message.created_at < as_of - dt.timedelta(days=days),
                Message.from_number.isnot(None),
            )
        ).scalars()
    )


def purge_stray_messages(messages: list[Message], counts: Counter) -> None:
    """Remove body and phone numbers of SMS that no incident holds."""
    for message in messages:
        message.body, message.from_number, message.to_number = "", None, ""
        audit.record("anonymise", "message", message.id, username="retention")
        counts["stray_sms"] += 1
