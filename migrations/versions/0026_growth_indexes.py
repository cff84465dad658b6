"""a year of data: small partial indexes for the open queue, the active assignments and the
outbox, so the board, recommendations and the SMS sender stay flat as history grows

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07 17:46:33

With a year loaded (200,000 incidents, 190,000 assignments, 490,000 SMS) each of these reads
was a sequential scan of its whole table for the handful of rows still open.
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

INDEXES = (
    ("incident", "ix_incident_open", ["priority", "received_at", "id"], "status <> 'closed'"),
    ("assignment", "ix_assignment_active", ["unit_id"], "status = 'active'"),
    ("message", "ix_message_pending", ["id"], "status = 'pending'"),
)


def upgrade():
    for table, name, columns, where in INDEXES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(
                name,
                columns,
                unique=False,
                postgresql_where=sa.text(where),
                sqlite_where=sa.text(where),
            )


def downgrade():
    for table, name, _, where in reversed(INDEXES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(name, postgresql_where=sa.text(where), sqlite_where=sa.text(where))
