"""Translated labels for dispatch codes (unit and assignment statuses, skills, timeline kinds)."""

from __future__ import annotations

from typing import Any

from core.i18n import lazy_gettext as _l

STATUSES = {
    "off_duty": _l("off duty"),
    "available": _l("available"),
    "assigned": _l("assigned"),
    "acknowledged": _l("acknowledged"),
    "en_route": _l("en route"),
    "on_scene": _l("on scene"),
    "transporting": _l("transporting"),
    # assignments
    "active": _l("active"),
    "cleared": _l("cleared"),
    "released": _l("released"),
}
SKILLS = {
    "child_interviewing": _l("child interviewing"),
    "female_officer": _l("female officer"),
    "shelter_transport": _l("shelter transport"),
    "first_aid": _l("first aid"),
}
# Timeline kinds written by dispatch (flows, webhooks, escalation).
KINDS = {
    "unit.status": _l("Unit status changed"),
    "assignment.created": _l("Unit assigned"),
    "assignment.cleared": _l("Unit cleared"),
    "assignment.released": _l("Unit released"),
    "assignment.release_reason": _l("Reason for the release"),
    "sms.received": _l("SMS reply received"),
    "sms.unparsed": _l("SMS reply for the dispatcher"),
    "escalation.level1": _l("No acknowledgement: paged again"),
    "escalation.level2": _l("No acknowledgement: supervisor alerted"),
    "escalation.welfare_check": _l("Welfare check sent"),
    "escalation.welfare_supervisor": _l("Welfare check unanswered: supervisor alerted"),
    "unit.check_in": _l("Unit checked in: all well"),
    "sms.danger": _l("New danger texted to the unit"),
    "alarm.acknowledged": _l("Alarm acknowledged"),
    "sms.sent": _l("SMS sent to the unit"),
    "unit.status_reason": _l("Reason for the status"),
    "unit.distress": _l("Distress (NOOD) from the unit"),
}
LABELS = {**STATUSES, **SKILLS}


def status_label(code: Any) -> Any:
    """The (lazy) label of a unit or assignment status; an unknown code as it is."""
    return STATUSES.get(str(code), str(code))
