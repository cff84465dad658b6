"""Factories for dispatch tests: units, a board user, signed Twilio webhooks."""

from __future__ import annotations

from twilio.request_validator import RequestValidator

from core import clock
from core.db import db
from dispatch import service
from dispatch.models import Unit, UnitStatus
from tests.conftest import bearer, ctx, make_token, make_user
from tests.triage.helpers import new_incident

AUTH_TOKEN = "test-twilio-auth-token"
PUBLIC = "https://nachtwacht.example"


def make_unit(
    app,
    call_sign="NT-11",
    phone="+32470000011",
    lat=51.2213,
    lon=4.4051,
    status=UnitStatus.AVAILABLE,
    skills=(),
    languages=("nl",),
    shift=None,
) -> int:
    """Create a unit directly and return its id."""
    with ctx(app):
        unit = service.create_unit(
            {
                "call_sign": call_sign,
                "phone": phone,
                "skills": list(skills),
                "languages": list(languages),
                "lat": lat,
                "lon": lon,
                "shift_start": shift[0] if shift else None,
                "shift_end": shift[1] if shift else None,
            }
        )
        unit.status = status
        if lat is not None and lon is not None:
            unit.position_at = clock.now()  # a position of unknown time is stale: ranked unknown
        db.session.flush()
        return unit.id


def unit_status(app, unit_id: int) -> str:
    """A unit's status as stored."""
    with app.app_context():
        return str(db.session.get(Unit, unit_id).status)


def board(app, username="an", role="dispatcher") -> dict[str, str]:
    """A dispatcher's (or supervisor's) token headers."""
    make_user(app, username, role)
    return bearer(make_token(app, username))


def signed_post(
    client, path: str, params: dict[str, str], token: str = AUTH_TOKEN, public: str = PUBLIC
):
    """POST a form to a webhook with a valid X-Twilio-Signature."""
    signature = RequestValidator(token).compute_signature(public + path, params)
    return client.post(path, data=params, headers={"X-Twilio-Signature": signature})


def incident_with_unit(app, client, headers, **unit_kw) -> tuple[dict, int, dict]:
    """An incident, a unit and the assignment of that unit."""
    incident = new_incident(client, headers)
    unit_id = make_unit(app, **unit_kw)
    response = client.post(
        f"/api/v1/incidents/{incident['id']}/assignments",
        json={"unit_id": unit_id},
        headers=headers,
    )
    assert response.status_code == 201, response.get_json()
    return incident, unit_id, response.get_json()
