"""Translated labels for why a case is on the weekly list."""

from __future__ import annotations

from core.i18n import lazy_gettext as _l
from handover.weekly import selection

REASON_LABELS = {
    selection.IMMEDIATE_DANGER: _l("immediate danger"),
    selection.LAP_SCREENED_IN: _l("LAP: screened in"),
    selection.DASH_HIGH: _l("DASH: high risk"),
    selection.REPEAT: _l("repeat (escalation pattern)"),
    selection.ORDER_IN_FORCE: _l("house ban or order in force"),
}
