"""Where a dispatch flow's server time goes: cProfile over the simulator's flows, in-process.

The app runs in this process on a throw-away PostgreSQL schema (with Redis as the message
queue, as in production) and the simulator's HTTP calls reach it through a `requests` adapter
over Flask's test client, so the profile holds the server side of every step and no network.

    python bench/profile_flow.py [--flows 40] [--top 30] [--sort cumulative|tottime]
        [--show-sql [--show-callers]] [--no-profile] [--endpoint "POST /api/v1/incidents"]
        [--project]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import re
import sys
import tempfile
import time
import traceback
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
from sqlalchemy import event  # noqa: E402

from tools import servers  # noqa: E402
from tools.flask_adapter import FlaskAdapter  # noqa: E402
from tools.topology import DB, REDIS, TWILIO_TOKEN  # noqa: E402

STATEMENTS: Counter[str] = Counter()  # SQL statements sent, per endpoint
REQUESTS: Counter[str] = Counter()
_CURRENT = ["-"]


def endpoint_of(method: str, path: str) -> str:
    """`POST /api/v1/incidents/<id>/assessments` for any id."""
    return f"{method} {re.sub(r'/[0-9]+', '/<id>', path.split('?')[0])}"


SQL: dict[str, list[str]] = {}  # the statements of each endpoint's first request
CALLERS = [False]  # --show-callers: name the project code that sent each statement


def caller() -> str:
    """The innermost frames of this project's own code on the stack (where a statement comes
    from), innermost last."""
    frames = []
    for frame in traceback.extract_stack()[:-3]:
        path = Path(frame.filename)
        if ROOT in path.parents and ".venv" not in path.parts and "bench" not in path.parts:
            frames.append(f"{path.relative_to(ROOT)}:{frame.lineno} {frame.name}")
    return " < ".join(reversed(frames[-3:]))


SQL_SECONDS: Counter[str] = Counter()  # time inside the driver's execute, per endpoint
TOTAL_SECONDS: Counter[str] = Counter()  # the whole request, per endpoint
CPU_SECONDS: Counter[str] = Counter()  # the request's CPU time (this thread's), per endpoint
_STARTED = [0.0]
ONLY: list[str | None] = [None]  # --endpoint: profile only this endpoint's requests
PROFILER = cProfile.Profile()


def count_statement(_conn, _cursor, statement: str, *_args) -> None:
    """SQLAlchemy `before_cursor_execute`: one more statement for the current endpoint."""
    name = _CURRENT[0]
    STATEMENTS[name] += 1
    _STARTED[0] = time.perf_counter()
    if REQUESTS[name] == 1:
        line = " ".join(statement.split())[:110]
        SQL.setdefault(name, []).append(f"{line}\n        {caller()}" if CALLERS[0] else line)


COMPILED: Counter[str] = Counter()  # statements SQLAlchemy compiled (not found in its cache)


def statement_done(_conn, _cursor, _statement, _parameters, context, _many) -> None:
    """SQLAlchemy `after_cursor_execute`: the statement's round trip, for the current endpoint,
    and whether SQLAlchemy compiled it for this execution: a miss of its statement cache, or a
    statement it cannot cache at all (no cache key), which it compiles every time."""
    SQL_SECONDS[_CURRENT[0]] += time.perf_counter() - _STARTED[0]
    dialect = context.dialect
    if getattr(context, "cache_hit", None) in (dialect.CACHE_MISS, dialect.NO_CACHE_KEY):
        COMPILED[_CURRENT[0]] += 1


class CountingAdapter(FlaskAdapter):
    """The Flask adapter, noting which endpoint runs (for the per-endpoint SQL counts)."""

    def send(self, request, **kwargs):
        """Answer one request through the test client."""
        _CURRENT[0] = endpoint_of(request.method, request.path_url)
        REQUESTS[_CURRENT[0]] += 1
        started, cpu = time.perf_counter(), time.thread_time()
        profiled = ONLY[0] is not None and _CURRENT[0] == ONLY[0]
        if profiled:
            PROFILER.enable()
        try:
            return super().send(request, **kwargs)
        finally:
            if profiled:
                PROFILER.disable()
            TOTAL_SECONDS[_CURRENT[0]] += time.perf_counter() - started
            CPU_SECONDS[_CURRENT[0]] += time.thread_time() - cpu
            _CURRENT[0] = "-"


def print_statements(show_sql: bool) -> None:
    """Requests and SQL statements (round trips to PostgreSQL) per endpoint, and the mean time
    of a request, the part spent in the driver's execute (sending, PostgreSQL, reading) and the
    request's own CPU time (this process's, in Python and the driver), and how many statements
    SQLAlchemy compiled during the run (after the warm-up every one should come from its cache)."""
    head = f"{'endpoint':<48}{'requests':>9}{'SQL/request':>13}{'ms/request':>12}{'in SQL':>8}"
    print(head + f"{'CPU ms':>8}{'compiled':>10}")
    for name, n in sorted(REQUESTS.items()):
        total, sql = 1000 * TOTAL_SECONDS[name] / n, 1000 * SQL_SECONDS[name] / n
        cpu = 1000 * CPU_SECONDS[name] / n
        line = f"{name:<48}{n:>9}{STATEMENTS[name] / n:>13.1f}{total:>12.1f}{sql:>8.1f}{cpu:>8.1f}"
        print(f"{line}{COMPILED[name]:>10}")
        for statement in SQL.get(name, []) if show_sql else []:
            print(f"    {statement}")


def main() -> int:
    """Set up, warm up, profile the flows, print the top functions."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flows", type=int, default=40)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("--show-sql", action="store_true", help="each endpoint's statements")
    parser.add_argument("--show-callers", action="store_true", help="with --show-sql: from where")
    parser.add_argument("--no-profile", action="store_true", help="times only, without cProfile")
    parser.add_argument("--endpoint", help='profile only this one, e.g. "POST /api/v1/incidents"')
    parser.add_argument("--project", action="store_true", help="list only this project's functions")
    args = parser.parse_args()
    ONLY[0] = args.endpoint
    CALLERS[0] = args.show_callers
    with tempfile.TemporaryDirectory() as tmp, servers.postgres_schema(DB) as url:
        env = servers.base_env(url, Path(tmp), REDIS_URL=REDIS, TWILIO_AUTH_TOKEN=TWILIO_TOKEN)
        env["SMS_SEND_IMMEDIATELY"] = "0"  # the outbox sender is a background job, not a step
        servers.prepare(env)
        os.environ.update(env)
        from app import create_app
        from core.db import db
        from tools.simulator.driver import Credentials, NightDriver, Options
        from tools.simulator.local import issue_credentials
        from tools.simulator.plan import plan_night

        app = create_app()
        with app.app_context():
            creds, _ = issue_credentials(app)
        creds = Credentials(creds.dispatchers, {}, TWILIO_TOKEN, app.config["PUBLIC_BASE_URL"])

        def session() -> requests.Session:
            s = requests.Session()
            s.mount("http://profile.test", CountingAdapter(app))
            return s

        def play(n: int, seed: int) -> dict:
            """Play the flows in this thread (cProfile sees only the thread it runs in)."""
            options = Options(speed=0, concurrency=1, sms_wait_s=0)
            driver = NightDriver(["http://profile.test"], creds, options, lambda _: None, session)
            for call in plan_night(seed, n):
                driver.play(call, time.monotonic())
            return driver.stats.as_dict()

        play(5, 1)  # warm-up
        with app.app_context():
            event.listen(db.engine, "before_cursor_execute", count_statement)
            event.listen(db.engine, "after_cursor_execute", statement_done)
        STATEMENTS.clear(), REQUESTS.clear(), COMPILED.clear()
        if not (args.no_profile or args.endpoint):
            PROFILER.enable()
        result = play(args.flows, 2)
        PROFILER.disable()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    print_statements(args.show_sql)
    for step, f in result["steps"].items():
        print(f"{step:<24} n={f['n']:<4} p50 {f['p50_ms']:7.1f} ms  p99 {f['p99_ms']:7.1f} ms")
    if not args.no_profile or args.endpoint:
        stats = pstats.Stats(PROFILER)
        if args.project:  # the project's own code, not the libraries or the simulator
            pattern = rf"^{re.escape(str(ROOT))}/(?!\.venv|bench|tools)"
            stats.sort_stats(args.sort).print_stats(pattern, args.top)
        else:  # strip_dirs drops the order, so it comes first
            stats.strip_dirs().sort_stats(args.sort).print_stats(args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
