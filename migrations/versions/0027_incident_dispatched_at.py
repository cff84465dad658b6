"""incident.dispatched_at: when a unit was first assigned, kept on the incident

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-07 21:00:21

The board's "since dispatch" timer was asked of the assignments (min(assigned_at)) on every
published incident update and every board read; the first assignment now writes it on the
incident, in the UPDATE that moves it to dispatched. Existing incidents get it from their
assignments.
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dispatched_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(
        "UPDATE incident SET dispatched_at = "
        "(SELECT min(assignment.assigned_at) FROM assignment "
        "WHERE assignment.incident_id = incident.id)"
    )


def downgrade():
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.drop_column("dispatched_at")
