"""second factor: a TOTP code works once (last accepted step), backoff on wrong codes

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 21:40:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("totp_last_step", sa.BigInteger(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "second_factor_failures", sa.Integer(), server_default="0", nullable=False
            )
        )
        batch_op.add_column(
            sa.Column("second_factor_wait_until", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade():
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_column("second_factor_wait_until")
        batch_op.drop_column("second_factor_failures")
        batch_op.drop_column("totp_last_step")
