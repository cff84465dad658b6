"""Translated labels for incident codes (statuses), for templates."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

LABELS = {
    "new": _l("new"),
    "dispatched": _l("dispatched"),
    "closed": _l("closed"),
}
