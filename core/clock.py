"""The app's one clock: every service, page, job, CLI command and socket handler reads "now" here.

`now()` asks the clock installed on the current app (`app.extensions["clock"]`), so a test can
freeze or move time for one app without touching the machine's clock; outside an app context it
reads the system clock. Pure cores keep their explicit `now=` parameters. Monotonic timers for
timeouts and rate limits stay on the OS clock: they measure durations, not domain time.
"""

from __future__ import annotations

import datetime as dt
import threading
from typing import Protocol
from zoneinfo import ZoneInfo

from flask import Flask, current_app, has_app_context


class Clock(Protocol):
    """Anything that tells the current time as an aware UTC datetime."""

    def now(self) -> dt.datetime: ...


class SystemClock:
    """The machine's clock, in UTC."""

    def now(self) -> dt.datetime:
        """Return the current time as an aware UTC datetime."""
        return dt.datetime.now(dt.UTC)  # clock: the one read of the wall clock


class FrozenClock:
    """A clock that stands still until it is set or moved (tests, simulations)."""

    def __init__(self, at: dt.datetime):
        self._lock = threading.Lock()
        self._at = _aware(at)

    def now(self) -> dt.datetime:
        """The moment the clock stands at."""
        with self._lock:
            return self._at

    def set(self, at: dt.datetime) -> dt.datetime:
        """Stand at another moment."""
        with self._lock:
            self._at = _aware(at)
            return self._at

    def advance(self, delta: dt.timedelta | None = None, **parts: float) -> dt.datetime:
        """Move forward by a timedelta or by keyword parts (`seconds=90`, `days=1`)."""
        step = (delta or dt.timedelta()) + dt.timedelta(**parts)
        with self._lock:
            self._at += step
            return self._at


SYSTEM = SystemClock()


def _aware(at: dt.datetime) -> dt.datetime:
    if at.tzinfo is None:
        raise ValueError("a clock needs an aware datetime")
    return at.astimezone(dt.UTC)


def init_app(app: Flask, clock: Clock | None = None) -> None:
    """Install the app's clock (the system clock unless one is given)."""
    app.extensions["clock"] = clock or SYSTEM


def install(app: Flask, clock: Clock) -> Clock:
    """Replace the app's clock; returns the one it had, so a caller can put it back."""
    previous: Clock = app.extensions.get("clock", SYSTEM)
    app.extensions["clock"] = clock
    return previous


def now() -> dt.datetime:
    """The current time as an aware UTC datetime, from the current app's clock."""
    if has_app_context():
        clock: Clock = current_app.extensions.get("clock", SYSTEM)
        return clock.now()
    return SYSTEM.now()


def zone() -> ZoneInfo:
    """The local time zone (TIMEZONE, Europe/Brussels): for display and wall-clock rules only."""
    name = current_app.config.get("TIMEZONE") if has_app_context() else None
    return ZoneInfo(name or "Europe/Brussels")


def parse_clock(value: str) -> dt.time:
    """Parse `HH:MM` or `HH:MM:SS` (24-hour) into a time; raise ValueError otherwise."""
    text = value.strip()
    parts = text.split(":")
    if len(parts) not in (2, 3) or not all(len(p) == 2 and p.isdigit() for p in parts):
        raise ValueError(f"expected HH:MM or HH:MM:SS, got {value!r}")
    hour, minute, second = (int(p) for p in [*parts, "00"][:3])
    return dt.time(hour, minute, second)  # raises ValueError when out of range
