"""Migrations: one head, upgrade from empty on SQLite and PostgreSQL, and they match the models."""

from __future__ import annotations

import os
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, select, text

from core import crypto
from core.audit import AuditHead
from core.db import Base, db
from tests.conftest import make_app, require_service


def test_one_head(backend_app):
    with backend_app.app_context():
        config = backend_app.extensions["migrate"].migrate.get_config()
        assert len(ScriptDirectory.from_config(config).get_heads()) == 1


def _upgrade_and_compare(url: str) -> None:
    app = make_app(url)
    with app.app_context():
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
        assert {t.name for t in Base.metadata.sorted_tables} <= tables
        assert db.session.execute(select(AuditHead.last_hash)).scalar_one() == "0" * 64
        with db.engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": False})
            diff = compare_metadata(ctx, Base.metadata)
        db.session.remove()
        db.engine.dispose()
    assert diff == [], f"models and migrations differ: {diff}"


def test_upgrade_from_empty_on_sqlite(tmp_path):
    _upgrade_and_compare(f"sqlite:///{tmp_path}/fresh.db")


@pytest.mark.postgres
def test_upgrade_from_empty_on_postgresql():
    url = os.environ.get("TEST_DATABASE_URL", "")
    require_service(bool(url), "PostgreSQL tests need TEST_DATABASE_URL")
    schema = f"mig_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        sep = "&" if "?" in url else "?"
        _upgrade_and_compare(f"{url}{sep}options=-csearch_path%3D{schema}")
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def test_sms_numbers_stored_before_0007_are_encrypted_by_it(tmp_path):
    from dispatch.models import Message

    app = make_app(f"sqlite:///{tmp_path}/old.db")
    with app.app_context():
        upgrade(revision="0006")
        db.session.execute(
            text(
                "INSERT INTO message (direction, kind, to_number, from_number, body, status, "
                "attempts, created_at, updated_at) VALUES ('in', 'reply', '+3225550000', "
                "'+32470999111', :body, 'received', 0, '2026-01-01', '2026-01-01')"
            ),
            {"body": crypto.encrypt("hallo")},
        )
        db.session.commit()
        upgrade()
        raw = db.session.execute(text("SELECT to_number, from_number FROM message")).one()
        assert "+32470999111" not in raw.from_number and "+3225550000" not in raw.to_number
        message = db.session.execute(select(Message)).scalar_one()
        assert (message.from_number, message.to_number) == ("+32470999111", "+3225550000")
        db.session.remove()
        # Down and up again: plain numbers come back, then are encrypted once (not twice).
        downgrade(revision="0006")
        plain = db.session.execute(text("SELECT to_number, from_number FROM message")).one()
        assert tuple(plain) == ("+3225550000", "+32470999111")
        db.session.remove()
        upgrade()
        message = db.session.execute(select(Message)).scalar_one()
        assert (message.from_number, message.to_number) == ("+32470999111", "+3225550000")
        db.session.remove()
        db.engine.dispose()


def test_coordinates_stored_before_0009_are_encrypted_by_it(tmp_path):
    from triage.models import GeocodeCacheEntry, Incident

    app = make_app(f"sqlite:///{tmp_path}/old.db")
    with app.app_context():
        upgrade(revision="0008")
        db.session.execute(
            text(
                "INSERT INTO incident (reference, status, priority, received_at, lat, lon, "
                "location_quality, flags, requested_skills, restricted, legal_hold, created_at, "
                "updated_at) VALUES ('NW-2026-000001', 'new', 'P2', '2026-01-01', 51.230112, "
                "4.420267, 'exact', '[]', '[]', 0, 0, '2026-01-01', '2026-01-01')"
            )
        )
        db.session.execute(
            text(
                "INSERT INTO geocode_cache (address_index, backend, quality, lat, lon, created_at)"
                " VALUES ('k', 'offline', 'exact', 51.230112, 4.420267, '2026-01-01')"
            )
        )
        db.session.commit()
        upgrade(revision="0012")  # (0013 empties the geocode cache)
        for table in ("incident", "geocode_cache"):
            raw = db.session.execute(text(f"SELECT lat_secret, lon_secret FROM {table}")).one()
            assert "51.23" not in raw.lat_secret and "4.42" not in raw.lon_secret
        # Columns, not the whole row: later migrations add columns the model already has.
        incident = db.session.execute(
            select(Incident.lat, Incident.lon, Incident.lat_coarse, Incident.lon_coarse)
        ).one()
        assert (incident.lat, incident.lon) == (51.230112, 4.420267)
        assert (incident.lat_coarse, incident.lon_coarse) == (51.23, 4.42)
        cached = db.session.execute(select(GeocodeCacheEntry)).scalar_one()
        assert (cached.lat, cached.lon) == (51.230112, 4.420267)
        db.session.remove()
        downgrade(revision="0008")
        plain = db.session.execute(text("SELECT lat, lon FROM incident")).one()
        assert tuple(plain) == (51.230112, 4.420267)
        db.session.remove()
        db.engine.dispose()


