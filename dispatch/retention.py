"""Dispatch's part of retention: SMS bodies of anonymised incidents, and stray SMS."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from sqlalchemy import func, select, update

from core import audit
from core.db import db
from dispatch.models import Message


def anonymise(incident_id: int, counts: Counter) -> None:
    """Empty the bodies of an anonymised incident's SMS."""
    anonymise_incidents([incident_id], counts)


def anonymise_incidents(incident_ids: list[int], counts: Counter) -> None:
    """Empty the bodies of anonymised incidents' SMS."""
    counts["sms_bodies"] += db.session.execute(
        update(Message).where(Message.incident_id.in_(incident_ids)).values(body="")
    ).rowcount


def _stray(as_of: dt.datetime, days: int) -> tuple:
    """SMS that never belonged to an incident (unknown senders) and are past retention."""
    return (
        Message.incident_id.is_(None),
        Message.created_at < as_of - dt.timedelta(days=days),
        Message.from_number.isnot(None),
    )


def stray_message_ids(as_of: dt.datetime, days: int, limit: int) -> list[int]:
    """The ids of the next `limit` stray SMS past retention (`_stray`), oldest first."""
    query = select(Message.id).where(*_stray(as_of, days)).order_by(Message.id).limit(limit)
    return list(db.session.execute(query).scalars())


def count_stray_messages(as_of: dt.datetime, days: int) -> int:
    """How many SMS `stray_message_ids` would give, all batches together."""
    query = select(func.count()).select_from(Message).where(*_stray(as_of, days))
    return db.session.execute(query).scalar_one()


def purge_stray_messages(ids: list[int], counts: Counter) -> None:
    """Remove body and phone numbers of SMS that no incident holds, each an audit event."""
    db.session.execute(
        update(Message)
        .where(Message.id.in_(ids))
        .values(body="", from_number=None, to_number="")
        .execution_options(synchronize_session="fetch")
    )
    for message_id in ids:
        audit.record("anonymise", "message", message_id, username="retention")
    counts["stray_sms"] += len(ids)
