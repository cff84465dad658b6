"""SMS phone numbers are case data: an unknown sender may be a victim; encrypt them at rest

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25

"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

message = sa.table(
    "message",
    sa.column("id", sa.Integer),
    sa.column("to_number", sa.Text),
    sa.column("from_number", sa.Text),
)


def _convert(transform) -> None:
    """Rewrite every stored number with `transform` (encrypt on upgrade, decrypt on downgrade)."""
    conn = op.get_bind()
    rows = conn.execute(sa.select(message.c.id, message.c.to_number, message.c.from_number))
    for row_id, to_number, from_number in rows.fetchall():
        conn.execute(
            message.update()
            .where(message.c.id == row_id)
            .values(
                to_number=transform(to_number) if to_number is not None else None,
                from_number=transform(from_number) if from_number is not None else None,
            )
        )


def _encrypt_once(value: str) -> str:
    """Encrypt a plain number; leave one that is already ciphertext (a re-run) as it is."""
    from core import crypto

    try:
        crypto.decrypt(value)
    except crypto.CryptoError:
        return crypto.encrypt(value)
    return value


def upgrade():

    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.alter_column(
            "to_number",
            existing_type=sa.String(length=32),
            type_=sa.Text(),
            existing_nullable=False,
        )
        batch_op.alter_column(
            "from_number",
            existing_type=sa.String(length=32),
            type_=sa.Text(),
            existing_nullable=True,
        )
    _convert(_encrypt_once)


def downgrade():
    from core import crypto

    _convert(crypto.decrypt)
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.alter_column(
            "from_number",
            existing_type=sa.Text(),
            type_=sa.String(length=32),
            existing_nullable=True,
        )
        batch_op.alter_column(
            "to_number",
            existing_type=sa.Text(),
            type_=sa.String(length=32),
            existing_nullable=False,
        )
