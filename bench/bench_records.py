"""P4: building the 07:00 packets over 1,000 handover notes, and verifying 100,000 audit events.

Runs in-process on a throw-away PostgreSQL schema (migrated and seeded like a real install).
Notes are written through the handover service (the simulator's planned notes, spread over
one handover window); the packets are then built as the scheduler job builds them, several
times over (each build deleted before the next). Audit events are appended in bulk with the
chain computed exactly as `core.audit` computes it (`bench/load_audit.py`), then `verify_chain`
walks them. Baselines:
a plain SELECT of the same rows.

    python bench/bench_records.py [--notes 1000] [--events 100000] [--runs 5] [--json]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import delete, select, text, update  # noqa: E402

from tools import servers  # noqa: E402
from tools.topology import DB  # noqa: E402


def timed(fn) -> tuple[float, object]:
    """Seconds taken by fn() and its result."""
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def write_notes(n: int) -> tuple[dt.date, tuple[dt.datetime, dt.datetime]]:
    """n notes (through the service) spread over the latest passed handover window."""
    from accounts.actor import Actor
    from accounts.models import Organisation, User
    from core import clock
    from core.db import db
    from handover import service, settings
    from handover.schemas import HandoverNoteCreate
    from handover.window import handover_window, latest_handover_date
    from tools.simulator.plan import plan_night
    from triage.models import Incident, IncidentStatus, TimelineSource

    now = clock.now()
    day = latest_handover_date(now, settings.handover_time(), settings.zone())
    start, end = handover_window(day, settings.handover_time(), settings.zone())
    db.session.execute(update(Organisation).values(created_at=start - dt.timedelta(days=30)))
    author = db.session.execute(select(User).where(User.username == "dispatcher")).scalar_one()
    actor = Actor(author, None, TimelineSource.API)
    notes = [c for c in plan_night(9, 3 * n) if c.note is not None][:n]
    step = (end - start) / (len(notes) + 1)
    for i, call in enumerate(notes):
        incident = Incident(
            reference=f"NW-BENCH-{i:06d}",
            status=IncidentStatus.CLOSED,
            priority=call.expected_priority,
            received_at=start + step * i,
            district=call.district,
        )
        db.session.add(incident)
        db.session.flush()
        body = HandoverNoteCreate.model_validate(call.note.body())
        service.write_note(incident, body, actor, now=start + step * (i + 1))
        if i % 100 == 99:
            db.session.commit()
    db.session.commit()
    return day, (start, end)


def packets_figures(day: dt.date, window: tuple[dt.datetime, dt.datetime], runs: int) -> dict:
    """Build the date's packets `runs` times; the baseline reads the window's notes plainly."""
    from core import clock
    from core.db import db
    from handover import packets
    from handover.models import HandoverPacket, packet_note

    builds, sizes = [], []
    for _ in range(runs):
        seconds, result = timed(lambda: packets.build_date(day, clock.now()))
        builds.append(seconds)
        ids = result.built
        sizes = [
            db.session.execute(
                select(text("count(*)"))
                .select_from(packet_note)
                .where(packet_note.c.packet_id == i)
            ).scalar_one()
            for i in ids
        ]
        db.session.execute(delete(packet_note).where(packet_note.c.packet_id.in_(ids)))
        db.session.execute(delete(HandoverPacket).where(HandoverPacket.id.in_(ids)))
        db.session.commit()
    query = text("SELECT * FROM handover_note WHERE created_at >= :a AND created_at < :b")
    plain = [
        timed(lambda: db.session.execute(query, {"a": window[0], "b": window[1]}).all())[0]
        for _ in range(runs)
    ]
    return {
        "build_s": round(statistics.median(builds), 3),
        "build_max_s": round(max(builds), 3),
        "select_s": round(statistics.median(plain), 4),
        "packets": len(sizes),
        "notes_per_packet": sizes,
    }


def append_events(n: int) -> None:
    """n audit events appended in bulk (`load_audit`), chained as `core.audit.record` chains
    them, over the last day."""
    from bench.load_audit import load_audit_events
    from core import clock
    from core.db import db

    db.session.commit()
    raw = db.engine.raw_connection()
    try:
        now = clock.now()
        load_audit_events(raw, n, now - dt.timedelta(days=1), now)
        raw.driver_connection.autocommit = True  # VACUUM runs outside a transaction
        with raw.cursor() as cursor:  # as autovacuum would soon: hint bits set, statistics
            cursor.execute("VACUUM (ANALYZE) audit_event")
        raw.driver_connection.autocommit = False
    finally:
        raw.close()


def audit_figures(runs: int) -> dict:
    """verify_chain over every event; the baseline SELECTs the same rows in the same batches."""
    from core.audit.chain import BATCH, verify_chain
    from core.db import db

    verdicts = [timed(verify_chain) for _ in range(runs)]
    query = text("SELECT * FROM audit_event WHERE id > :last ORDER BY id LIMIT :n")

    def plain() -> int:
        last, count = 0, 0
        while rows := db.session.execute(query, {"last": last, "n": BATCH}).all():
            last, count = rows[-1].id, count + len(rows)
        return count

    selects = [timed(plain) for _ in range(runs)]
    verdict = verdicts[-1][1]
    seconds = [s for s, _ in verdicts]
    return {
        "verify_s": round(statistics.median(seconds), 3),
        "verify_runs_s": [round(s, 3) for s in seconds],
        "events_per_s": round(verdict.events / statistics.median(seconds)),
        "select_s": round(statistics.median(s for s, _ in selects), 3),
        "events": verdict.events,
        "ok": verdict.ok,
    }


def run(notes: int, events: int, runs: int) -> dict:
    """Set up a schema, write the data, measure."""
    with tempfile.TemporaryDirectory() as tmp, servers.postgres_schema(DB) as url:
        env = servers.base_env(url, Path(tmp))
        servers.prepare(env)
        os.environ.update(env)
        from app import create_app
        from core.db import db

        app = create_app()
        with app.app_context():
            setup_s, (day, window) = timed(lambda: write_notes(notes))
            print(f"wrote {notes} notes in {setup_s:.1f} s", flush=True)
            packets = packets_figures(day, window, runs)
            append_s, _ = timed(lambda: append_events(events))
            print(f"appended {events} audit events in {append_s:.1f} s", flush=True)
            audit = audit_figures(max(3, runs))
            db.session.remove()
            db.engine.dispose()
    return {"notes": notes, "packets": packets, "audit": audit}


def main() -> int:
    """Parse options, run, print the figures (JSON last when asked)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, default=1000)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = run(args.notes, args.events, args.runs)
    p, a = results["packets"], results["audit"]
    print(
        f"packets for {args.notes} notes: build {p['build_s']:.3f} s (max {p['build_max_s']:.3f})"
        f", {p['packets']} packets {p['notes_per_packet']}; plain SELECT {p['select_s']:.4f} s"
    )
    print(
        f"audit verify {a['events']} events: {a['verify_s']:.3f} s, {a['events_per_s']:,} events/s"
        f" (ok={a['ok']}; runs {a['verify_runs_s']});"
        f" plain SELECT {a['select_s']:.3f} s"
    )
    if args.json:
        print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
