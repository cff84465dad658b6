"""Retention anonymises closed incidents and ended protective orders past RETENTION_DAYS, skips
legal holds, is idempotent."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from core.audit import AuditEvent
from core.db import db
from tests.conftest import ctx
from tests.dispatch.helpers import board, incident_with_unit
from tests.triage.helpers import DASH_ITEMS, answers, assess
from tests.triage.test_orders import ORDERS, register
from triage.models import Incident, OrderKey, ProtectiveOrder


def _closed_incident(app, client, headers, **unit_kw):
    incident, unit_id, _ = incident_with_unit(app, client, headers, **unit_kw)
    made = assess(client, headers, incident["id"], "dash", answers(DASH_ITEMS, 15), victim_fear=8)
    assert made.status_code == 201, made.get_json()
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
    fear = {i["id"]: i["assessments"][0]["victim_fear"] for i in (detail, kept)}
    assert fear == {gone["id"]: None, held["id"]: 8}  # her own fear goes with her answers
    again = runner.invoke(args=["retention", "run", "--as-of", later])
    assert "anonymised incidents: 0" in again.output
    with app.app_context():
        events = (
            db.session.execute(select(AuditEvent).where(AuditEvent.action == "anonymise"))
            .scalars()
            .all()
        )
        assert [(e.object_type, e.object_id) for e in events] == [("incident", gone["id"])]


def _stored_order(app, order_id: int) -> tuple[ProtectiveOrder, int]:
    """The order as stored, and how many keys calls can still match it by."""
    with ctx(app):
        order = db.session.get(ProtectiveOrder, order_id)
        db.session.expunge(order)
        count = select(func.count()).where(OrderKey.order_id == order_id)
        return order, db.session.execute(count).scalar_one()


def test_retention_removes_who_and_where_from_orders_ended_long_ago(app, client, runner, clock):
    chef = board(app, "chef", "supervisor")
    start = clock.now()
    ended = register(client, chef, clock, restricted=True)  # ends in 12 days
    running = register(
        client,
        chef,
        clock,
        kind="court_order",
        address=None,
        valid_to=(start + dt.timedelta(days=400)).isoformat(),
    )
    revoked_late = register(client, chef, clock)
    clock.advance(days=100)  # revoked long after its end: the revocation is its last word
    path = f"/api/v1/protective-orders/{revoked_late['id']}/revoke"
    assert client.post(path, json={"reason": "dossier Vredebeek"}, headers=chef).status_code == 200
    later = (start + dt.timedelta(days=12 + 190)).date().isoformat()
    dry = runner.invoke(args=["retention", "run", "--dry-run", "--as-of", later])
    assert "would anonymise protective_orders: 1" in dry.output, dry.output
    result = runner.invoke(args=["retention", "run", "--as-of", later])
    assert "anonymised protective_orders: 1" in result.output, result.output
    gone, keys = _stored_order(app, ended["id"])
    assert keys == 0 and gone.anonymised_at is not None
    assert (gone.subject_name, gone.subject_birth_year, gone.subject_phone) == (None, None, None)
    assert gone.protected_persons == [] and gone.order_reference is None
    assert gone.address_text is None and gone.address_key is None and gone.address_index is None
    assert (gone.kind, gone.issuing_authority, gone.restricted) == (
        "house_ban",
        "Procureur des Konings Antwerpen",
        True,
    )
    assert gone.valid_to.isoformat() == ended["valid_to"].replace("Z", "+00:00")
    for order in (running, revoked_late):
        kept, keys = _stored_order(app, order["id"])
        assert kept.subject_name == "Kevin Janssens" and kept.protected_persons and keys
    listed = client.get(ORDERS, query_string={"include": "expired"}, headers=chef).get_json()
    [shown] = [o for o in listed["items"] if o["id"] == ended["id"]]
    assert shown["subject"]["name"] is None and shown["protected_persons"] == []
    assert shown["address"] is None and shown["status"] == "expired"
    again = runner.invoke(args=["retention", "run", "--as-of", later])
    assert "anonymised protective_orders: 0" in again.output
    much_later = (start + dt.timedelta(days=100 + 190)).date().isoformat()
    last = runner.invoke(args=["retention", "run", "--as-of", much_later])
    assert "anonymised protective_orders: 1" in last.output
    lifted, keys = _stored_order(app, revoked_late["id"])
    assert lifted.revoke_reason is None and lifted.revoked_at is not None and keys == 0
    with app.app_context():
        events = (
            db.session.execute(
                select(AuditEvent.object_ids)
                .where(
                    AuditEvent.action == "anonymise", AuditEvent.object_type == "protective_order"
                )
                .order_by(AuditEvent.id)
            )
            .scalars()
            .all()
        )
    assert events == [[ended["id"]], [revoked_late["id"]]]
