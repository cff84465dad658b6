"""AML location reports (held or attached to a call); an incident's exercise mark and the id of
the EIDO it was created from

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 11:20:23

"""

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "aml_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("phone_index", sa.String(length=64), nullable=True),
        sa.Column("lat", sa.Text(), nullable=False),
        sa.Column("lon", sa.Text(), nullable=False),
        sa.Column("radius_m", sa.Text(), nullable=True),
        sa.Column("located_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("confidence", sa.Integer(), nullable=True),
        sa.Column("method", sa.String(length=16), nullable=True),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("applied", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incident.id"],
            name=op.f("fk_aml_report_incident_id_incident"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_aml_report")),
        sa.UniqueConstraint("digest", name=op.f("uq_aml_report_digest")),
    )
    with op.batch_alter_table("aml_report") as batch:
        batch.create_index(batch.f("ix_aml_report_incident_id"), ["incident_id"], unique=False)
        batch.create_index(batch.f("ix_aml_report_phone_index"), ["phone_index"], unique=False)
        batch.create_index(batch.f("ix_aml_report_received_at"), ["received_at"], unique=False)
    with op.batch_alter_table("incident") as batch:
        batch.add_column(
            sa.Column("exercise", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("eido_id", sa.String(length=255), nullable=True))
        batch.create_unique_constraint(batch.f("uq_incident_eido_id"), ["eido_id"])


def downgrade():
    with op.batch_alter_table("incident") as batch:
        batch.drop_constraint(batch.f("uq_incident_eido_id"), type_="unique")
        batch.drop_column("eido_id")
        batch.drop_column("exercise")
    with op.batch_alter_table("aml_report") as batch:
        batch.drop_index(batch.f("ix_aml_report_received_at"))
        batch.drop_index(batch.f("ix_aml_report_phone_index"))
        batch.drop_index(batch.f("ix_aml_report_incident_id"))
    op.drop_table("aml_report")
