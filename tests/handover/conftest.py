"""Handover fixtures: fixed handover settings and a recorder of emitted realtime events."""

from __future__ import annotations

import pytest

from core import realtime


@pytest.fixture
def app(app, monkeypatch):
    """The shared app with the default handover settings, whatever the environment says."""
    for key, value in {
        "HANDOVER_TIME": "07:00",
        "HANDOVER_REMINDER_TIME": "10:00",
        "HANDOVER_CATCHUP_DAYS": "7",
        "TIMEZONE": "Europe/Brussels",
    }.items():
        monkeypatch.setitem(app.config, key, value)
    return app


@pytest.fixture
def emitted(monkeypatch) -> list[tuple[str, dict, list[str]]]:
    """Every Socket.IO emission after commit, as (event, payload, rooms)."""
    seen: list[tuple[str, dict, list[str]]] = []

    def record(name, payload, to=None, namespace=None, **_):
        seen.append((name, payload, list(to or [])))

    monkeypatch.setattr(realtime.socketio, "emit", record)
    return seen
