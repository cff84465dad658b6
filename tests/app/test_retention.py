"""Retention anonymises closed incidents past RETENTION_DAYS, skips legal holds, is idempotent."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from core.audit import AuditEvent
from core.db import db
from tests.dispatch.helpers import board, incident_with_unit
from tests.triage.helpers import DASH_ITEMS, answers, assess
from triage.models import Incident


def _closed_incident(app, client, headers, **unit_kw):
    incident, unit_id, _ = incident_with_unit(app, client, headers, **unit_kw)
    assess(client, headers, incident["id"], "dash", answers(DASH_ITEMS, 15))
    client.post(f"/api/v1/units/{unit_id}/status", json={"status": "available"}, headers=headers)
    closed = client.post(
        f"/api/v1/incidents/{incident['id']}/close",
        json={"disposition": "resolved_on_scene", "note": "Marie is bij haar zus"},
        headers=headers,
    )
    assert closed.status_code == 200
    return incident


def test_retention_anonymises_and_skips_legal_holds(app, client, runner, clock):
    headers = board(app)
    chef = board(app, "chef", "supervisor")
    gone = _closed_incident(app, client, headers)
    held = _closed_incident(app, client, headers, call_sign="NT-12", phone="+32470000012")
    client.post(
        f"/api/v1/incidents/{held['id']}/legal-hold", json={"reason": "onderzoek"}, headers=chef
    )
    too_soon = runner.invoke(args=["retention", "run"])
    assert "anonymised incidents: 0" in too_soon.output
    later = (clock.now() + dt.timedelta(days=181)).date().isoformat()
    dry = runner.invoke(args=["retention", "run", "--dry-run", "--as-of", later])
    assert "would anonymise incidents: 1" in dry.output
    result = runner.invoke(args=["retention", "run", "--as-of", later])
    assert result.exit_code == 0 and "anonymised incidents: 1" in result.output
    assert "anonymised persons: 1" in result.output and "anonymised sms_bodies: 1" in result.output
    detail = client.get(f"/api/v1/incidents/{gone['id']}", headers=chef).get_json()
    assert (
        detail["persons"][0]["name"] is None
        and detail["narrative"] is None
        and detail["caller_phone"] is None
    )
    assert detail["address"] == "2060" and detail["lat"] is None and detail["lon"] is None
    with app.app_context():
        stored = db.session.get(Incident, gone["id"])
        assert (stored.lat_coarse, stored.lon_coarse) == (
            round(gone["lat"], 2),
            round(gone["lon"], 2),
        )
    assert detail["assessments"][0]["level"] == "high" and detail["priority"] == "P2"
    assert all(e["detail"] is None for e in detail["timeline"])
    messages = client.get(f"/api/v1/incidents/{gone['id']}/messages", headers=chef).get_json()[
        "items"
    ]
    assert all(m["body"] == "" for m in messages)
    kept = client.get(f"/api/v1/incidents/{held['id']}", headers=chef).get_json()
    assert kept["persons"][0]["name"] == "Marie Peeters" and kept["narrative"]
    again = runner.invoke(args=["retention", "run", "--as-of", later])
    assert "anonymised incidents: 0" in again.output
    with app.app_context():
        events = (
            db.session.execute(select(AuditEvent).where(AuditEvent.action == "anonymise"))
            .scalars()
            .all()
        )
        assert [(e.object_type, e.object_id) for e in events] == [("incident", gone["id"])]
