"""canonical address keys and person keys for the incidents and persons stored before them

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 05:10:00

Every incident gets its canonical address key (`triage.canonical`, from its typed address and
its structured street, number, box and postcode, as intake builds it now), encrypted in
`address_key`, and `address_index` becomes that key's blind index (purpose "address_key"; it
was the normalised text's). Every person without keys gets its phone, name and phonetic keys
(`triage.keys.person_keys`). Anonymised incidents get no key: retention took it away.

Table-level statements with the columns named here, not the ORM models (which may carry
columns later migrations add). Runs in the app context, where the encryption and blind-index
keys are configured; rows go in batches by id, so a large database is not held in memory.
"""

import sqlalchemy as sa
from alembic import op

from core.db import BlindIndex, CaseText

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

BATCH = 1000

incident = sa.table(
    "incident",
    sa.column("id", sa.Integer),
    sa.column("address_text", CaseText()),
    sa.column("address_normalised", CaseText()),
    sa.column("address_street", CaseText()),
    sa.column("address_number", CaseText()),
    sa.column("address_box", CaseText()),
    sa.column("postcode", sa.String),
    sa.column("address_key", CaseText()),
    sa.column("address_index", BlindIndex()),
    sa.column("anonymised_at", sa.DateTime),
)
person = sa.table(
    "person",
    sa.column("id", sa.Integer),
    sa.column("name", CaseText()),
    sa.column("phone", CaseText()),
    sa.column("birth_year", sa.Integer),
)
person_key = sa.table(
    "person_key",
    sa.column("id", sa.Integer),
    sa.column("person_id", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("value", BlindIndex()),
)


def _batches(conn, table, columns, *where):
    """Rows of `table` in batches of BATCH, by id."""
    last = 0
    while True:
        rows = conn.execute(
            sa.select(*columns).where(table.c.id > last, *where).order_by(table.c.id).limit(BATCH)
        ).all()
        if not rows:
            return
        yield rows
        last = rows[-1].id


def _key(row) -> tuple[str | None, str | None]:
    from core import crypto
    from triage import canonical

    if row.anonymised_at is not None:
        return None, None
    key = canonical.canonical_key(
        row.address_text or row.address_normalised,
        street=row.address_street,
        number=row.address_number,
        box=row.address_box,
        postcode=row.postcode,
    )
    return key, crypto.blind_index(key, purpose="address_key")


def _rekey_incidents(conn) -> None:
    update = (
        incident.update()
        .where(incident.c.id == sa.bindparam("row_id"))
        .values(address_key=sa.bindparam("key"), address_index=sa.bindparam("index"))
    )
    columns = [c for c in incident.c if c.name not in ("address_key", "address_index")]
    for rows in _batches(conn, incident, columns):
        values = []
        for row in rows:
            key, index = _key(row)
            values.append({"row_id": row.id, "key": key, "index": index})
        conn.execute(update, values)


def _key_persons(conn) -> None:
    from triage.keys import person_keys

    keyed = sa.select(person_key.c.person_id).where(person_key.c.person_id == person.c.id)
    for rows in _batches(conn, person, list(person.c), ~sa.exists(keyed)):
        values = [
            {"person_id": row.id, "kind": kind, "value": value}
            for row in rows
            for kind, value in person_keys(row.name, row.birth_year, row.phone)
        ]
        if values:
            conn.execute(person_key.insert(), values)


def upgrade():
    conn = op.get_bind()
    _rekey_incidents(conn)
    _key_persons(conn)


def downgrade():
    """The normalised text's index again (what 0018's code matched by); the key is dropped.
    Person keys stay: 0018 has the table, and they are the same keys its intake writes."""
    from core import crypto

    conn = op.get_bind()
    update = (
        incident.update()
        .where(incident.c.id == sa.bindparam("row_id"))
        .values(address_key=None, address_index=sa.bindparam("index"))
    )
    columns = [incident.c.id, incident.c.address_normalised]
    for rows in _batches(conn, incident, columns):
        values = [
            {
                "row_id": row.id,
                "index": crypto.blind_index(row.address_normalised, purpose="address"),
            }
            for row in rows
        ]
        conn.execute(update, values)
