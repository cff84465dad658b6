"""`flask --app wsgi keys rotate`: re-encrypt every case-data value under the newest key.

Works in batches per column, commits each batch (resumable), and skips values already under
the newest key (idempotent). Afterwards older keys can be removed from FIELD_ENCRYPTION_KEYS.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import click
from cryptography.fernet import Fernet, InvalidToken
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import column, select, table, update

from core import crypto
from core.db import ENCRYPTED_TYPES, Base, db
from core.progress import progress

BATCH = 500


def encrypted_columns() -> Iterator[tuple[str, str, str]]:
    """(table, primary key, column) for every column stored through the encrypted types."""
    for tbl in Base.metadata.sorted_tables:
        pk = tbl.primary_key.columns.values()
        for col in tbl.columns:
            if isinstance(col.type, ENCRYPTED_TYPES) and len(pk) == 1:
                yield tbl.name, pk[0].name, col.name


def _is_current(token: str, newest: Fernet) -> bool:
    try:
        newest.decrypt(token.encode())
        return True
    except InvalidToken:
        return False


def rotate_column(
    table_name: str,
    pk_name: str,
    column_name: str,
    newest: Fernet,
    step: Callable[[int], None] | None = None,
) -> tuple[int, int]:
    """Re-encrypt one column in committed batches; returns (rotated, already current)."""
    raw = table(table_name, column(pk_name), column(column_name))  # untyped: the stored tokens
    pk, value = raw.c[pk_name], raw.c[column_name]
    rotated = current = 0
    last = None
    while True:
        stmt = select(pk, value).where(value.isnot(None)).order_by(pk).limit(BATCH)
        rows = db.session.execute(stmt if last is None else stmt.where(pk > last)).all()
        if not rows:
            return rotated, current
        for key, token in rows:
            if _is_current(token, newest):
                current += 1
                continue
            db.session.execute(
                update(raw).where(pk == key).values({column_name: crypto.rotate(token)})
            )
            rotated += 1
        db.session.commit()
        if step is not None:
            step(len(rows))
        last = rows[-1][0]


keys_cli = AppGroup("keys", help="Keys: generate a set, rotate the field key.")


@keys_cli.command("generate")
def generate_command() -> None:
    """Print a fresh set of keys for the environment file (nothing is stored)."""
    from config import generate_keys

    for name, value in generate_keys().items():
        click.echo(f"{name}={value}")


@keys_cli.command("rotate")
def rotate_command() -> None:
    """Re-encrypt all case data under the newest key (the first in FIELD_ENCRYPTION_KEYS)."""
    newest = Fernet(current_app.config["FIELD_ENCRYPTION_KEYS"][0].encode())
    total_rotated = total_current = 0
    for table_name, pk_name, column_name in encrypted_columns():
        with progress(f"keys rotate {table_name}.{column_name}", every=BATCH * 10) as step:
            rotated, current = rotate_column(table_name, pk_name, column_name, newest, step)
        total_rotated, total_current = total_rotated + rotated, total_current + current
        if rotated or current:
            click.echo(
                f"{table_name}.{column_name}: {rotated} re-encrypted, {current} already current"
            )
    click.echo(f"keys rotate: {total_rotated} values re-encrypted, {total_current} already current")
