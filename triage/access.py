"""The one incident guard: every route, page, socket payload and job reaches an incident here.

`visible_incident` loads an incident for an actor or answers 404, so a restricted incident, or
one an intake token did not create, is not revealed. Dispatch and handover call it for every
incident-scoped path; there is no second lookup to forget the check in.
"""

from __future__ import annotations

from flask import g
from flask_login import current_user

from accounts.actor import Actor
from core.api import not_found
from core.db import db
from triage import service, visibility
from triage.models import Incident, TimelineSource


def current_actor() -> Actor:
    """The request's user as a timeline actor (API with a token, else the console)."""
    token = g.get("api_token")
    return Actor(current_user, token, TimelineSource.API if token else TimelineSource.CONSOLE)


def visible_incident(actor: Actor, incident_id: int) -> Incident:
    """The incident if the actor may see its details; otherwise 404 (existence not revealed)."""
    incident = db.session.get(Incident, incident_id)
    if incident is None or not sees(actor, incident):
        raise not_found("incident")
    return incident


def sees(actor: Actor, incident: Incident) -> bool:
    """Whether the actor may see the incident's details (the rule `visible_incident` applies)."""
    if actor.user is None or not visibility.can_see(actor.user, incident):
        return False
    token = actor.token
    if token is None or not token.scopes:
        return True
    # A scoped token (telephony) reads back only what it created, and nothing once restricted.
    return incident.created_by_token_id == token.id and not incident.restricted


def visible_prior_incidents(actor: Actor, incident: Incident) -> list[tuple[Incident, list[str]]]:
    """Earlier incidents at the address or phone that the actor may see; none for scoped tokens.

    Otherwise the list would tell an integration, or a colleague not involved, that a number or
    an address had a (restricted) domestic-violence incident this year.
    """
    if actor.user is None or (actor.token is not None and actor.token.scopes):
        return []
    return [
        (prior, on)
        for prior, on in service.prior_incidents(incident)
        if visibility.can_see(actor.user, prior)
    ]


def incident_or_404(incident_id: int) -> Incident:
    """`visible_incident` for the current request's actor."""
    return visible_incident(current_actor(), incident_id)
