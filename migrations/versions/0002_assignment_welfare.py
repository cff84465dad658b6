"""assignment: last update and welfare check times

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25

"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('assignment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_update_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('welfare_checked_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('assignment', schema=None) as batch_op:
        batch_op.drop_column('welfare_checked_at')
        batch_op.drop_column('last_update_at')
