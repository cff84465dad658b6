"""Translated labels for account codes (roles, organisation kinds), for templates."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

LABELS = {
    "dispatcher": _l("dispatcher"),
    "officer": _l("officer"),
    "supervisor": _l("supervisor"),
    "social_worker": _l("social worker"),
    "admin": _l("administrator"),
    "police": _l("police"),
    "caw": _l("general welfare (CAW)"),
    "veilig_huis": _l("Veilig Huis"),
    "victim_support": _l("victim support"),
    "other": _l("other"),
}
