"""the weekly triage-table list: one per Veilig Huis organisation per week, and its cases

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 14:27:24

New tables only (no existing rows, so no server defaults are needed); the unique
(organisation_id, week_start) makes each list built exactly once.
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "triage_list",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("window_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_by_id", sa.Integer(), nullable=True),
        sa.Column("picked_up_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("picked_up_by_id", sa.Integer(), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by_id", sa.Integer(), nullable=True),
        sa.Column("purged_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["acknowledged_by_id"],
            ["user_account.id"],
            name=op.f("fk_triage_list_acknowledged_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_triage_list_organisation_id_organisation"),
        ),
        sa.ForeignKeyConstraint(
            ["picked_up_by_id"],
            ["user_account.id"],
            name=op.f("fk_triage_list_picked_up_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["sent_by_id"], ["user_account.id"], name=op.f("fk_triage_list_sent_by_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_triage_list")),
        sa.UniqueConstraint(
            "organisation_id", "week_start", name=op.f("uq_triage_list_organisation_id")
        ),
    )
    op.create_table(
        "triage_list_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("list_id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("legal_basis", sa.String(length=32), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("added_by_id", sa.Integer(), nullable=True),
        sa.Column("added_reason", sa.Text(), nullable=True),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("removed_by_id", sa.Integer(), nullable=True),
        sa.Column("removed_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["added_by_id"],
            ["user_account.id"],
            name=op.f("fk_triage_list_entry_added_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incident.id"], name=op.f("fk_triage_list_entry_incident_id_incident")
        ),
        sa.ForeignKeyConstraint(
            ["list_id"], ["triage_list.id"], name=op.f("fk_triage_list_entry_list_id_triage_list")
        ),
        sa.ForeignKeyConstraint(
            ["removed_by_id"],
            ["user_account.id"],
            name=op.f("fk_triage_list_entry_removed_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_triage_list_entry")),
        sa.UniqueConstraint("list_id", "incident_id", name=op.f("uq_triage_list_entry_list_id")),
    )
    with op.batch_alter_table("triage_list_entry", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_triage_list_entry_incident_id"), ["incident_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_triage_list_entry_list_id"), ["list_id"], unique=False)


def downgrade():
    with op.batch_alter_table("triage_list_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_triage_list_entry_list_id"))
        batch_op.drop_index(batch_op.f("ix_triage_list_entry_incident_id"))

    op.drop_table("triage_list_entry")
    op.drop_table("triage_list")
