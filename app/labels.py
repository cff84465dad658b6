"""The `|label` and `|localtime` template filters: codes shown in the user's language."""

from __future__ import annotations

import datetime as dt

from flask import Flask
from jinja2 import pass_context

from accounts import labels as accounts_labels
from core import clock
from dispatch import labels as dispatch_labels
from triage import labels as triage_labels

# Each package owns the labels of its codes; the shell's `|label` filter reads them all.
LABELS = {**accounts_labels.LABELS, **triage_labels.LABELS, **dispatch_labels.LABELS}


def localtime(value: dt.datetime | None) -> str:
    """A UTC timestamp shown in the configured time zone (Europe/Brussels)."""
    if value is None:
        return "—"
    zone = clock.zone()
    return value.astimezone(zone).strftime("%d/%m %H:%M")


@pass_context  # never constant-folded at compile time: the language is per request
def label(context: object, code: object) -> str:
    """The translated label of a code, or the code itself."""
    key = str(code)
    return str(LABELS.get(key, key))


def init_labels(app: Flask) -> None:
    """Expose `|label` to templates."""
    app.jinja_env.filters["label"] = label
    app.jinja_env.filters["localtime"] = localtime
