"""Closing an incident, legal hold and restriction: the case actions and their rules."""

from __future__ import annotations

from accounts.actor import Actor
from core import audit, clock
from core.errors import DomainError
from core.i18n import lazy_gettext as _l
from triage import events, links, referral_rules
from triage.models import Incident, IncidentStatus
from triage.referral_rules import ReferralChange
from triage.service import add_timeline

# code → (English, Dutch); both are returned by the API so integrations need no catalogue.
DISPOSITIONS = {
    "resolved_on_scene": ("Resolved on scene", "Opgelost ter plaatse"),
    "victim_to_shelter": ("Victim taken to a shelter", "Slachtoffer naar opvang"),
    "arrest": ("Arrest made", "Arrestatie"),
    "house_ban": ("Temporary house ban", "Tijdelijk huisverbod"),
    "referred_to_services": ("Referred to social services", "Doorverwezen naar hulpverlening"),
    "medical_care": ("Medical care arranged", "Medische zorg geregeld"),
    "no_offence": ("No offence found", "Geen misdrijf vastgesteld"),
    "no_contact": ("No one found on arrival", "Niemand aangetroffen"),
    "cancelled": ("Cancelled by the caller", "Geannuleerd door de melder"),
}


def close(
    incident: Incident,
    disposition: str,
    note: str | None,
    actor: Actor,
    referrals: dict[str, ReferralChange] | None = None,
) -> None:
    """Close with a disposition and, in the same transaction, what happened with each referral
    (triage.referral_rules); refused (409) while a unit is still on it. Without `referrals`
    (integrations written before them) no answer is recorded: "not offered" is not assumed."""
    _check_disposition(disposition)
    referral_rules.check_answers(referrals or {})  # every 422 before anything is written
    _check_closable(incident)
    referral_rules.record_all(incident, referrals or {}, actor)
    old = incident.status
    incident.status, incident.closed_at, incident.disposition = (
        IncidentStatus.CLOSED,
        clock.now(),
        disposition,
    )
    add_timeline(
        incident.id,
        "incident.closed",
        actor,
        from_state=old,
        to_state=IncidentStatus.CLOSED,
        detail=note,
        data={"disposition": disposition},
    )
    audit.record("update", "incident", incident.id)
    events.publish_incident("incident.updated", incident)


def _check_disposition(disposition: str) -> None:
    if disposition not in DISPOSITIONS:
        raise DomainError(
            422,
            "validation_error",
            _l("Unknown disposition."),
            {"disposition": _l("One of: %(choices)s.", choices=", ".join(DISPOSITIONS))},
        )


def _check_closable(incident: Incident) -> None:
    if incident.status == IncidentStatus.CLOSED:
        raise DomainError(
            409,
            "conflict",
            _l("The incident is already closed."),
            {"status": _l("The incident is closed.")},
        )
    if links.assignments().has_active_assignment(incident.id):
        raise DomainError(
            409,
            "conflict",
            _l("A unit is still on this incident; it must clear first."),
            {"status": _l("Units still assigned.")},
        )


def set_legal_hold(incident: Incident, on: bool, reason: str | None, actor: Actor) -> None:
    """Put on (retention skips it) or lift a legal hold."""
    _flag(
        incident, "legal_hold", on, reason, actor, "legal_hold.set" if on else "legal_hold.lifted"
    )


def set_restriction(incident: Incident, on: bool, reason: str | None, actor: Actor) -> None:
    """Restrict (only supervisors and the people involved see details) or lift it."""
    incident.restricted_reason = reason if on else None
    kind = "restriction.set" if on else "restriction.lifted"
    _flag(incident, "restricted", on, reason, actor, kind)


def _flag(
    incident: Incident, field: str, value: bool, reason: str | None, actor: Actor, kind: str
) -> None:
    setattr(incident, field, value)
    add_timeline(incident.id, kind, actor, detail=reason)
    audit.record(kind.replace(".", "_"), "incident", incident.id)
    events.publish_incident("incident.updated", incident)
