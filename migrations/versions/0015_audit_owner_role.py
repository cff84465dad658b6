"""PostgreSQL: the audit tables belong to their own role; the app may only add and read

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 22:10:00

`nachtwacht_audit_owner` (NOLOGIN) owns audit_event, audit_checkpoint and audit_head. The app
role (AUDIT_APP_ROLE, default: the role running this migration) keeps INSERT and SELECT on the
events and checkpoints and may move the head; it can no longer ALTER the tables or disable
their trigger. The append-only trigger no longer honours a session setting: a DELETE passes only
inside `audit_purge(upto)`, a SECURITY DEFINER function the retention calls (it stores the
signed checkpoint itself). Creating the role needs a superuser or CREATEROLE: run this upgrade
once with such a DATABASE_URL (README, "Audit roles"); without one it changes nothing and says so.
"""

import logging
import os

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

OWNER = "nachtwacht_audit_owner"
TABLES = ("audit_event", "audit_checkpoint", "audit_head")
log = logging.getLogger("alembic.runtime.migration")

TRIGGER_FUNCTION = f"""
CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_user = '{OWNER}' AND pg_trigger_depth() = 1 THEN
        RETURN OLD;  -- inside audit_purge(), the retention's prefix purge
    END IF;
    RAISE EXCEPTION 'audit_event is append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
"""

# search_path pinned to pg_catalog, then pg_temp last (listed, so it is not searched first),
# and the table named with its schema: a caller's temporary table cannot stand in for it.
PURGE_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_purge(upto integer) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE removed integer;
BEGIN
    DELETE FROM {schema}.audit_event WHERE id <= upto;
    GET DIAGNOSTICS removed = ROW_COUNT;
    RETURN removed;
END;
$$;
"""

OLD_TRIGGER_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('nachtwacht.audit_purge', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit_event is append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
"""


def _privileged(conn) -> bool:
    return bool(
        conn.execute(
            sa.text("SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user")
        ).scalar()
    )


def upgrade():
    conn = op.get_bind()
    if conn.dialect.name != "postgresql":
        return
    if not _privileged(conn):
        log.warning(
            "0015: %s needs a superuser or CREATEROLE; the audit tables stay the app role's "
            "(README: Audit roles)",
            OWNER,
        )
        return
    app_role = (
        os.environ.get("AUDIT_APP_ROLE") or conn.execute(sa.text("SELECT current_user")).scalar()
    )
    schema = conn.execute(sa.text("SELECT current_schema()")).scalar()
    conn.execute(
        sa.text(
            "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = "
            f"'{OWNER}') THEN CREATE ROLE {OWNER} NOLOGIN; END IF; END $$"
        )
    )
    conn.execute(sa.text(f'GRANT USAGE, CREATE ON SCHEMA "{schema}" TO {OWNER}'))
    for table in TABLES:
        conn.execute(sa.text(f'ALTER TABLE "{schema}".{table} OWNER TO {OWNER}'))
    conn.execute(sa.text(TRIGGER_FUNCTION))
    conn.execute(sa.text(f"ALTER FUNCTION audit_event_append_only() OWNER TO {OWNER}"))
    conn.execute(sa.text(PURGE_FUNCTION.format(schema=f'"{schema}"')))
    conn.execute(sa.text(f"ALTER FUNCTION audit_purge(integer) OWNER TO {OWNER}"))
    conn.execute(sa.text("REVOKE ALL ON FUNCTION audit_purge(integer) FROM PUBLIC"))
    conn.execute(sa.text(f'GRANT EXECUTE ON FUNCTION audit_purge(integer) TO "{app_role}"'))
    conn.execute(sa.text(f'GRANT SELECT, INSERT ON audit_event, audit_checkpoint TO "{app_role}"'))
    conn.execute(sa.text(f'GRANT SELECT, INSERT, UPDATE ON audit_head TO "{app_role}"'))
    for sequence in ("audit_event_id_seq", "audit_checkpoint_id_seq"):
        conn.execute(sa.text(f'GRANT USAGE, SELECT ON SEQUENCE {sequence} TO "{app_role}"'))


def downgrade():
    conn = op.get_bind()
    if conn.dialect.name != "postgresql" or not _privileged(conn):
        return
    owner = conn.execute(sa.text("SELECT current_user")).scalar()
    conn.execute(sa.text("DROP FUNCTION IF EXISTS audit_purge(integer)"))
    conn.execute(sa.text(OLD_TRIGGER_FUNCTION))
    for table in TABLES:
        conn.execute(sa.text(f'ALTER TABLE {table} OWNER TO "{owner}"'))
