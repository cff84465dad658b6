"""P5: every dispatch step and console read with a year loaded, beside an empty database.

One run, two throw-away PostgreSQL schemas migrated and seeded alike (the demo organisations,
accounts and units): "empty" holds only that; "loaded" also holds a year bulk-loaded by
`bench/load_year.py` (200,000 incidents with persons, screens, timelines, assignments, SMS,
referrals, notes and packets, and the audit events of `--audit-events` when
`bench/load_audit.py` is there). Both apps run in this process and are driven through Flask's
test client (`tools.flask_adapter`, as `bench/profile_flow.py` does), so a figure is the
server's time without the network. In rounds, each schema in turn (the order swapped each
round, so the machine's other work falls on both alike):
- the P1 steps of simulated flows (`tools.simulator`, as `bench/bench_flow.py` plays them one at
  a time): intake (with its repeat matching), the DASH assessment, recommendations, the
  assignment, and the assignment SMS handed to the SMS backend;
- the board snapshot (`GET /api/v1/board`) and the console page (`GET /console`);
- search (`GET /api/v1/search`) by phone, name with birth year, address and reference;
- the morning packets: yesterday's packet of each partner, deleted and built again;
- the trajectory of the newest incident and the look-up while a call is typed;
- the statistics of the last 30 nights by night and of the year by month (after the hourly job
  kept the settled nights, as in service).
Then EXPLAIN (ANALYZE, BUFFERS) of every SELECT those reads send, on the loaded schema.

    python bench/bench_growth.py [--incidents 200000] [--audit-events 2000000] [--rounds 40]
        [--flows 2] [--quick] [--json]

BENCH_GROWTH_DATABASE_URL chooses the database (default: `nachtwacht_bench`, created when
missing); BENCH_REDIS_URL the Redis the apps publish to.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import re
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
from sqlalchemy import create_engine, delete, event, select, text, update  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench import load_year  # noqa: E402
from tools import servers  # noqa: E402
from tools.flask_adapter import FlaskAdapter  # noqa: E402
from tools.simulator.http import percentile  # noqa: E402
from tools.topology import DB, REDIS, TWILIO_TOKEN  # noqa: E402

GOAL = 1.25
DATABASE = "nachtwacht_bench"  # never the `test` database the suite runs on
BASE = "http://growth.test"
FLOW_STEPS = {
    "intake": "intake (with repeat matching)",
    "assess:dash": "DASH assessment",
    "recommend": "recommendations",
    "assign": "assignment",
    "sms_to_backend": "assignment SMS to backend",
}
READS = {
    "board": "board snapshot",
    "console": "console page",
    "search:phone": "search by phone",
    "search:name": "search by name and year",
    "search:address": "search by address",
    "search:reference": "search by reference",
    "packets": "morning packets (rebuilt)",
    "trajectory": "trajectory of an incident",
    "lookup": "trajectory look-up (typed call)",
    "stats:month": "statistics, 30 nights",
    "stats:year": "statistics, a year by month",
}
LABELS = FLOW_STEPS | READS
# p99 of a few dozen flow samples is their maximum: one slow spell of the shared machine. The
# flow steps are judged on p50, the reads (more samples, steadier) on p99.
BASIS = {name: "p50" if name in FLOW_STEPS else "p99" for name in LABELS}
SEARCHES = {
    "phone": "0470 12 34 56",
    "name": "Marie Peeters 1984",
    "address": "Lange Beeldekensstraat 20, 2060 Antwerpen",
}


def bench_url() -> str:
    """The benchmark's own database (created when missing)."""
    url = os.environ.get("BENCH_GROWTH_DATABASE_URL") or make_url(DB).set(database=DATABASE)
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


class Side:
    """One schema's app, its clients and what was measured on it."""

    def __init__(self, name: str, url: str, instance: Path):
        self.name = name
        self.app = make_app(url, instance)
        self.samples: dict[str, list[float]] = {k: [] for k in LABELS}
        from tools.simulator.local import issue_credentials

        with self.app.app_context():
            creds, _ = issue_credentials(self.app)
        from tools.simulator.driver import Credentials

        self.creds = Credentials(
            creds.dispatchers, creds.officers, TWILIO_TOKEN, self.app.config["PUBLIC_BASE_URL"]
        )
        self.token = creds.dispatchers[0]
        self.http = self.session()
        self.page = self.session()
        self.reference = ""
        self.newest = 0

    def session(self) -> requests.Session:
        """A `requests` session answered by this app's test client."""
        s = requests.Session()
        s.mount(BASE, FlaskAdapter(self.app))
        return s


