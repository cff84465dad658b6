"""the incident point's accuracy radius (encrypted), when the fix was made and who gave it

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 06:30:09

"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("incident") as batch:
        batch.add_column(sa.Column("location_accuracy_m", sa.Text(), nullable=True))
        batch.add_column(sa.Column("location_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("location_source", sa.String(length=16), nullable=True))


def downgrade():
    with op.batch_alter_table("incident") as batch:
        batch.drop_column("location_source")
        batch.drop_column("location_at")
        batch.drop_column("location_accuracy_m")
