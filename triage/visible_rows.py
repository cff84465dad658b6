"""The visibility rule (triage.visibility) as an SQL condition, for look-ups that list incidents.

A search or a look-up while a call is typed must answer a restricted match the viewer may not
see exactly as it answers a miss, in time too: so such rows are left out by the statement
itself, never loaded and dropped afterwards. The condition may let through a row the viewer
still may not see (a call taken with the viewer's account by a telephony token); `sees` stays
the final check on every row the statement returns.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, false, or_, true

from accounts.actor import Actor
from accounts.models import Role
from triage import links
from triage.models import Incident


def visible_to(actor: Actor) -> ColumnElement[bool]:
    """Incidents that are not restricted, or that the actor is a supervisor for or involved in."""
    user = actor.user
    if user is None:
        return false()
    if actor.token is not None and actor.token.scopes:
        # A scoped token (telephony) reads back only what it created, and nothing restricted.
        return and_(Incident.created_by_token_id == actor.token.id, Incident.restricted.is_(False))
    if Role(user.role) == Role.SUPERVISOR:
        return true()
    return or_(
        Incident.restricted.is_(False),
        Incident.created_by_id == user.id,
        _through_a_unit(user.id),
    )


def _through_a_unit(user_id: int) -> ColumnElement[bool]:
    """Assigned a unit to the incident or on its crew (dispatch answers, as for `involved`)."""
    return links.assignments().involved_condition(user_id, Incident.id)
