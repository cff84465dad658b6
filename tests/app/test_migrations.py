"""Migrations: one head, upgrade from empty on SQLite and PostgreSQL, and they match the models."""

from __future__ import annotations

import os
import uuid

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import upgrade
from sqlalchemy import create_engine, inspect, select, text

from app.audit import AuditHead
from app.db import Base, db
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