def make_app(url: str, instance: Path):
    """An app on its own schema, migrated, with the demo organisations, accounts and units."""
    env = servers.base_env(url, instance, REDIS_URL=REDIS, TWILIO_AUTH_TOKEN=TWILIO_TOKEN)
    env |= {"LOOKUP_RATE_LIMIT": "100000 per minute", "PUBLIC_BASE_URL": BASE}
    os.environ.update(env)
    from flask_migrate import upgrade

    from accounts.models import Organisation
    from app import create_app
    from core import clock
    from core.db import db
    from tools.demo import seed_organisations, seed_units, seed_users

    app = create_app()
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        seed_organisations(), seed_users(), seed_units()
        # Partners of more than a year: every morning of the loaded year owes them a packet.
        since = clock.now() - dt.timedelta(days=400)
        db.session.execute(update(Organisation).values(created_at=since))
        db.session.commit()
    return app


def login(side: Side, username: str = "dispatcher") -> None:
    """Log the page session in through the real form (the console page is a browser's)."""
    from tools.demo import DEMO_PASSWORD

    html = side.page.get(f"{BASE}/login").text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert token, "no CSRF token on /login"
    form = {"username": username, "password": DEMO_PASSWORD, "csrf_token": token.group(1)}
    answer = side.page.post(f"{BASE}/login", data=form, allow_redirects=False)
    if answer.status_code != 302 or "2fa" in answer.headers.get("Location", ""):
        raise RuntimeError(f"console login failed: {answer.status_code}")


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    """Milliseconds taken by fn() and its answer."""
    start = time.perf_counter()
    answer = fn()
    return (time.perf_counter() - start) * 1000.0, answer


# --- the figures -------------------------------------------------------------------------------


def play_flows(side: Side, n: int, seed: int, keep: bool = True) -> None:
    """n simulated calls, one after the other, intake to close; their P1 step samples."""
    from tools.simulator.driver import NightDriver, Options
    from tools.simulator.plan import plan_night

    options = Options(speed=0, concurrency=1, sms_wait_s=10)
    driver = NightDriver([BASE], side.creds, options, lambda line: None, side.session)
    for call in plan_night(seed, n):
        driver.play(call, time.monotonic())
    if driver.stats.errors:
        print(f"   ! {side.name}: {driver.stats.errors[:2]}", flush=True)
    if keep:
        for step in FLOW_STEPS:
            side.samples[step] += driver.stats.samples.get(step, [])


def get(side: Side, path: str, **kwargs: Any) -> Any:
    """A dispatcher's API GET (its JSON), raising on an error status."""
    headers = {"Authorization": f"Bearer {side.token}"}
    answer = side.http.get(f"{BASE}{path}", headers=headers, **kwargs)
    answer.raise_for_status()
    return answer


def post(side: Side, path: str, body: dict) -> Any:
    """A dispatcher's API POST, raising on an error status."""
    headers = {"Authorization": f"Bearer {side.token}"}
    answer = side.http.post(f"{BASE}{path}", json=body, headers=headers)
    answer.raise_for_status()
    return answer


def newest_incident(side: Side) -> None:
    """The newest incident the flows made (the trajectory's subject; the reference searched)."""
    from core.db import db
    from triage.models import Incident

    with side.app.app_context():
        row = db.session.execute(
            select(Incident.id, Incident.reference).order_by(Incident.id.desc()).limit(1)
        ).one()
        db.session.remove()
    side.newest, side.reference = row


def rebuild_packets(side: Side) -> None:
    """Yesterday's morning packet of every partner, deleted and built again."""
    from core import clock
    from core.db import db
    from handover import packets, settings
    from handover.models import HandoverPacket, packet_note
    from handover.window import latest_handover_date

    with side.app.app_context():
        now = clock.now()
        day = latest_handover_date(now, settings.handover_time(), settings.zone())
        those = select(HandoverPacket.id).where(HandoverPacket.handover_date == day)
        db.session.execute(packet_note.delete().where(packet_note.c.packet_id.in_(those)))
        db.session.execute(delete(HandoverPacket).where(HandoverPacket.handover_date == day))
        db.session.commit()
        packets.build_date(day, now, "bench")
        db.session.remove()


def statistics(side: Side, nights: int, group: str) -> None:
    """The statistics of the last `nights` nights grouped by `group` (as the API asks them)."""
    from bench.bench_stats import query_for
    from core import clock
    from core.db import db
    from stats import service

    with side.app.app_context():
        service.statistics(query_for(nights, group, clock.now()))
        db.session.remove()


