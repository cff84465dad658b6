"""the reason a user states for a read (a search) in the audit trail

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 05:40:00

The column joins the hashed content only when set, so every earlier event keeps its hash. On
PostgreSQL set up by 0015 the audit tables belong to `nachtwacht_audit_owner`: run this upgrade
once as the administrator, like 0015 (README: Audit roles); the service's own role is told so.
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def _may_alter(conn) -> bool:
    """Whether the connected role may change audit_event (it owns it, or is a superuser)."""
    if conn.dialect.name != "postgresql":
        return True
    return bool(
        conn.execute(
            sa.text(
                "SELECT pg_has_role(current_user, tableowner, 'USAGE') OR "
                "(SELECT rolsuper FROM pg_roles WHERE rolname = current_user) "
                "FROM pg_tables WHERE tablename = 'audit_event' AND schemaname = current_schema()"
            )
        ).scalar()
    )


def upgrade():
    if not _may_alter(op.get_bind()):
        raise RuntimeError(
            "0020 adds audit_event.reason, and the audit tables belong to their owner role: "
            "run `flask db upgrade` once as the administrator (README: Audit roles)"
        )
    op.add_column("audit_event", sa.Column("reason", sa.String(length=200), nullable=True))


def downgrade():
    with op.batch_alter_table("audit_event") as batch:
        batch.drop_column("reason")
