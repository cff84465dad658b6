"""blind indexes per purpose: phones, addresses, names and login names each under their own key

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 21:50:00

The keys are derived from BLIND_INDEX_KEY with HKDF-SHA256 (`core.crypto.purpose_key`), so an
index of phone numbers can no longer be matched against one of addresses. Phones and addresses
of incidents and persons are indexed again from their encrypted values; the geocode cache, keyed
by the old address index, is emptied (it fills again). Audit events keep the hashes they were
written with.
"""

import hashlib
import hmac

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def _indexer(per_purpose: bool):
    from flask import current_app

    from core.crypto import purpose_key

    master = str(current_app.config["BLIND_INDEX_KEY"]).encode()

    def index(value: str | None, purpose: str) -> str | None:
        if not value:
            return None
        key = purpose_key(master, purpose) if per_purpose else master
        return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()

    return index


def _reindex(per_purpose: bool) -> None:
    from core.phones import normalise_phone
    from triage.models import Incident, Person

    conn = op.get_bind()
    index = _indexer(per_purpose)
    incidents = Incident.__table__
    rows = conn.execute(
        sa.select(incidents.c.id, incidents.c.caller_phone, incidents.c.address_normalised)
    ).all()
    for row in rows:
        phone = normalise_phone(row.caller_phone) if row.caller_phone else None
        conn.execute(
            incidents.update()
            .where(incidents.c.id == row.id)
            .values(
                caller_phone_index=index(phone, "phone"),
                address_index=index(row.address_normalised, "address"),
            )
        )
    persons = Person.__table__
    for row in conn.execute(sa.select(persons.c.id, persons.c.phone)).all():
        phone = normalise_phone(row.phone) if row.phone else None
        conn.execute(
            persons.update().where(persons.c.id == row.id).values(phone_index=index(phone, "phone"))
        )
    conn.execute(sa.text("DELETE FROM geocode_cache"))


def upgrade():
    _reindex(per_purpose=True)


def downgrade():
    _reindex(per_purpose=False)
