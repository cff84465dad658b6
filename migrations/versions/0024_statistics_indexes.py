"""statistics: an index on incident.created_at, a partial index of escalation timeline lines,
and the unit's first en route / on scene report on its assignment

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07 15:00:00

The two new assignment columns are filled from the timeline's `unit.status` lines: the unit's
first en route (on scene) report on the incident during the assignment, as the statistics
read it until now.
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

ESCALATION = sa.text("kind LIKE 'escalation.%'")
FIRST_REPORT = """
UPDATE assignment SET {column} = (
    SELECT min(e.occurred_at) FROM status_event e
    WHERE e.incident_id = assignment.incident_id AND e.unit_id = assignment.unit_id
      AND e.kind = 'unit.status' AND e.to_state = '{state}'
      AND e.occurred_at >= assignment.assigned_at
      AND (assignment.ended_at IS NULL OR e.occurred_at <= assignment.ended_at)
)
"""


def upgrade():
    with op.batch_alter_table("assignment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("en_route_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("on_scene_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(FIRST_REPORT.format(column="en_route_at", state="en_route"))
    op.execute(FIRST_REPORT.format(column="on_scene_at", state="on_scene"))
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_incident_created_at"), ["created_at"], unique=False)
    with op.batch_alter_table("status_event", schema=None) as batch_op:
        batch_op.create_index(
            "ix_status_event_escalation",
            ["incident_id"],
            unique=False,
            postgresql_where=ESCALATION,
            sqlite_where=ESCALATION,
        )


def downgrade():
    with op.batch_alter_table("status_event", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_status_event_escalation", postgresql_where=ESCALATION, sqlite_where=ESCALATION
        )
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incident_created_at"))
    with op.batch_alter_table("assignment", schema=None) as batch_op:
        batch_op.drop_column("on_scene_at")
        batch_op.drop_column("en_route_at")