def test_0011_carries_an_unkeyed_chain_over_to_the_keyed_one(tmp_path):
    import datetime as dt

    from core import audit
    from core.audit.chain import verify_chain

    app = make_app(f"sqlite:///{tmp_path}/old.db")
    with app.app_context():
        upgrade(revision="0010")
        previous = audit.GENESIS_HASH
        for n in range(3):  # written by the previous release: plain SHA-256
            event = audit.AuditEvent(
                occurred_at=dt.datetime(2026, 11, 1, 22, n, tzinfo=dt.UTC),
                action="view",
                object_type="incident",
                object_id=n + 1,
                username="an",
            )
            event.prev_hash, event.hash = previous, audit.unkeyed_hash(previous, event.canonical())
            previous = event.hash
            # Inserted by the columns of 0010 (the model has columns later revisions add).
            columns = ("occurred_at", "action", "object_type", "object_id", "username")
            values = {c: getattr(event, c) for c in (*columns, "prev_hash", "hash")}
            db.session.execute(audit.AuditEvent.__table__.insert().values(**values))
        db.session.execute(text("DELETE FROM audit_head"))
        db.session.add(audit.AuditHead(id=1, last_hash=previous, appended=3))
        db.session.commit()
        upgrade()
        carried = db.session.execute(select(audit.AuditCheckpoint)).scalar_one()
        assert carried.kind == "carry_over" and carried.signed() and carried.last_hash == previous
        audit.record("view", "incident", 4, username="an")  # keyed from here on
        db.session.commit()
        assert verify_chain().ok and verify_chain().events == 4
        # The unkeyed part is still pinned: rewriting it (recomputed with SHA-256) is caught.
        legacy = (
            db.session.execute(select(audit.AuditEvent).order_by(audit.AuditEvent.id).limit(3))
            .scalars()
            .all()
        )
        legacy[1].username = "iemand-anders"
        for before, event in zip(legacy, legacy[1:], strict=False):
            event.prev_hash = before.hash
            event.hash = audit.unkeyed_hash(event.prev_hash, event.canonical())
        db.session.commit()
        assert not verify_chain().ok
        db.session.remove()
        db.engine.dispose()


def test_0013_indexes_phones_and_addresses_again_each_under_its_own_key(tmp_path):
    import hashlib
    import hmac

    from core.phones import normalise_phone
    from triage.models import Incident

    app = make_app(f"sqlite:///{tmp_path}/old.db")
    master = app.config["BLIND_INDEX_KEY"].encode()

    def old_index(value: str) -> str:
        return hmac.new(master, value.encode(), hashlib.sha256).hexdigest()

    with app.app_context():
        upgrade(revision="0012")
        phone = normalise_phone("0470 12 34 56")
        db.session.execute(
            text(
                "INSERT INTO incident (reference, status, priority, received_at, caller_phone, "
                "caller_phone_index, address_normalised, address_index, location_quality, flags, "
                "requested_skills, restricted, legal_hold, created_at, updated_at) VALUES "
                "('NW-2026-000001', 'new', 'P2', '2026-01-01', :phone, :phone_index, :address, "
                ":address_index, 'street', '[]', '[]', 0, 0, '2026-01-01', '2026-01-01')"
            ),
            {
                "phone": crypto.encrypt(phone),
                "phone_index": old_index(phone),
                "address": crypto.encrypt("kiel 5 2020 antwerpen"),
                "address_index": old_index("kiel 5 2020 antwerpen"),
            },
        )
        db.session.commit()
        upgrade(revision="0013")  # (0019 indexes the address again, by its canonical key)
        # Columns, not the whole row: later migrations add columns the model already has.
        incident = db.session.execute(
            select(Incident.caller_phone_index, Incident.address_index)
        ).one()
        assert incident.caller_phone_index == crypto.blind_index(phone, purpose="phone")
        assert incident.address_index == crypto.blind_index(
            "kiel 5 2020 antwerpen", purpose="address"
        )
        assert incident.caller_phone_index != old_index(phone)
        # One value, two purposes: two unrelated indexes.
        assert crypto.blind_index(phone, purpose="phone") != crypto.blind_index(
            phone, purpose="address"
        )
        db.session.remove()
        db.engine.dispose()


