"""The weekly list's scheduler job: draft the lists due at TRIAGE_LIST_TIME on Monday, then
send the drafts whose TRIAGE_LIST_SEND_TIME has passed."""

from __future__ import annotations

import datetime as dt
import logging

from flask import Flask

from core import clock
from handover.weekly import build

log = logging.getLogger(__name__)


def tick(app: Flask, now: dt.datetime | None = None) -> list[int]:
    """Build every missing weekly list whose time has passed, send the due ones; safe to run
    twice (and by two schedulers at once: each list is built once)."""
    now = now or clock.now()
    built = build.build_due(now)
    sent = build.send_due(now)
    if built or sent:
        log.info("triage lists: built %s, sent %d", built, sent)
    return built
