"""assignment crew: officers reach an incident through the crew of its assignments

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 19:20:00

Existing assignments get the unit's current members as their crew (the best record there is).
"""

from alembic import op
import sqlalchemy as sa


revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "assignment_crew",
        sa.Column("assignment_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assignment_id"],
            ["assignment.id"],
            name=op.f("fk_assignment_crew_assignment_id_assignment"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_assignment_crew_user_id_user_account")
        ),
        sa.PrimaryKeyConstraint("assignment_id", "user_id", name=op.f("pk_assignment_crew")),
    )
    with op.batch_alter_table("assignment_crew", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_assignment_crew_user_id"), ["user_id"], unique=False
        )
    op.execute(
        "INSERT INTO assignment_crew (assignment_id, user_id) "
        "SELECT assignment.id, unit_member.user_id FROM assignment "
        "JOIN unit_member ON unit_member.unit_id = assignment.unit_id"
    )


def downgrade():
    with op.batch_alter_table("assignment_crew", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assignment_crew_user_id"))
    op.drop_table("assignment_crew")
