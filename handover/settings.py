"""Handover settings: read from the app config, falling back to environment variables.

`HANDOVER_TIME` (default 07:00) and `HANDOVER_REMINDER_TIME` (default 10:00) are wall-clock
times (`HH:MM` or `HH:MM:SS`) in `TIMEZONE`; `HANDOVER_CATCHUP_DAYS` (default 7) bounds how far
back a restarted scheduler builds missed packets and sends reminders.
"""

from __future__ import annotations

import datetime as dt
import os
from zoneinfo import ZoneInfo

from flask import current_app

from core import clock
from core.clock import parse_clock

DEFAULTS = {
    "HANDOVER_TIME": "07:00",
    "HANDOVER_REMINDER_TIME": "10:00",
    "HANDOVER_CATCHUP_DAYS": "7",
}


def setting(name: str) -> str:
    """A handover setting: app config, then the environment, then the default."""
    value = current_app.config.get(name)
    if value is None or str(value).strip() == "":
        value = os.environ.get(name, "").strip() or DEFAULTS[name]
    return str(value)


def _clock(name: str) -> dt.time:
    try:
        return parse_clock(setting(name))
    except ValueError as exc:
        raise RuntimeError(f"{name}: {exc}") from exc


def handover_time() -> dt.time:
    """The daily handover time (local wall clock)."""
    return _clock("HANDOVER_TIME")


def reminder_time() -> dt.time:
    """When an unacknowledged packet triggers a reminder (local wall clock)."""
    return _clock("HANDOVER_REMINDER_TIME")


def catchup_days() -> int:
    """How many handover dates back the job builds missing packets."""
    return max(1, int(setting("HANDOVER_CATCHUP_DAYS")))


def zone() -> ZoneInfo:
    """The zone of the wall-clock rules (Europe/Brussels)."""
    return clock.zone()
