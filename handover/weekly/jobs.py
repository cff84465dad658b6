"""The weekly list's scheduler job: build the lists due at TRIAGE_LIST_TIME on Monday."""

from __future__ import annotations

import datetime as dt

from flask import Flask


def tick(app: Flask, now: dt.datetime | None = None) -> list[int]:
    """Build every missing weekly list whose time has passed; safe to run twice."""
    return []
