"""A dispatcher sets or corrects an incident's point on the map: quality `manual`.

The dispatcher clicks the map (or drags the pin) when the address did not geocode, or geocoded
to a centroid. The point is case data: stored encrypted (with its coarse copy), never written to
the timeline or the logs; the timeline says only that the point was set by hand, and the
quality and district it had before. Services flush; the route commits and the after-commit path
publishes `incident.updated`.
"""

from __future__ import annotations

import datetime as dt

from accounts.actor import Actor
from core import audit
from core.errors import DomainError
from core.i18n import lazy_gettext as _l
from triage import events
from triage.geocoding import antwerp_bbox, district_for_point
from triage.location import OUTSIDE_AREA
from triage.models import Incident
from triage.service import add_timeline

MANUAL = "manual"
KIND = "location.manual"


class PinError(DomainError):
    """A pinned point that is well-formed but not plausible, naming the field."""


def check_point(lat: float | None, lon: float | None) -> tuple[float, float]:
    """Accept a point inside the Antwerp area (the shipped bounding box), else a field-level 422."""
    box = antwerp_bbox()
    fields = {}
    if lat is None or not box["south"] <= lat <= box["north"]:
        fields["lat"] = _l("Outside the Antwerp area (%(low)s to %(high)s).", **_range(box, "lat"))
    if lon is None or not box["west"] <= lon <= box["east"]:
        fields["lon"] = _l("Outside the Antwerp area (%(low)s to %(high)s).", **_range(box, "lon"))
    if fields:
        raise PinError(422, "validation_error", _l("The point is not in the Antwerp area."), fields)
    return float(lat), float(lon)  # type: ignore[arg-type]


def _range(box: dict[str, float], axis: str) -> dict[str, float]:
    low, high = ("south", "north") if axis == "lat" else ("west", "east")
    return {"low": box[low], "high": box[high]}


def pin_location(
    incident: Incident,
    lat: float,
    lon: float,
    actor: Actor,
    accuracy_m: float | None = None,
    located_at: dt.datetime | None = None,
) -> None:
    """Set the incident's point by hand: quality `manual`, a timeline line, an update event.

    The structured address (street, number, box, postcode) stays: the pin says where the door
    is, the address what the unit is sent. Without a district yet, the point's nearest one.
    The pin is a dispatcher's point (source `dispatcher`), with the radius and time given.
    """
    lat, lon = check_point(lat, lon)
    previous = str(incident.location_quality)
    incident.lat, incident.lon = lat, lon
    incident.location_quality = MANUAL  # type: ignore[assignment]
    incident.location_accuracy_m, incident.location_at = accuracy_m, located_at
    incident.location_source = "dispatcher"
    incident.flags = [f for f in incident.flags or [] if f != OUTSIDE_AREA]  # inside: checked
    # The district from the address (its postcode) is surer than the nearest district centre.
    incident.district = incident.district or district_for_point(lat, lon)
    add_timeline(
        incident.id,
        KIND,
        actor,
        from_state=previous,
        to_state=MANUAL,
        data={"previous_quality": previous, "district": incident.district},
    )
    audit.record("update", "incident", incident.id)
    events.publish_incident("incident.updated", incident)
