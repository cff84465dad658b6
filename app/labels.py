"""Human labels for codes (roles, statuses, skills) through Flask-Babel, for templates."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import Flask, current_app
from flask_babel import lazy_gettext as _l
from jinja2 import pass_context

LABELS = {
    "dispatcher": _l("dispatcher"),
    "officer": _l("officer"),
    "supervisor": _l("supervisor"),
    "social_worker": _l("social worker"),
    "admin": _l("administrator"),
    "off_duty": _l("off duty"),
    "available": _l("available"),
    "assigned": _l("assigned"),
    "acknowledged": _l("acknowledged"),
    "en_route": _l("en route"),
    "on_scene": _l("on scene"),
    "transporting": _l("transporting"),
    "child_interviewing": _l("child interviewing"),
    "female_officer": _l("female officer"),
    "shelter_transport": _l("shelter transport"),
    "first_aid": _l("first aid"),
    "police": _l("police"),
    "caw": _l("general welfare (CAW)"),
    "veilig_huis": _l("Veilig Huis"),
    "victim_support": _l("victim support"),
    "other": _l("other"),
    "new": _l("new"),
    "dispatched": _l("dispatched"),
    "closed": _l("closed"),
    "cleared": _l("cleared"),
}


def localtime(value: dt.datetime | None) -> str:
    """A UTC timestamp shown in the configured time zone (Europe/Brussels)."""
    if value is None:
        return "—"
    zone = ZoneInfo(current_app.config["TIMEZONE"])
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
