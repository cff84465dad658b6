"""The shared timeline's lines: stamped when said, written as the transaction commits.

`add_timeline` queues a line in the transaction (`core.db`); the commit writes all of the
transaction's lines in one INSERT, and a rollback (of a savepoint: of what was queued since it
began) drops them. A read of the timeline in the same transaction calls `write_timeline` first.
"""

from __future__ import annotations

from typing import Any

from accounts.actor import Actor
from core import clock
from core.db import before_commit, db, queued, transaction_queue
from triage.models import TimelineEvent

__all__ = ["add_timeline", "write_timeline"]

_LINES = "nachtwacht.timeline_lines"
transaction_queue(_LINES)
_LINE_DEFAULTS: dict[str, Any] = {
    "unit_id": None,
    "from_state": None,
    "to_state": None,
    "detail": None,
}


def add_timeline(incident_id: int | None, kind: str, actor: Actor, **fields: Any) -> TimelineEvent:
    """Append a line to the shared timeline, stamped now. It is written as the transaction
    commits, with the transaction's other lines in one INSERT (a rollback drops it); a read of
    the timeline in the same transaction calls `write_timeline` first."""
    event = TimelineEvent(
        incident_id=incident_id,
        kind=kind,
        source=actor.source,
        actor_id=actor.user.id if actor.user else None,
        actor_label=actor.label,
        # Every column given (None when unsaid): rows of the same columns go in one INSERT.
        **{**_LINE_DEFAULTS, "data": {}, "occurred_at": clock.now(), **fields},
    )
    lines = queued(db.session(), _LINES)
    if not lines:
        before_commit(write_timeline)
    lines.append(event)
    return event


def write_timeline() -> None:
    """Hand the transaction's timeline lines to the session, for its next flush to write them
    (the commit does; so does a read of the timeline, which must see them)."""
    db.session.add_all(db.session().info.get(_LINES, []))
