"""The audit trail: a hash chain that catches changed, inserted and removed rows; purges keep it."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from flask_migrate import upgrade
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from core import audit
from core import clock as core_clock
from core.audit.chain import purge_before, verify_chain
from core.db import db
from tests.conftest import bearer, make_app, make_token, make_user, require_service
from tests.triage.helpers import new_incident
from tools.servers import postgres_schema


def _events(app, n: int = 5) -> None:
    with app.app_context():
        for i in range(n):
            audit.record("view", "incident", i + 1, username="an")
        db.session.commit()


def test_verify_passes_on_an_untouched_chain(app, runner):
    _events(app)
    result = runner.invoke(args=["audit", "verify"])
    assert (
        result.exit_code == 0
        and result.output.strip().splitlines()[-1] == "audit chain ok: 5 events"
    )


@pytest.mark.parametrize("tamper", ["change", "insert", "delete_middle", "delete_last"])
def test_tampering_is_caught_and_named(app, runner, backend, tamper):
    _events(app)
    with app.app_context():
        ids = [r[0] for r in db.session.execute(text("SELECT id FROM audit_event ORDER BY id"))]
        statements = {
            "change": (f"UPDATE audit_event SET object_id = 99 WHERE id = {ids[2]}", ids[2]),
            "insert": (
                "INSERT INTO audit_event (id, occurred_at, action, prev_hash, hash) VALUES "
                f"({ids[2]} * 1000, '2026-01-01', 'view', '{'0' * 64}', '{'f' * 64}')",
                None,
            ),
            "delete_middle": (f"DELETE FROM audit_event WHERE id = {ids[2]}", ids[3]),
            "delete_last": (f"DELETE FROM audit_event WHERE id = {ids[-1]}", None),
        }
        statement, expected_id = statements[tamper]
        db.session.execute(text(statement))
        db.session.commit()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1, result.output
    assert "BROKEN" in result.output
    if expected_id:
        assert f"event {expected_id}" in result.output


@pytest.mark.postgres
def test_postgresql_refuses_update_and_delete_on_audit_rows():
    url = os.environ.get("TEST_DATABASE_URL", "")
    require_service(bool(url), "PostgreSQL tests need TEST_DATABASE_URL")
    with postgres_schema(url) as schema_url:
        app = make_app(schema_url)
        with app.app_context():
            upgrade()
            audit.record("login", "user", 1, username="an")
            db.session.commit()
            for statement in ("UPDATE audit_event SET action = 'x'", "DELETE FROM audit_event"):
                with pytest.raises(DBAPIError, match="append-only"):
                    db.session.execute(text(statement))
                db.session.rollback()
            removed = purge_before(core_clock.now() + dt.timedelta(days=1))
            db.session.commit()
            assert removed == 1 and verify_chain().ok
            db.session.remove()
            db.engine.dispose()


def test_purge_removes_a_prefix_and_verify_continues_from_the_checkpoint(app, runner):
    with app.app_context():
        old = audit.record("view", "incident", 1, username="an")
        db.session.commit()
        audit.record("view", "incident", 2, username="an")
        db.session.commit()
        assert purge_before(old.occurred_at + dt.timedelta(microseconds=1)) == 1
        db.session.commit()
        assert purge_before(old.occurred_at + dt.timedelta(microseconds=1)) == 0  # idempotent
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0 and "audit chain ok: 1 events" in result.output


def test_supervisor_sees_who_viewed_an_incident(app, client):
    make_user(app, "an", "dispatcher")
    make_user(app, "chef", "supervisor")
    make_user(app, "boss", "admin")
    dispatcher, supervisor, admin = (bearer(make_token(app, u)) for u in ("an", "chef", "boss"))
    incident = new_incident(client, dispatcher)
    client.get(f"/api/v1/incidents/{incident['id']}", headers=dispatcher)
    trail = client.get(
        f"/api/v1/audit?object_type=incident&object_id={incident['id']}", headers=supervisor
    )
    assert trail.status_code == 200
    actions = [(e["action"], e["username"]) for e in trail.get_json()["items"]]
    assert actions[:2] == [("view", "an"), ("create", "an")]
    assert client.get("/api/v1/audit?object_type=incident", headers=admin).status_code == 403
    admin_items = client.get("/api/v1/audit", headers=admin).get_json()["items"]
    assert admin_items and {e["object_type"] for e in admin_items} <= {
        "user",
        "unit",
        "organisation",
        "api_token",
    }
    assert client.get("/api/v1/audit", headers=dispatcher).status_code == 403


def _rewrite_with(app, rehash) -> None:
    """An insider with write access to the database (not AUDIT_KEY): edit one event and recompute
    every hash after it, the checkpoint-free head included."""
    from core.audit import AuditEvent, AuditHead

    with app.app_context():
        events = db.session.execute(db.select(AuditEvent).order_by(AuditEvent.id)).scalars().all()
        events[1].username = "iemand-anders"
        previous = events[0].hash
        for event in events[1:]:
            event.prev_hash, event.hash = previous, rehash(previous, event.canonical())
            previous = event.hash
        head = db.session.get(AuditHead, 1)
        head.last_hash = previous
        db.session.commit()


@pytest.mark.parametrize(
    "rehash",
    [audit.unkeyed_hash, lambda prev, canonical: audit.chain_hash(prev, canonical, "guessed")],
    ids=["plain-sha256", "wrong-key"],
)
def test_16_a_chain_rewritten_without_audit_key_fails_verification(app, runner, rehash):
    _events(app)
    _rewrite_with(app, rehash)
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1 and "content does not match its hash" in result.output


def test_16_a_planted_checkpoint_or_history_below_one_fails(app, runner):
    from core.audit import AuditCheckpoint

    _events(app)
    with app.app_context():
        ids = [r[0] for r in db.session.execute(text("SELECT id FROM audit_event ORDER BY id"))]
        last = db.session.execute(text(f"SELECT hash FROM audit_event WHERE id = {ids[2]}"))
        forged = AuditCheckpoint(
            kind="purge", last_event_id=ids[2], last_hash=last.scalar_one(), purged_total=3
        )
        forged.sign("guessed")  # an insider cannot sign with AUDIT_KEY
        db.session.add(forged)
        db.session.execute(text(f"DELETE FROM audit_event WHERE id <= {ids[2]}"))
        db.session.commit()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1 and "unsigned or forged" in result.output
    with app.app_context():  # a real, signed purge that left an event behind
        db.session.execute(text("DELETE FROM audit_checkpoint"))
        real = AuditCheckpoint(
            kind="purge", last_event_id=ids[3], last_hash="x" * 64, purged_total=4
        )
        real.sign()
        db.session.add(real)
        db.session.commit()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1 and "at or below a purge checkpoint" in result.output


def test_16_an_anchor_outside_the_database_catches_a_truncated_chain(app, runner, tmp_path):
    from core.audit import AuditEvent, AuditHead

    anchors = tmp_path / "audit.anchor"
    app.config["AUDIT_ANCHOR_FILE"] = str(anchors)
    _events(app, 3)
    assert runner.invoke(args=["audit", "anchor"]).exit_code == 0
    _events(app, 2)
    assert runner.invoke(args=["audit", "anchor"]).exit_code == 0
    verified = runner.invoke(args=["audit", "verify", "--anchor", str(anchors)])
    assert verified.exit_code == 0, verified.output
    with app.app_context():  # drop the last three events and set the head back: no HMAC needed
        events = db.session.execute(db.select(AuditEvent).order_by(AuditEvent.id)).scalars().all()
        for event in events[2:]:
            db.session.delete(event)
        head = db.session.get(AuditHead, 1)
        head.last_hash, head.appended = events[1].hash, 2
        db.session.commit()
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0  # the chain alone cannot tell
    caught = runner.invoke(args=["audit", "verify", "--anchor", str(anchors)])
    assert caught.exit_code == 1 and "are missing" in caught.output
    first = anchors.read_text().splitlines()[0]
    anchors.write_text(first.replace('"appended": 3', '"appended": 1'))  # edited by hand
    forged = runner.invoke(args=["audit", "verify", "--anchor", str(anchors)])
    assert forged.exit_code == 1 and "not signed" in forged.output


@pytest.mark.postgres
def test_16_on_postgresql_the_app_role_can_add_and_read_audit_rows_and_nothing_else(
    monkeypatch,
):
    import uuid

    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    url = os.environ.get("TEST_DATABASE_URL", "")
    require_service(bool(url), "PostgreSQL tests need TEST_DATABASE_URL")
    role = f"nw_app_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE ROLE {role} LOGIN"))
    try:
        with postgres_schema(url) as schema_url:
            schema = schema_url.rsplit("%3D", 1)[1]
            with admin.begin() as conn:
                conn.execute(text(f"GRANT USAGE ON SCHEMA {schema} TO {role}"))
            monkeypatch.setenv("AUDIT_APP_ROLE", role)
            migrator = make_app(schema_url)  # a superuser runs the upgrade, as the README says
            with migrator.app_context():
                upgrade()
                db.session.remove()
                db.engine.dispose()
            app_url = make_url(schema_url).set(username=role).render_as_string(hide_password=False)
            app = make_app(app_url)  # the service itself, as the app role
            with app.app_context():
                audit.record("login", "user", 1, username="an")
                db.session.commit()
                for statement in (
                    "UPDATE audit_event SET action = 'x'",
                    "DELETE FROM audit_event",
                    "ALTER TABLE audit_event DISABLE TRIGGER ALL",
                    "UPDATE audit_checkpoint SET signature = NULL",
                ):
                    with pytest.raises(DBAPIError, match="permission denied|must be owner"):
                        db.session.execute(text(statement))
                    db.session.rollback()
                with pytest.raises(DBAPIError, match="permission denied"):
                    db.session.execute(text("SET LOCAL nachtwacht.audit_purge = 'on'"))
                    db.session.execute(text("DELETE FROM audit_event"))
                db.session.rollback()
                removed = purge_before(core_clock.now() + dt.timedelta(days=1))  # the retention
                db.session.commit()
                assert removed == 1 and verify_chain().ok
                db.session.remove()
                db.engine.dispose()
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP OWNED BY {role}"))
            conn.execute(text(f"DROP ROLE {role}"))
        admin.dispose()


def _last_id(app) -> int:
    with app.app_context():
        return db.session.execute(text("SELECT max(id) FROM audit_event")).scalar_one()


def test_an_incremental_walk_starts_where_the_last_walk_that_verified_ended(app, runner):
    _events(app, 5)
    assert runner.invoke(args=["audit", "verify"]).output.splitlines()[-1] == (
        "audit chain ok: 5 events"
    )
    fifth = _last_id(app)
    _events(app, 3)

    result = runner.invoke(args=["audit", "verify", "--incremental"])

    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == f"audit chain ok: 3 events after event {fifth}"
    again = runner.invoke(args=["audit", "verify", "--incremental"])
    assert again.output.splitlines()[-1] == f"audit chain ok: 0 events after event {fifth + 3}"
    assert runner.invoke(args=["audit", "verify"]).output.splitlines()[-1] == (
        "audit chain ok: 8 events"
    )


@pytest.mark.parametrize("tamper", ["change_new", "forged_checkpoint", "missing_tail"])
def test_an_incremental_walk_still_catches_what_happened_after_its_checkpoint(app, runner, tamper):
    _events(app, 5)
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0
    _events(app, 3)
    last = _last_id(app)
    with app.app_context():
        statement = {
            "change_new": f"UPDATE audit_event SET object_id = 99 WHERE id = {last - 1}",
            # a checkpoint planted past the tampering, without AUDIT_KEY to sign it
            "forged_checkpoint": "INSERT INTO audit_checkpoint (kind, last_event_id, last_hash,"
            f" purged_total, created_at) VALUES ('verified', {last}, '{'a' * 64}', 8,"
            " '2026-01-01')",
            "missing_tail": f"DELETE FROM audit_event WHERE id = {last}",
        }[tamper]
        db.session.execute(text(statement))
        db.session.commit()

    result = runner.invoke(args=["audit", "verify", "--incremental"])

    assert result.exit_code == 1 and "BROKEN" in result.output, result.output
