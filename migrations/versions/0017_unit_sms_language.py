"""a unit's SMS language, the accuracy of its last shared position, the danger told by SMS

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 02:40:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("unit") as batch:
        batch.add_column(
            sa.Column("sms_language", sa.String(length=2), server_default="nl", nullable=False)
        )
        batch.add_column(sa.Column("position_accuracy_m", sa.Float(), nullable=True))
    with op.batch_alter_table("assignment") as batch:
        batch.add_column(sa.Column("danger_sent", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("assignment") as batch:
        batch.drop_column("danger_sent")
    with op.batch_alter_table("unit") as batch:
        batch.drop_column("position_accuracy_m")
        batch.drop_column("sms_language")