def reads(side: Side) -> dict[str, Callable[[], Any]]:
    """Each read figure as a call."""
    reason = {"reason": "current_call"}
    found: dict[str, Callable[[], Any]] = {
        "board": lambda: get(side, "/api/v1/board"),
        "console": lambda: side.page.get(f"{BASE}/console").raise_for_status(),
    }
    for kind, q in (*SEARCHES.items(), ("reference", None)):
        found[f"search:{kind}"] = lambda q=q: get(
            side, "/api/v1/search", params={"q": q or side.reference, **reason}
        )
    found |= {
        "packets": lambda: rebuild_packets(side),
        "trajectory": lambda: get(side, f"/api/v1/incidents/{side.newest}/trajectory"),
        "lookup": lambda: post(
            side,
            "/api/v1/trajectory/lookup",
            {"address": SEARCHES["address"], "caller_phone": "+32470123456"},
        ),
        "stats:month": lambda: statistics(side, 30, "night"),
        "stats:year": lambda: statistics(side, 365, "month"),
    }
    return found


def one_round(side: Side, flows: int, seed: int, keep: bool = True) -> None:
    """Some flows, then one sample of every read."""
    play_flows(side, flows, seed, keep)
    newest_incident(side)
    for name, call in reads(side).items():
        ms, _ = timed(call)
        if keep:
            side.samples[name].append(ms)


def measure(sides: list[Side], rounds: int, flows: int, warm: int = 2) -> None:
    """`warm` rounds dropped, then `rounds` rounds, each schema in turn (order swapped)."""
    for n in range(warm + rounds):
        for side in sides if n % 2 else sides[::-1]:
            one_round(side, flows, seed=1000 + n, keep=n >= warm)


def summary(values: list[float]) -> dict[str, float]:
    """p50, p99 and the sample count."""
    if not values:
        return {"n": 0, "p50_ms": 0.0, "p99_ms": 0.0}
    return {
        "n": len(values),
        "p50_ms": round(percentile(values, 50), 3),
        "p99_ms": round(percentile(values, 99), 3),
    }


# --- EXPLAIN -------------------------------------------------------------------------------------


@contextlib.contextmanager
def statements(engine) -> Iterator[list[tuple[str, Any]]]:
    """The SELECT statements (with parameters) sent while the block runs."""
    sent: list[tuple[str, Any]] = []

    def keep(conn, cursor, statement, parameters, context, executemany):
        upper = statement.lstrip().upper()
        # Reads only: EXPLAIN ANALYZE runs the statement, and a WITH may wrap a write (the
        # audit append moves the chain head in one).
        writes = any(word in upper for word in ("INSERT ", "UPDATE ", "DELETE "))
        if upper.startswith(("SELECT", "WITH")) and not writes:
            sent.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", keep)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", keep)


def plan_nodes(node: dict) -> Iterator[dict]:
    """Every node of an EXPLAIN (FORMAT JSON) plan."""
    yield node
    for child in node.get("Plans", []):
        yield from plan_nodes(child)


BIG = {
    "incident", "person", "person_key", "assessment", "assignment", "status_event", "message",
    "referral", "handover_note", "handover_note_target", "handover_packet",
    "handover_packet_note", "audit_event", "assignment_crew",
}  # fmt: skip


