"""Who may reach which note, packet or incident; shared by the API and the pages.

A partner organisation's reader gets 404 for anything not theirs: existence is not revealed.
"""

from __future__ import annotations

from flask_login import current_user

from accounts.models import Organisation, Role
from core import clock
from core.api import not_found
from core.db import db
from core.policies import allow
from handover import service
from handover.models import HandoverNote, HandoverPacket
from triage.access import current_actor, sees, visible_incident
from triage.models import Incident

WRITERS = allow(Role.DISPATCHER, Role.SUPERVISOR, Role.OFFICER)
PARTNER = allow(Role.SOCIAL_WORKER)
PACKET_LIST = allow(Role.SOCIAL_WORKER, Role.SUPERVISOR)


def incident_for_writer(incident_id: int) -> Incident:
    """The incident, if the current user may write (and read) its notes; else 404/403."""
    incident = visible_incident(current_actor(), incident_id)
    if not service.may_write(current_user, incident.id):
        raise not_found("incident")  # the same answer as for a missing one
    return incident


def note_for_writer(note_id: int) -> HandoverNote:
    """A note for the police side (same rule as its incident); else 404/403."""
    note = db.session.get(HandoverNote, note_id)
    actor = current_actor()
    if (
        note is None
        or not sees(actor, db.session.get(Incident, note.incident_id))
        or not service.may_write(current_user, note.incident_id)
    ):
        raise not_found("handover note")  # one answer for missing and not yours
    return note


def own_organisation() -> Organisation | None:
    """The current social worker's organisation."""
    return current_user.organisation if Role(current_user.role) == Role.SOCIAL_WORKER else None


def note_for_partner(note_id: int) -> HandoverNote:
    """A note the current social worker's organisation may read; else 404."""
    note = db.session.get(HandoverNote, note_id)
    org = own_organisation()
    if note is None or org is None or not service.readable_by(note, org):
        raise not_found("handover note")
    return note


def packet_for_partner(packet_id: int) -> HandoverPacket:
    """A packet of the current social worker's organisation; another's is 404."""
    packet = db.session.get(HandoverPacket, packet_id)
    org = own_organisation()
    if packet is None or org is None or packet.organisation_id != org.id:
        raise not_found("handover packet")
    return packet


def pending_urgent_notes() -> list[HandoverNote]:
    """Urgent notes for the current social worker's organisation not yet in a packet."""
    org = own_organisation()
    return service.pending_urgent(org, clock.now()) if org is not None else []
