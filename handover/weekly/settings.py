"""Weekly-list settings: `TRIAGE_LIST_TIME` (default 08:00, Monday: the list is drafted) and
`TRIAGE_LIST_SEND_TIME` (default 10:00, Monday: it is sent unless a supervisor sent it sooner),
wall-clock times in `TIMEZONE`; app config, then the environment, then the default."""

from __future__ import annotations

import datetime as dt
import os

from flask import current_app

from core.clock import parse_clock

DEFAULTS = {"TRIAGE_LIST_TIME": "08:00", "TRIAGE_LIST_SEND_TIME": "10:00"}
CATCHUP_WEEKS = 2  # a scheduler down over a Monday still builds last week's list


def _clock(name: str) -> dt.time:
    value = current_app.config.get(name)
    if value is None or str(value).strip() == "":
        value = os.environ.get(name, "").strip() or DEFAULTS[name]
    try:
        return parse_clock(str(value))
    except ValueError as exc:
        raise RuntimeError(f"{name}: {exc}") from exc


def build_time() -> dt.time:
    """When, on Monday, the list of the week before is drafted."""
    return _clock("TRIAGE_LIST_TIME")


def send_time() -> dt.time:
    """When, on Monday, a draft not yet sent by a supervisor is sent (never before the build)."""
    return _clock("TRIAGE_LIST_SEND_TIME")
