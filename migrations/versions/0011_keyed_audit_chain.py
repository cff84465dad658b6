"""audit: the chain is keyed with AUDIT_KEY from here on; checkpoints are signed

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 21:30:00

Events written before this revision were chained with plain SHA-256, which anyone with write
access to the database could recompute. They stay as they are and are verified as before, up to
a `carry_over` checkpoint that this migration signs with AUDIT_KEY at the last of them: the
unkeyed chain must end exactly there, and every later event carries an HMAC under AUDIT_KEY.
Existing purge checkpoints are signed too. The migration refuses to run when the existing chain
does not verify (run `flask --app wsgi audit verify` on the previous release first).
"""

import hashlib
import hmac

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

GENESIS = "0" * 64
EVENT_COLUMNS = [
    "occurred_at",
    "user_id",
    "username",
    "role",
    "organisation",
    "token_name",
    "action",
    "object_type",
    "object_id",
    "object_ids",
    "request_id",
    "client_addr",
]


def _key() -> str:
    from flask import current_app

    return str(current_app.config["AUDIT_KEY"])


def _sign(kind: str, last_event_id: int, last_hash: str, purged_total: int) -> str:
    payload = f"checkpoint:{kind}:{last_event_id}:{last_hash}:{purged_total}"
    return hmac.new(_key().encode(), payload.encode(), hashlib.sha256).hexdigest()


def _canonical(row) -> str:
    from core.audit import AuditEvent

    event = AuditEvent(**{name: getattr(row, name) for name in EVENT_COLUMNS})
    return event.canonical()


def upgrade():
    with op.batch_alter_table("audit_checkpoint", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=16), server_default="purge", nullable=False)
        )
        batch_op.add_column(sa.Column("signature", sa.String(length=64), nullable=True))
    conn = op.get_bind()
    checkpoints = sa.table(
        "audit_checkpoint",
        sa.column("id", sa.Integer),
        sa.column("kind", sa.String),
        sa.column("created_at", sa.DateTime),
        sa.column("last_event_id", sa.Integer),
        sa.column("last_hash", sa.String),
        sa.column("purged_total", sa.Integer),
        sa.column("signature", sa.String),
    )
    latest = None
    for cp in conn.execute(sa.select(checkpoints).order_by(checkpoints.c.last_event_id)).all():
        signature = _sign("purge", cp.last_event_id, cp.last_hash, cp.purged_total)
        conn.execute(
            checkpoints.update().where(checkpoints.c.id == cp.id).values(signature=signature)
        )
        latest = cp
    from core.audit import AuditEvent

    events = AuditEvent.__table__
    expected = latest.last_hash if latest else GENESIS
    last_id = latest.last_event_id if latest else 0
    # The columns of this revision by name: the model may carry columns later ones add.
    columns = [events.c[name] for name in ("id", "prev_hash", "hash", *EVENT_COLUMNS)]
    rows = conn.execute(
        sa.select(*columns).where(events.c.id > last_id).order_by(events.c.id)
    ).all()
    for row in rows:
        made = hashlib.sha256((row.prev_hash + _canonical(row)).encode()).hexdigest()
        if row.prev_hash != expected or made != row.hash:
            raise RuntimeError(
                f"audit event {row.id} does not verify: the chain was broken before this upgrade"
            )
        expected, last_id = row.hash, row.id
    if rows:
        total = latest.purged_total if latest else 0
        conn.execute(
            checkpoints.insert().values(
                kind="carry_over",
                created_at=sa.func.now(),
                last_event_id=last_id,
                last_hash=expected,
                purged_total=total,
                signature=_sign("carry_over", last_id, expected, total),
            )
        )


def downgrade():
    conn = op.get_bind()
    conn.execute(sa.text("DELETE FROM audit_checkpoint WHERE kind = 'carry_over'"))
    with op.batch_alter_table("audit_checkpoint", schema=None) as batch_op:
        batch_op.drop_column("signature")
        batch_op.drop_column("kind")
