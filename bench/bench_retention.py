"""Retention over a loaded year: `retention run`, then the audit purge, then `audit verify`.

Runs in-process against a database that already holds a year (`bench/load_year.py`, and
`bench/load_audit.py` for the audit events), loaded with the same keys as this process gets
(FIELD_ENCRYPTION_KEYS, BLIND_INDEX_KEY, AUDIT_KEY in the environment). It changes the data:
run it on a copy (`createdb -T loaded copy`). Prints each phase's seconds and rate, JSON last.

    python bench/bench_retention.py --url postgresql+psycopg://.../copy [--batch 500]
        [--audit-days 180]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402


def run(url: str, batch: int, audit_days: int) -> dict:
    """Each phase once, timed."""
    from tools import servers

    env = servers.base_env(url, Path(tempfile.gettempdir()))
    env.update({name: os.environ[name] for name in servers.SECRETS if os.environ.get(name)})
    os.environ.update(env)
    from app import create_app, retention
    from core import clock
    from core.audit import AuditEvent
    from core.audit.chain import verify_chain
    from core.db import db

    app = create_app()
    figures: dict = {"batch": batch}
    with app.app_context():
        events = db.session.execute(select(func.count()).select_from(AuditEvent)).scalar_one()
        started = time.perf_counter()
        counts = retention.run_retention(clock.now(), batch=batch)
        seconds = time.perf_counter() - started
        figures["retention"] = {"s": round(seconds, 1), "counts": dict(counts)}
        figures["retention"]["incidents_per_s"] = round(counts["incidents"] / seconds)
        print(f"retention run: {counts['incidents']} incidents in {seconds:.1f} s", flush=True)

        started = time.perf_counter()
        removed = retention.purge_audit(clock.now() - dt.timedelta(days=audit_days))
        seconds = time.perf_counter() - started
        figures["audit_purge"] = {
            "events_before": events,
            "removed": removed,
            "s": round(seconds, 1),
        }
        print(f"audit purge: {removed} of {events} events in {seconds:.1f} s", flush=True)

        started = time.perf_counter()
        verdict = verify_chain()
        seconds = time.perf_counter() - started
        figures["verify"] = {"ok": verdict.ok, "events": verdict.events, "s": round(seconds, 1)}
        print(f"audit verify: {verdict.events} events, ok={verdict.ok}, {seconds:.1f} s")
        db.session.remove()
        db.engine.dispose()
    return figures


def main() -> int:
    """Parse options, run, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="a copy of a loaded year (it is changed)")
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--audit-days", type=int, default=180)
    args = parser.parse_args()
    print(json.dumps(run(args.url, args.batch, args.audit_days)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
