"""Translated labels for dispatch codes (unit and assignment statuses, skills), for templates."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

LABELS = {
    "off_duty": _l("off duty"),
    "available": _l("available"),
    "assigned": _l("assigned"),
    "acknowledged": _l("acknowledged"),
    "en_route": _l("en route"),
    "on_scene": _l("on scene"),
    "transporting": _l("transporting"),
    "cleared": _l("cleared"),
    "child_interviewing": _l("child interviewing"),
    "female_officer": _l("female officer"),
    "shelter_transport": _l("shelter transport"),
    "first_aid": _l("first aid"),
}
