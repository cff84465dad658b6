"""persons across incidents, the canonical address key, protective orders, children, motives
and referrals

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 04:32:46

Tables only; 0019 fills the canonical address keys and the persons' keys of existing incidents.
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "person_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_person_record_created_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_record")),
    )
    op.create_table(
        "protective_order",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("subject_name", sa.Text(), nullable=True),
        sa.Column("subject_birth_year", sa.Integer(), nullable=True),
        sa.Column("subject_phone", sa.Text(), nullable=True),
        sa.Column("protected_persons", sa.Text(), nullable=False),
        sa.Column("address_text", sa.Text(), nullable=True),
        sa.Column("address_key", sa.Text(), nullable=True),
        sa.Column("address_index", sa.String(length=64), nullable=True),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_to", sa.DateTime(timezone=True), nullable=False),
        sa.Column("issuing_authority", sa.Text(), nullable=False),
        sa.Column("order_reference", sa.Text(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoke_reason", sa.Text(), nullable=True),
        sa.Column("revoked_by_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("restricted", sa.Boolean(), nullable=False),
        sa.Column("anonymised_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_protective_order_created_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["revoked_by_id"],
            ["user_account.id"],
            name=op.f("fk_protective_order_revoked_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_protective_order")),
    )
    with op.batch_alter_table("protective_order", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_protective_order_address_index"), ["address_index"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_protective_order_valid_to"), ["valid_to"], unique=False
        )

    op.create_table(
        "order_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["protective_order.id"],
            name=op.f("fk_order_key_order_id_protective_order"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_key")),
    )
    with op.batch_alter_table("order_key", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_order_key_order_id"), ["order_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_order_key_value"), ["value"], unique=False)

    op.create_table(
        "referral",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incident.id"], name=op.f("fk_referral_incident_id_incident")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["user_account.id"],
            name=op.f("fk_referral_recorded_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral")),
        sa.UniqueConstraint("incident_id", "kind", name=op.f("uq_referral_incident_id")),
    )
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_referral_incident_id"), ["incident_id"], unique=False)

    op.create_table(
        "person_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_person_key_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_key")),
    )
    with op.batch_alter_table("person_key", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_person_key_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_person_key_value"), ["value"], unique=False)

    op.create_table(
        "person_rejection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("other_person_id", sa.Integer(), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["user_account.id"],
            name=op.f("fk_person_rejection_decided_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["other_person_id"],
            ["person.id"],
            name=op.f("fk_person_rejection_other_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_person_rejection_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_rejection")),
        sa.UniqueConstraint(
            "person_id", "other_person_id", name=op.f("uq_person_rejection_person_id")
        ),
    )
    with op.batch_alter_table("person_rejection", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_person_rejection_other_person_id"), ["other_person_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_person_rejection_person_id"), ["person_id"], unique=False
        )

    with op.batch_alter_table("assessment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("victim_fear", sa.Text(), nullable=True))

    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.add_column(sa.Column("address_key", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("children", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("motives", sa.Text(), nullable=True))

    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.add_column(sa.Column("birth_year", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("record_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_person_record_id"), ["record_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_person_record_id_person_record"), "person_record", ["record_id"], ["id"]
        )


def downgrade():
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_person_record_id_person_record"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_person_record_id"))
        batch_op.drop_column("record_id")
        batch_op.drop_column("birth_year")

    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.drop_column("motives")
        batch_op.drop_column("children")
        batch_op.drop_column("address_key")

    with op.batch_alter_table("assessment", schema=None) as batch_op:
        batch_op.drop_column("victim_fear")

    with op.batch_alter_table("person_rejection", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_person_rejection_person_id"))
        batch_op.drop_index(batch_op.f("ix_person_rejection_other_person_id"))

    op.drop_table("person_rejection")
    with op.batch_alter_table("person_key", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_person_key_value"))
        batch_op.drop_index(batch_op.f("ix_person_key_person_id"))

    op.drop_table("person_key")
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_referral_incident_id"))

    op.drop_table("referral")
    with op.batch_alter_table("order_key", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_order_key_value"))
        batch_op.drop_index(batch_op.f("ix_order_key_order_id"))

    op.drop_table("order_key")
    with op.batch_alter_table("protective_order", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_protective_order_valid_to"))
        batch_op.drop_index(batch_op.f("ix_protective_order_address_index"))

    op.drop_table("protective_order")
    op.drop_table("person_record")
