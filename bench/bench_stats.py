"""Statistics for a month and for a year with a year of incidents loaded: each ≤ 1 s.

A throw-away schema in its own PostgreSQL database (`nachtwacht_bench`, created when missing;
BENCH_STATS_DATABASE_URL to choose another), migrated, with the demo organisations, accounts
and units, then a year loaded by `bench/load_year.py` (200,000 incidents with their persons,
screens, timelines, assignments, SMS, referrals, notes and packets). Timed in process:
`stats.service.statistics` exactly as `GET /api/v1/statistics` calls it — the last 30 nights
grouped per night, and the last 365 nights grouped per month — once before the hourly
`statistics` job has kept the settled nights (all counted live), then after it (as in service:
the job keeps them within the hour), a warm-up and `runs` times each (median and max). The
job's first run over the year is timed too. Baseline: a plain SELECT of the same incidents'
created_at, priority and district (what any figure must at least read).

    python bench/bench_stats.py [--incidents 200000] [--runs 7] [--json]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench import load_year  # noqa: E402
from tools import servers  # noqa: E402
from tools.topology import DB  # noqa: E402

GOAL_S = 1.0
DATABASE = "nachtwacht_bench"  # never the `test` database the suite runs on
RANGES = {"month": (30, "night"), "year": (365, "month")}  # nights back, grouped by


def bench_url() -> str:
    """The benchmark's own database (created when missing)."""
    url = os.environ.get("BENCH_STATS_DATABASE_URL") or make_url(DB).set(database=DATABASE)
    url = make_url(url)
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        known = conn.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": url.database}
        )
        if known.first() is None:
            conn.execute(text(f'CREATE DATABASE "{url.database}"'))
    admin.dispose()
    return url.render_as_string(hide_password=False)


def query_for(nights: int, group: str, now: dt.datetime):
    """The statistics query of the last `nights` nights (local dates), grouped by `group`."""
    from core import clock
    from stats.schemas import StatisticsQuery

    yesterday = now.astimezone(clock.zone()).date() - dt.timedelta(days=1)
    first = yesterday - dt.timedelta(days=nights - 1)
    return StatisticsQuery.model_validate({"from": first, "to": yesterday, "group": group})


def timed(fn) -> tuple[float, object]:
    """Seconds taken by fn() and its answer."""
    start = time.perf_counter()
    answer = fn()
    return time.perf_counter() - start, answer


def plain_select(start: dt.datetime, end: dt.datetime) -> int:
    """The baseline: the same incidents' created_at, priority and district, fetched."""
    from core.db import db
    from triage.models import Incident

    rows = db.session.execute(
        select(Incident.created_at, Incident.priority, Incident.district).where(
            Incident.created_at >= start, Incident.created_at < end
        )
    ).all()
    return len(rows)


def measure(app, runs: int) -> dict[str, dict]:
    """A warm-up and `runs` timings of each range, and of its baseline SELECT."""
    from core import clock
    from core.db import db
    from stats import service

    found = {}
    with app.app_context():
        now = clock.now()
        for name, (nights, group) in RANGES.items():
            query = query_for(nights, group, now)
            service.statistics(query)  # warm-up: caches, the planner, the pool
            times, selects, answer = [], [], None
            for _ in range(runs):
                took, answer = timed(lambda q=query: service.statistics(q))
                times.append(took)
                db.session.remove()
            first, last = answer.groups[0].start, answer.groups[-1].end  # type: ignore[attr-defined]
            for _ in range(runs):
                selects.append(timed(lambda a=first, b=last: plain_select(a, b))[0])
                db.session.remove()
            found[name] = {
                "nights": nights,
                "group": group,
                "calls": answer.calls,  # type: ignore[attr-defined]
                "groups": len(answer.groups),  # type: ignore[attr-defined]
                "median_s": round(statistics.median(times), 4),
                "max_s": round(max(times), 4),
                "select_s": round(statistics.median(selects), 4),
                "runs": runs,
            }
    return found


def run(incidents: int, runs: int) -> dict:
    """Migrate a throw-away schema, load the year, measure."""
    from core import clock
    from core.db import db
    from stats import jobs

    with servers.postgres_schema(bench_url()) as url:
        started = time.monotonic()
        app = load_year.make_app(url)
        migrate_s = time.monotonic() - started
        with app.app_context():
            loaded = load_year.load(db.engine, incidents, clock.now())
        print(
            f"loaded {loaded['rows']} in {loaded['load_s']:.0f} s (COPY {loaded['copy_s']:.0f} s)",
            flush=True,
        )
        cold = measure(app, 1)  # before the job: every night counted live
        with app.app_context():
            started = time.monotonic()
            kept = jobs.keep_settled(app)  # the hourly job's first run over the loaded year
            keep_s = time.monotonic() - started
        print(f"statistics job kept {kept} settled nights in {keep_s:.1f} s", flush=True)
        figures = measure(app, runs)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    return {
        "incidents": incidents,
        "rows": loaded["rows"],
        "migrate_s": round(migrate_s, 1),
        "load_s": round(loaded["load_s"], 1),
        "goal_s": GOAL_S,
        "keep_s": round(keep_s, 1),
        "kept": kept,
        "cold_s": {name: cold[name]["median_s"] for name in RANGES},
        **figures,
    }


def main() -> int:
    """Parse options, run, print the figures (JSON last when asked)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = run(args.incidents, args.runs)
    for name in RANGES:
        f = result[name]
        met = "yes" if f["max_s"] <= GOAL_S else "NO"
        print(
            f"statistics, {name} ({f['nights']} nights by {f['group']}, {f['calls']:,} calls):"
            f" median {f['median_s']:.3f} s, max {f['max_s']:.3f} s; plain SELECT"
            f" {f['select_s']:.3f} s; goal ≤ {GOAL_S:g} s: {met}"
            f" (before the job kept the nights: {result['cold_s'][name]:.3f} s)"
        )
    print(f"the statistics job's first run over the year: {result['keep_s']:.1f} s")
    if args.json:
        print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
