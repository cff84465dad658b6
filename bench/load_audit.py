"""A year of audit events bulk-loaded with COPY (psycopg 3), chained under AUDIT_KEY.

`load_audit_events(conn, n, start, end)` appends n events spread over [start, end) after the
chain's head: realistic actions and object types (mostly views and lists of incidents by the
demo users, some searches with their stated reason, logins, updates, the retention's own
anonymisations), each event's `prev_hash` and `hash` computed exactly as `core.audit.record`
computes them (`canonical_of`, `chain_hash`), and the head moved to the last one, so
`flask audit verify` passes afterwards. The head row stays locked while the events are copied.

    python bench/load_audit.py --url postgresql+psycopg://.../db [--events 2000000] [--days 365]
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import hmac
import json
import random
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.audit import CONTENT, GENESIS_HASH, canonical_of  # noqa: E402

CHUNK = 50_000  # events drawn, chained and copied at a time
# (weight, action, object type, how the object is named: one id, a list, none)
ACTIONS: tuple[tuple[int, str, str | None, str], ...] = (
    (46, "view", "incident", "one"),
    (12, "list", "incident", "many"),
    (8, "update", "incident", "one"),
    (5, "view", "handover_note", "one"),
    (4, "list", "message", "many"),
    (3, "list", "handover_note", "many"),
    (3, "update", "assignment", "one"),
    (3, "create", "message", "one"),
    (2, "search", "incident_by_person", "none"),
    (2, "view", "trajectory", "one"),
    (2, "login", "user", "actor"),
    (2, "logout", "user", "actor"),
    (2, "anonymise", "incident", "one"),
    (1, "list", "protective_order", "many"),
    (1, "export", "statistics", "none"),
    (1, "view", "handover_packet", "one"),
    (1, "priority_override", "incident", "one"),
    (1, "login_failed", "user", "none"),
    (1, "update", "referral", "one"),
)
REASONS = ("opvolging dossier", "herhaalde oproep", "vraag parket", "controle supervisor")


def _driver(conn: Any) -> Any:
    """The psycopg connection behind a SQLAlchemy Connection, a pool proxy, or itself."""
    for attribute in ("driver_connection", "connection"):
        inner = getattr(conn, attribute, None)
        if inner is not None and inner is not conn:
            return _driver(inner)
    return conn


def _hasher(key: str) -> Callable[[str], str]:
    state = hmac.new(key.encode(), digestmod=hashlib.sha256)

    def made(message: str) -> str:
        copy = state.copy()
        copy.update(message.encode())
        return copy.hexdigest()

    return made


def _actors(cur) -> list[tuple[Any, ...]]:
    """The users the events are by (id, username, role, organisation slug); the retention's
    own events name no user."""
    found = cur.execute(
        "SELECT u.id, u.username, u.role, o.slug FROM user_account u"
        " LEFT JOIN organisation o ON o.id = u.organisation_id ORDER BY u.id"
    ).fetchall()
    return [tuple(row) for row in found] or [(None, "dispatcher", "dispatcher", None)]


def _moments(
    n: int, start: dt.datetime, end: dt.datetime, rng: random.Random
) -> Iterator[dt.datetime]:
    """n sorted moments spread over [start, end), drawn as they are used (memory stays flat)."""
    start = start.astimezone(dt.UTC)  # the moment's text is the canonical one
    span = (end - start).total_seconds()
    step = span / max(1, n)
    for i in range(n):  # one slot per event, a random point inside it: sorted by construction
        at = start + dt.timedelta(seconds=step * (i + rng.random() * 0.999))
        yield at if at < end else end - dt.timedelta(microseconds=1)


POOL = 8192  # event shapes drawn once (who, what, which list, from where); ids vary per event
SENTINEL_ID, SENTINEL_RID = 987_654_321_987, "request-id-sentinel"
SENTINEL_AT = dt.datetime(1111, 11, 11, 11, 11, 11, 111111, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Shape:
    """An event's fixed content: its canonical JSON with slots for the object id (when drawn per
    event), the moment and the request id, and its COPY columns after those."""

    values: tuple[Any, ...]  # CONTENT, object_id and request_id still to fill in
    reason: str | None
    random_id: bool
    fmt: str  # canonical JSON, %(o)s %(a)s %(r)s for object id, moment, request id
    tail: str  # the COPY text of STATIC_COLUMNS


STATIC_COLUMNS = ("reason", *(name for name in CONTENT if name not in ("object_id", "request_id")))
COPY_COLUMNS = (
    "id",
    "occurred_at",
    "prev_hash",
    "hash",
    "object_id",
    "request_id",
    *STATIC_COLUMNS,
)


def _draw_shape(rng: random.Random, actors: list[tuple[Any, ...]], incidents: int) -> Shape:
    """One event shape: an action on an object by an actor (the retention names no user)."""
    [(_, action, object_type, naming)] = rng.choices(ACTIONS, [a[0] for a in ACTIONS])
    user_id, username, role, organisation = rng.choice(actors)
    object_id: int | None = SENTINEL_ID if naming == "one" else None
    object_ids = None
    if naming == "many":
        first = rng.randint(1, incidents)
        object_ids = list(range(first, min(incidents, first + rng.randint(1, 25)) + 1))
    elif naming == "actor":
        object_id = user_id
    reason = rng.choice(REASONS) if action == "search" else None
    client: str | None = f"10.20.{rng.randint(0, 15)}.{rng.randint(2, 250)}"
    rid: str | None = SENTINEL_RID
    if action == "anonymise":
        user_id, username, role, organisation, client, rid = (None,) * 6
    token = "koppeling-cad" if rng.random() < 0.03 else None
    values = (user_id, username, role, organisation, token, action, object_type, object_id)
    values += (object_ids, rid, client)
    fmt = canonical_of(SENTINEL_AT, reason, values).replace("%", "%%")
    fmt = fmt.replace(f":{SENTINEL_ID},", ":%(o)s,")
    fmt = fmt.replace(f'"{SENTINEL_RID}"', '"%(r)s"')
    fmt = fmt.replace(SENTINEL_AT.isoformat(), "%(a)s")
    named = dict(zip(CONTENT, values, strict=True)) | {"reason": reason}
    named["object_ids"] = None if object_ids is None else json.dumps(object_ids)
    parts = [None if named[c] is None else str(named[c]) for c in STATIC_COLUMNS]
    assert not any(set(p or "") & set("\\\t\n") for p in parts)  # nothing COPY would escape
    tail = "\t".join("\\N" if p is None else p for p in parts)
    return Shape(values, reason, naming == "one", fmt, tail)


def _shapes(rng: random.Random, actors: list[tuple[Any, ...]], incidents: int) -> list[Shape]:
    return [_draw_shape(rng, actors, incidents) for _ in range(POOL)]


def _filled(shape: Shape, object_id: int | None, request: str | None) -> tuple[Any, ...]:
    values = list(shape.values)
    values[CONTENT.index("object_id")] = object_id
    values[CONTENT.index("request_id")] = request
    return tuple(values)


def _lock_head(cur) -> tuple[str, int]:
    head = cur.execute("SELECT last_hash, appended FROM audit_head WHERE id = 1 FOR UPDATE")
    row = head.fetchone()
    if row is None:
        cur.execute(
            "INSERT INTO audit_head (id, last_hash, appended) VALUES (1, %s, 0)", [GENESIS_HASH]
        )
        return GENESIS_HASH, 0
    return row[0], int(row[1])


def _copy_chunk(cur, shapes, moments, numbers, last_hash, made, draw, incidents) -> str:
    """COPY one chunk of events (text format, a line each); the last hash."""
    lines = []
    for number in numbers:
        at, shape = next(moments), shapes[int(draw() * POOL)]
        iso = at.isoformat()
        object_id = int(draw() * incidents) + 1 if shape.random_id else shape.values[7]
        request = f"{number:032x}" if shape.values[9] is not None else None
        canonical = shape.fmt % {"o": object_id, "a": iso, "r": request}
        if number % 997 == 0:  # the shape's shortcut against the one definition, now and then
            assert canonical == canonical_of(at, shape.reason, _filled(shape, object_id, request))
        event_hash = made(last_hash + canonical)
        oid, rid = ("\\N" if v is None else v for v in (object_id, request))
        lines.append(f"{number}\t{iso}\t{last_hash}\t{event_hash}\t{oid}\t{rid}\t{shape.tail}\n")
        last_hash = event_hash
    columns = ", ".join(COPY_COLUMNS)
    with cur.copy(f"COPY audit_event ({columns}) FROM STDIN") as copy:
        copy.write("".join(lines))
    return last_hash


def load_audit_events(
    conn: Any,
    n: int,
    start: dt.datetime,
    end: dt.datetime,
    progress: Callable[[int], None] | None = None,
    *,
    key: str | None = None,
    seed: int = 22,
) -> int:
    """Append n chained audit events spread over [start, end) with COPY, move the head and
    commit the connection (the head stays locked until then); the number loaded. `conn`: a
    psycopg connection, or SQLAlchemy's raw or Core connection to PostgreSQL. `key`:
    AUDIT_KEY (default: the current app's). `progress(k)` hears of each chunk copied."""
    if key is None:
        from core.audit import audit_key

        key = audit_key()
    driver, rng, made = _driver(conn), random.Random(seed), _hasher(key)
    with driver.cursor() as cur:
        cur.execute(  # no foreign-key triggers (superuser only): the actors are read back
            "DO $$ BEGIN IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)"
            " THEN SET LOCAL session_replication_role = replica; END IF; END $$"
        )
        last_hash, appended = _lock_head(cur)
        first = 1 + int(
            cur.execute(
                "SELECT greatest((SELECT coalesce(max(id), 0) FROM audit_event),"
                " (SELECT last_value FROM audit_event_id_seq))"
            ).fetchone()[0]
        )
        incidents = max(
            1, int(cur.execute("SELECT coalesce(max(id), 0) FROM incident").fetchone()[0])
        )
        shapes, moments = _shapes(rng, _actors(cur), incidents), _moments(n, start, end, rng)
        for done in range(0, n, CHUNK):
            size = min(CHUNK, n - done)
            last_hash = _copy_chunk(
                cur,
                shapes,
                moments,
                range(first + done, first + done + size),
                last_hash,
                made,
                rng.random,
                incidents,
            )
            if progress is not None:
                progress(size)
        cur.execute("SELECT setval('audit_event_id_seq', %s)", [first + n - 1])
        cur.execute(
            "UPDATE audit_head SET last_hash = %s, appended = %s WHERE id = 1",
            [last_hash, appended + n],
        )
    driver.commit()
    return n


def main() -> int:
    """Append --events audit events over the last --days to the database at --url."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="a migrated PostgreSQL database")
    parser.add_argument("--events", type=int, default=2_000_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--seed", type=int, default=22)
    args = parser.parse_args()
    import os
    import tempfile

    from tools import servers

    env = servers.base_env(args.url, Path(tempfile.gettempdir()))
    # Keys given in the environment win over the fresh ones: the chain (and the year's case
    # data) must be readable by the processes that verify it afterwards.
    env.update({name: os.environ[name] for name in servers.SECRETS if os.environ.get(name)})
    os.environ.update(env)
    from app import create_app
    from core import clock
    from core.db import db
    from core.progress import progress

    app = create_app()
    with app.app_context():
        end = clock.now()
        started = time.monotonic()
        raw = db.engine.raw_connection()
        try:
            with progress("load_audit", args.events, every=CHUNK * 4) as step:
                load_audit_events(
                    raw, args.events, end - dt.timedelta(days=args.days), end, step, seed=args.seed
                )
        finally:
            raw.close()
        seconds = time.monotonic() - started
    print(json.dumps({"events": args.events, "load_s": round(seconds, 1)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