def test_a_populated_sqlite_database_upgrades_to_the_head(tmp_path):
    """Batch migrations rebuild tables that others point at (users, incidents): with rows in
    them, as on any machine that ran `make run` before, the upgrade must still go through."""
    from triage.models import Incident

    app = make_app(f"sqlite:///{tmp_path}/lived-in.db")
    with app.app_context():
        upgrade(revision="0008")
        db.session.execute(
            text(
                "INSERT INTO organisation (id, slug, name, kind, receives_handover, created_at) "
                "VALUES (1, 'politie', 'Politie', 'police', 0, '2026-01-01')"
            )
        )
        db.session.execute(
            text(
                "INSERT INTO user_account (id, username, display_name, password_hash, role, "
                "organisation_id, active, session_version, totp_enabled, created_at) VALUES "
                "(1, 'an', 'An', 'x', 'dispatcher', 1, 1, 1, 0, '2026-01-01')"
            )
        )
        db.session.execute(
            text(
                "INSERT INTO incident (id, reference, status, priority, received_at, lat, lon, "
                "location_quality, flags, requested_skills, restricted, legal_hold, "
                "created_by_id, created_at, updated_at) VALUES (1, 'NW-2026-000001', 'new', "
                "'P2', '2026-01-01', 51.2301, 4.4202, 'exact', '[]', '[]', 0, 0, 1, "
                "'2026-01-01', '2026-01-01')"
            )
        )
        db.session.execute(text("INSERT INTO person (incident_id, role) VALUES (1, 'victim')"))
        db.session.commit()
        upgrade()
        incident = db.session.get(Incident, 1)
        assert incident.lat == 51.2301 and incident.created_by_id == 1
        assert len(incident.persons) == 1
        assert db.session.execute(text("PRAGMA foreign_key_check")).fetchall() == []
        db.session.remove()
        db.engine.dispose()


def test_0027_gives_each_incident_the_time_its_first_unit_was_sent(tmp_path):
    """The board's "since dispatch" timer moved onto the incident: incidents sent before the
    upgrade keep counting from their first assignment, never from a later one."""
    import datetime as dt

    from dispatch.models import Assignment, Unit
    from triage.models import Incident

    first = dt.datetime(2026, 11, 20, 23, 4, tzinfo=dt.UTC)
    app = make_app(f"sqlite:///{tmp_path}/sent.db")
    with app.app_context():
        upgrade()
        unit = Unit(call_sign="NT-11", phone="+32470000011")
        sent, unsent = Incident(reference="NW-2026-000001"), Incident(reference="NW-2026-000002")
        db.session.add_all([unit, sent, unsent])
        db.session.flush()
        db.session.add_all(
            Assignment(incident_id=sent.id, unit_id=unit.id, assigned_at=at)
            for at in (first + dt.timedelta(minutes=9), first)
        )
        db.session.commit()
        downgrade(revision="0026")
        upgrade()
        db.session.expire_all()
        assert db.session.get(Incident, sent.id).dispatched_at == first
        assert db.session.get(Incident, unsent.id).dispatched_at is None
        db.session.remove()
        db.engine.dispose()


def test_a_serving_process_does_not_load_the_migration_tooling():
    """Alembic (with Mako and Pygments) is for `flask db` only: about 8 MB of every server
    process's memory otherwise (issue 22); `flask db` and in-process upgrades still find it."""
    import subprocess
    import sys

    probe = (
        "import sys\n"
        "from tests.conftest import make_app\n"
        "make_app('sqlite://')\n"
        "print(sorted(m for m in ('alembic', 'flask_migrate', 'mako') if m in sys.modules))\n"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    ).stdout.strip()
    assert loaded == "[]"
