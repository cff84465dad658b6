"""The `|label`, `|instrument` and `|localtime` template filters: codes in the user's language."""

from __future__ import annotations

import datetime as dt

from flask import Flask
from jinja2 import pass_context

from accounts import labels as accounts_labels
from core import clock
from dispatch import labels as dispatch_labels
from handover import labels as handover_labels
from triage import explain, scoring, screening
from triage import labels as triage_labels

# Each package owns the labels of its codes; the shell's `|label` filter reads them all.
LABELS = {**accounts_labels.LABELS, **triage_labels.LABELS, **dispatch_labels.LABELS}
# Every timeline kind any domain writes, for pages that show a timeline.
KINDS = {**triage_labels.KINDS, **dispatch_labels.KINDS, **handover_labels.KINDS}


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


@pass_context
def kind_label(context: object, kind: object) -> str:
    """The translated label of a timeline kind, or the kind itself."""
    key = str(kind)
    return str(KINDS.get(key, key))


@pass_context
def instrument_title(context: object, instrument_id: object) -> str:
    """A screening instrument's title in the user's language, or its id."""
    instrument = screening.instruments().get(str(instrument_id))
    if instrument is None:
        return str(instrument_id)
    titles = instrument.title.model_dump()
    return titles.get(explain.language()) or titles["nl"]


def motive_options() -> list[tuple[str, str]]:
    """Every motive code (triage.scoring.MOTIVES) with its name in the user's language."""
    lang = explain.language()
    return [(code, m.name.get(lang) or m.name["nl"]) for code, m in scoring.MOTIVES.items()]


def timeline_labels() -> dict[str, str]:
    """Labels for a page script that draws a timeline (`kind_<kind>`, `state_<state>`) and an
    incident's system flags (`flag_<flag>`: the protective-order flags)."""
    states = {
        **triage_labels.STATUSES,
        **triage_labels.PRIORITIES,
        **dispatch_labels.STATUSES,
    }
    return {
        **{f"kind_{kind}": str(text) for kind, text in KINDS.items()},
        **{f"state_{code}": str(text) for code, text in states.items()},
        **{f"flag_{code}": str(text) for code, text in triage_labels.FLAGS.items()},
    }


def init_labels(app: Flask) -> None:
    """Expose the label filters to templates."""
    app.jinja_env.globals["timeline_labels"] = timeline_labels
    app.jinja_env.globals["motive_options"] = motive_options
    app.jinja_env.filters["label"] = label
    app.jinja_env.filters["kind"] = kind_label
    app.jinja_env.filters["instrument"] = instrument_title
    app.jinja_env.filters["localtime"] = localtime