def analyse(conn, sql: str, params: Any) -> dict:
    """One statement's plan: its scans, time, and any sequential scan or sort of a big table."""
    doc = conn.exec_driver_sql(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {sql}", params)
    doc = doc.scalar_one()
    doc = json.loads(doc) if isinstance(doc, str) else doc
    nodes = list(plan_nodes(doc[0]["Plan"]))
    scans = [
        f"{n['Node Type']} {n.get('Index Name') or n.get('Relation Name')}"
        f" rows={n.get('Actual Rows')}"
        for n in nodes
        if "Scan" in n["Node Type"] and n.get("Relation Name")
    ]
    seq = [
        f"{n['Relation Name']} ({n.get('Actual Rows')} rows)"
        for n in nodes
        if n["Node Type"] == "Seq Scan"
        and n.get("Relation Name") in BIG
        and n.get("Actual Rows", 0) + n.get("Rows Removed by Filter", 0) > 1000
    ]
    return {
        "sql": " ".join(sql.split())[:200],
        "ms": round(doc[0]["Execution Time"], 3),
        "buffers": doc[0]["Plan"].get("Shared Hit Blocks", 0)
        + doc[0]["Plan"].get("Shared Read Blocks", 0),
        "scans": scans,
        "seq_scans": seq,
    }


def explain(side: Side) -> dict[str, list[dict]]:
    """EXPLAIN (ANALYZE, BUFFERS) of each SELECT one call of each read sends (and the flows')."""
    from core.db import db

    found: dict[str, list[dict]] = {}
    with side.app.app_context():
        engine = db.engine
    calls: dict[str, Callable[[], Any]] = {"flow": lambda: play_flows(side, 1, 99, keep=False)}
    calls |= {k: v for k, v in reads(side).items() if k != "packets"}
    calls["packets"] = lambda: rebuild_packets(side)
    for name, call in calls.items():
        with statements(engine) as sent:
            call()
        time.sleep(0.3)  # the SMS sender's thread, after the flow
        with engine.connect() as conn:
            plans = [analyse(conn, sql, params) for sql, params in sent]
            conn.rollback()
        seen: dict[str, dict] = {}
        for p in plans:  # one plan per distinct statement, the slowest
            if p["sql"] not in seen or seen[p["sql"]]["ms"] < p["ms"]:
                seen[p["sql"]] = p
        found[name] = sorted(seen.values(), key=lambda p: -p["ms"])
    return found


# --- the run -------------------------------------------------------------------------------------


def run(incidents: int, audit_events: int, rounds: int, flows: int) -> dict:
    """Two schemas, the year in one, measure both in turn, explain on the loaded one."""
    from core import clock
    from core.db import db
    from stats import jobs

    took: dict[str, float] = {}
    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        base = bench_url()
        urls = {n: stack.enter_context(servers.postgres_schema(base)) for n in ("empty", "loaded")}
        started = time.monotonic()
        sides = {name: Side(name, url, tmp) for name, url in urls.items()}
        took["migrate_s"] = time.monotonic() - started
        loaded = sides["loaded"]
        with loaded.app.app_context():
            found = load_year.load(db.engine, incidents, clock.now(), audit_events=audit_events)
            db.session.remove()
        took |= {"load_s": found["load_s"], "copy_s": found["copy_s"]}
        took["audit_s"] = found.get("audit_s", 0.0)
        print(
            f"loaded {found['rows']} and {found.get('audit_events', 0):,} audit events"
            f" in {found['load_s']:.0f} s",
            flush=True,
        )
        started = time.monotonic()
        for side in sides.values():
            with side.app.app_context():
                jobs.keep_settled(side.app)  # the hourly job has kept the settled nights
                db.session.remove()
            login(side)
        took["keep_s"] = time.monotonic() - started
        started = time.monotonic()
        measure(list(sides.values()), rounds, flows)
        took["measure_s"] = time.monotonic() - started
        started = time.monotonic()
        plans = explain(loaded)
        took["explain_s"] = time.monotonic() - started
        for side in sides.values():
            with side.app.app_context():
                db.session.remove()
                db.engine.dispose()
    return {
        "incidents": incidents,
        "audit_events": found.get("audit_events", 0),
        "rows": found["rows"],
        "goal_ratio": GOAL,
        "basis": BASIS,
        "labels": LABELS,
        "figures": {n: {k: summary(v) for k, v in s.samples.items()} for n, s in sides.items()},
        "plans": plans,
        **{k: round(v, 1) for k, v in took.items()},
    }


def ratio(result: dict, name: str) -> float:
    """loaded / empty, by the figure's basis (p50 or p99)."""
    key = f"{result['basis'][name]}_ms"
    e, f = result["figures"]["empty"][name], result["figures"]["loaded"][name]
    return f[key] / e[key] if e[key] else 0.0


def table(result: dict) -> str:
    """One line per figure: empty and loaded p50/p99, the ratio and its basis, goal."""
    head = (
        f"{'figure':<34}{'empty p50/p99 ms':>19}{'loaded p50/p99 ms':>20}"
        f"{'ratio':>7} {'basis':<5} goal ≤ {GOAL}"
    )
    lines = [head]
    empty, loaded = result["figures"]["empty"], result["figures"]["loaded"]
    for name, label in LABELS.items():
        e, f, r = empty[name], loaded[name], ratio(result, name)
        lines.append(
            f"{label:<34}{e['p50_ms']:>9.1f} /{e['p99_ms']:>7.1f}{f['p50_ms']:>11.1f} /"
            f"{f['p99_ms']:>7.1f}{r:>7.2f} {BASIS[name]:<5} {'yes' if r <= GOAL else 'NO'}"
            f"  (n={f['n']})"
        )
    return "\n".join(lines)


def main() -> int:
    """Parse options, run, print the table and the plans (JSON last when asked)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=200_000)
    parser.add_argument("--audit-events", type=int, default=2_000_000)
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--flows", type=int, default=2, help="flows per schema per round")
    parser.add_argument(
        "--quick", action="store_true", help="20,000 incidents, 100,000 events, 12 rounds"
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.incidents, args.audit_events, args.rounds = 20_000, 100_000, 12
    result = run(args.incidents, args.audit_events, args.rounds, args.flows)
    print(table(result))
    for name, plans in result["plans"].items():
        for p in plans:
            flag = f"  SEQ SCAN OF A BIG TABLE: {p['seq_scans']}" if p["seq_scans"] else ""
            print(f"plan {name}: {p['ms']:.2f} ms {p['buffers']} buf  {p['sql'][:90]}{flag}")
    if args.json:
        print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
