"""How sure an incident's point is: its accuracy radius, when it was fixed and who gave it.

A caller's phone (AML), the network, the caller, a dispatcher or the geocoder gives `lat`/`lon`
with a radius and a time; the three go with the point and only with it: a new point without
them clears them, no point clears them. The radius is encrypted like the point (core.db
CaseFloat). Services flush; the route commits.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from core import clock
from core.errors import DomainError
from core.i18n import lazy_gettext as _l
from triage.models import Incident

SOURCES = ("aml", "network", "caller", "dispatcher", "geocoder")
MANUAL = "manual"  # the console's map pin: a dispatcher's point
FIX_FIELDS = ("accuracy_m", "located_at", "location_source")
SKEW = dt.timedelta(minutes=1)  # a phone's clock may run a little ahead of ours
MAX_AGE = dt.timedelta(days=1)  # an older fix says nothing about where the call is


class FixError(DomainError):
    """A point's accuracy, time or source that cannot be taken, naming the field."""


def check_fix(body: Any) -> None:
    """Refuse accuracy, time or source without the point, and a fix made in the future or more
    than a day ago (422)."""
    given = [f for f in FIX_FIELDS if getattr(body, f, None) is not None]
    fields: dict[str, Any] = {}
    if given and (body.lat is None or body.lon is None):
        fields |= {f: _l("Only together with lat and lon.") for f in given}
    located_at = getattr(body, "located_at", None)
    if located_at is not None and located_at > clock.now() + SKEW:
        fields.setdefault("located_at", _l("The point cannot have been fixed in the future."))
    elif located_at is not None and located_at < clock.now() - MAX_AGE:
        fields.setdefault("located_at", _l("A fix older than a day does not locate a call."))
    if fields:
        raise FixError(422, "validation_error", _l("Some fields are not valid."), fields)


def apply_fix(incident: Incident, body: Any) -> None:
    """Store the body's accuracy, time and source with its point (none of them: cleared)."""
    if incident.lat is None or incident.lon is None:
        clear_fix(incident)
        return
    source = body.location_source
    incident.location_accuracy_m = body.accuracy_m
    incident.location_at = body.located_at
    incident.location_source = "dispatcher" if source == MANUAL else source


def clear_fix(incident: Incident) -> None:
    """Forget the point's accuracy, time and source (the point went, or another replaced it)."""
    incident.location_accuracy_m = None
    incident.location_at = None
    incident.location_source = None


def age_s(incident: Incident, now: dt.datetime) -> float | None:
    """How old the point's fix is, in seconds (None: time unknown); never negative."""
    if incident.location_at is None:
        return None
    return max(0.0, (now - incident.location_at).total_seconds())
