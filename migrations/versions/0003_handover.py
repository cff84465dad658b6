"""handover: a note version is corrected at most once (no forked histories)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25

"""
from alembic import op


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('handover_note', schema=None) as batch_op:
        batch_op.create_unique_constraint(
            batch_op.f('uq_handover_note_supersedes_id'), ['supersedes_id']
        )


def downgrade():
    with op.batch_alter_table('handover_note', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_handover_note_supersedes_id'), type_='unique')
