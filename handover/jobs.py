"""The handover scheduler job: build due packets (with catch-up) and send due reminders."""

from __future__ import annotations

import datetime as dt
import logging

from flask import Flask

from core import clock
from handover import packets

log = logging.getLogger(__name__)


def tick(app: Flask, now: dt.datetime | None = None) -> tuple[list[int], int]:
    """Build every missing packet whose time has passed, then remind; safe to run twice."""
    now = now or clock.now()
    built = packets.build_due(now)
    reminded = packets.send_reminders(now)
    if built or reminded:
        log.info("handover: built packets %s, sent %d reminder(s)", built, reminded)
    return built, reminded
