"""exact coordinates are case data: encrypt them; keep a coarse (about 1 km) plain copy

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 20:40:00

An incident's `lat`/`lon` locate a home. They move to encrypted `lat_secret`/`lon_secret`, with
`lat_coarse`/`lon_coarse` (two decimals) beside them for overviews and statistics. The geocode
cache's coordinates are encrypted the same way.

The plain values are emptied before their columns are dropped, but old row versions stay on
disk until PostgreSQL rewrites the tables: after upgrading run
`VACUUM FULL incident, geocode_cache;` and let backups and WAL from before the upgrade expire.
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def _move(table: str, *, coarse: bool, up: bool) -> None:
    """Copy plain lat/lon into the encrypted columns (up) or back (down)."""
    from core import crypto

    conn = op.get_bind()
    columns = [sa.column("id", sa.Integer)]
    columns += [sa.column(c, sa.Float) for c in ("lat", "lon")]
    columns += [sa.column(c, sa.Text) for c in ("lat_secret", "lon_secret")]
    if coarse:
        columns += [sa.column(c, sa.Float) for c in ("lat_coarse", "lon_coarse")]
    t = sa.table(table, *columns)
    if up:
        rows = conn.execute(sa.select(t.c.id, t.c.lat, t.c.lon)).fetchall()
        for row_id, lat, lon in rows:
            values = {
                "lat_secret": None if lat is None else crypto.encrypt(repr(float(lat))),
                "lon_secret": None if lon is None else crypto.encrypt(repr(float(lon))),
            }
            if coarse:
                values["lat_coarse"] = None if lat is None else round(lat, 2)
                values["lon_coarse"] = None if lon is None else round(lon, 2)
            # Emptied before the column goes: a dropped column's values stay in the row otherwise.
            values |= {"lat": None, "lon": None}
            conn.execute(t.update().where(t.c.id == row_id).values(**values))
        return
    rows = conn.execute(sa.select(t.c.id, t.c.lat_secret, t.c.lon_secret)).fetchall()
    for row_id, lat, lon in rows:
        conn.execute(
            t.update()
            .where(t.c.id == row_id)
            .values(
                lat=None if lat is None else float(crypto.decrypt(lat)),
                lon=None if lon is None else float(crypto.decrypt(lon)),
            )
        )


def upgrade():
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lat_secret", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("lon_secret", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("lat_coarse", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("lon_coarse", sa.Float(), nullable=True))
    with op.batch_alter_table("geocode_cache", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lat_secret", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("lon_secret", sa.Text(), nullable=True))
    _move("incident", coarse=True, up=True)
    _move("geocode_cache", coarse=False, up=True)
    for table in ("incident", "geocode_cache"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("lat")
            batch_op.drop_column("lon")


def downgrade():
    for table in ("incident", "geocode_cache"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("lat", sa.Float(), nullable=True))
            batch_op.add_column(sa.Column("lon", sa.Float(), nullable=True))
    _move("incident", coarse=True, up=False)
    _move("geocode_cache", coarse=False, up=False)
    with op.batch_alter_table("geocode_cache", schema=None) as batch_op:
        batch_op.drop_column("lon_secret")
        batch_op.drop_column("lat_secret")
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.drop_column("lon_coarse")
        batch_op.drop_column("lat_coarse")
        batch_op.drop_column("lon_secret")
        batch_op.drop_column("lat_secret")
