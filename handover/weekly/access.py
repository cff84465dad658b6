"""Who may reach which weekly list: the one guard for its pages.

A Veilig Huis's social workers read their organisation's lists once sent; supervisors read
every list, drafts included, and are the only ones to change a draft. Anything else is 404 for
a social worker (existence not revealed) and 403 for the other roles (the pages' policies).
"""

from __future__ import annotations

from flask_login import current_user

from accounts.models import Role
from core.api import not_found
from core.db import db
from core.policies import allow
from handover.access import own_organisation
from handover.weekly.models import TriageList

READERS = allow(Role.SOCIAL_WORKER, Role.SUPERVISOR)
PARTNER = allow(Role.SOCIAL_WORKER)
SUPERVISORS = allow(Role.SUPERVISOR)


def is_supervisor() -> bool:
    """Whether the current user reads lists as a supervisor (every list, drafts too)."""
    return Role(current_user.role) == Role.SUPERVISOR


def list_for_partner(list_id: int) -> TriageList:
    """A sent list of the current social worker's organisation; anything else is 404."""
    row = db.session.get(TriageList, list_id)
    org = own_organisation()
    if row is None or org is None or row.organisation_id != org.id or row.sent_at is None:
        raise not_found("triage list")
    return row


def list_for_reader(list_id: int) -> TriageList:
    """Any list for a supervisor; the social worker's own sent one; else 404."""
    if is_supervisor():
        return list_for_supervisor(list_id)
    return list_for_partner(list_id)


def list_for_supervisor(list_id: int) -> TriageList:
    """Any list, for a supervisor (the policy already refused everyone else); else 404."""
    row = db.session.get(TriageList, list_id) if is_supervisor() else None
    if row is None:
        raise not_found("triage list")
    return row
