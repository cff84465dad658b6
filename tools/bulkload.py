"""Bulk loads into PostgreSQL with COPY: the scaffold the benchmarks' year loaders share.

While the rows go in, the tables' secondary indexes (the `ix_` ones) are dropped and rebuilt
after (building an index once is far cheaper than updating it per row), and the session runs in
replica mode, which skips the foreign-key triggers: the loaders' rows are consistent by
construction. Afterwards the id sequences move on past the loaded rows and ANALYZE gives the
planner the tables' new sizes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import text


@contextmanager
def bulk_cursor(engine, tables: Iterable[str]) -> Iterator[Any]:
    """A raw psycopg cursor for COPY into `tables`: their `ix_` indexes dropped for the block
    and rebuilt after it, foreign-key triggers off; committed when the block ends."""
    raw = engine.raw_connection()
    try:
        with raw.cursor() as cur:
            cur.execute("SET session_replication_role = replica")
            indexes = cur.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()"
                " AND tablename = ANY(%s) AND indexname LIKE 'ix\\_%%'",
                (list(tables),),
            ).fetchall()
            for name, _ in indexes:
                cur.execute(f"DROP INDEX {name}")
            yield cur
            for _, definition in indexes:
                cur.execute(definition)
            cur.execute("SET session_replication_role = DEFAULT")
        raw.commit()
    finally:
        raw.close()


def copy_rows(cur, table: str, columns: Iterable[str], rows: Iterable[tuple]) -> int:
    """COPY rows (tuples; psycopg adapts dates, booleans and NULLs) into a table; how many."""
    n = 0
    with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            n += 1
    return n


def copy_text(cur, table: str, columns: Iterable[str], lines: list[str], batch: int = 20_000):
    """COPY lines already in COPY's text format (tab-separated, newline-ended) into a table."""
    with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for start in range(0, len(lines), batch):
            copy.write("".join(lines[start : start + batch]))


def finish(engine, tables_with_ids: Iterable[str]) -> None:
    """Move each table's id sequence past its rows, then ANALYZE (the planner sees the sizes)."""
    with engine.begin() as conn:
        for table in tables_with_ids:
            conn.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )
            )
        conn.execute(text("ANALYZE"))
