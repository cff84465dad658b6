"""structured address for the unit's SMS, access notes apart from the address

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 21:10:00

The assignment SMS sends the geocoder's street with the typed house number and box, never the
typed address text; how to get in ("bellen bij …") has its own field, read by the crew only.
Incidents taken before this revision have no structured street: their SMS names the postcode
and district until the address is edited.
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.add_column(sa.Column("address_street", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("address_number", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("address_box", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("access_notes", sa.Text(), nullable=True))
    with op.batch_alter_table("geocode_cache", schema=None) as batch_op:
        batch_op.add_column(sa.Column("street", sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table("geocode_cache", schema=None) as batch_op:
        batch_op.drop_column("street")
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.drop_column("access_notes")
        batch_op.drop_column("address_box")
        batch_op.drop_column("address_number")
        batch_op.drop_column("address_street")
