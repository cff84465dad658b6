"""Search and intake's repeat matching with 200,000 incidents loaded, beside an empty database.

One run, two throw-away PostgreSQL schemas migrated alike, each with the same probe incidents
taken through the intake service (one victim's three calls at one home under three spellings,
her own phone, a suspect): "empty" holds only those; "loaded" also holds a year of background
incidents, persons and person keys bulk-loaded with COPY (bench/search_load.py). Measured in
process, one sample on each schema in turn so that the machine's other work falls on both:
(a) the search service (`triage.search`: classify, match, visibility filter) for a phone, a
name with birth year, an address and a reference; (b) intake's repeat matching for a new
incident at the probe's home from her phone: `count_prior`, `prior_incidents`, `mark_repeat`.
Then EXPLAIN ANALYZE of every statement those calls send on the loaded schema, to show the
indexes they use (a sequential scan of a big table is reported).

    python bench/bench_search.py [--incidents 200000] [--samples 400] [--json]
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import search_load  # noqa: E402
from tools import servers  # noqa: E402
from tools.topology import DB  # noqa: E402

HOME = "Lange Beeldekensstraat 20, 2060 Antwerpen"
SPELLINGS = (HOME, "Lange Beeldekensstraat 20", "Lange Beeldekensstraat. 20 Antwerpen")
VICTIM = {"role": "victim", "name": "Marie Peeters", "birth_year": 1984, "phone": "0470 12 34 56"}
SUSPECT = {"role": "suspect", "name": "Kevin Janssens", "birth_year": 1981}
CALLERS = ("0486 55 44 33", "03 218 77 66", None)
QUERIES = {
    "phone": "+32 470 12 34 56",
    "name": "Marie Peters 1984",  # as it sounds, with the year
    "address": "lange beeldekensstraat 20 antwerpen",
    "reference": None,  # the first probe's, once it exists
}
STEPS = ("count_prior", "prior_incidents", "mark_repeat")
GOAL = 1.25


def make_app(url: str, instance: Path):
    """An app on its own schema, migrated, with an organisation and a dispatcher."""
    os.environ.update(servers.base_env(url, instance))
    from flask_migrate import upgrade

    from accounts import service as accounts
    from accounts.models import Role
    from app import create_app
    from core.db import db
    from tools.demo import DEMO_PASSWORD, seed_organisations

    app = create_app()
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        seed_organisations()
        org = accounts.organisation_by_slug("politie-antwerpen")
        accounts.create_user("dispatcher", DEMO_PASSWORD, Role.DISPATCHER, org, "Dispatcher")
        db.session.commit()
    return app


def actor():
    """The dispatcher as the console's actor (in the current app context)."""
    from sqlalchemy import select

    from accounts.actor import Actor
    from accounts.models import User
    from core.db import db
    from triage.models import TimelineSource

    user = db.session.execute(select(User).where(User.username == "dispatcher")).scalar_one()
    return Actor(user, None, TimelineSource.CONSOLE)


def take_probes(now: dt.datetime) -> dict:
    """The probe calls through the intake service, moved back in time; their keys."""
    from core.db import db
    from triage import service
    from triage.schemas import IncidentCreate

    made = []
    for n, (address, caller) in enumerate(zip(SPELLINGS, CALLERS, strict=True)):
        body = {"address": address, "caller_phone": caller, "persons": [VICTIM, SUSPECT]}
        incident, _ = service.create_incident(IncidentCreate.model_validate(body), actor())
        incident.received_at = now - dt.timedelta(days=90 * (3 - n))
        made.append(incident)
    db.session.commit()
    first = made[0]
    avoid = {k.value for i in made for p in i.persons for k in p.keys}
    avoid |= {i.caller_phone_index for i in made if i.caller_phone_index}
    return {
        "reference": first.reference,
        "address_index": first.address_index,
        "phone_index": service.phone_index(VICTIM["phone"]),
        "avoid": avoid,
    }


def timed(fn: Callable[[], object]) -> float:
    """Milliseconds taken by fn()."""
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def search_samples(who, queries: dict[str, str], n: int, into: dict[str, list[float]]) -> None:
    """n calls of the search service per query kind."""
    from triage import search

    for kind, q in queries.items():
        for _ in range(n):
            into[kind].append(timed(lambda q=q: search.find(who, search.classify(q))))


def repeat_samples(who, probe: dict, n: int, into: dict[str, list[float]]) -> None:
    """n new incidents at the probe's home from her phone: each repeat step timed, then undone."""
    from core import clock
    from core.db import db
    from triage import service
    from triage.models import Incident, IncidentStatus, Priority

    for _ in range(n):
        incident = Incident(
            reference=f"TMP-{uuid.uuid4().hex[:24]}",
            status=IncidentStatus.NEW,
            priority=Priority.P3,
            received_at=clock.now(),
            flags=[],
            requested_skills=[],
            address_index=probe["address_index"],
            caller_phone_index=probe["phone_index"],
        )
        db.session.add(incident)
        db.session.flush()
        into["count_prior"].append(timed(lambda i=incident: service.count_prior(i)))
        into["prior_incidents"].append(timed(lambda i=incident: service.prior_incidents(i)))
        into["mark_repeat"].append(timed(lambda i=incident: service.mark_repeat(i, who)))
        db.session.rollback()


def measure(apps: dict, probes: dict, samples: int, warm: int = 20) -> dict[str, dict]:
    """One sample of every figure on one schema, then on the other (the order swapped each
    time), so that the machine's other work falls on both alike; p50/p99 per figure, the
    first `warm` samples dropped."""
    from core.db import db

    kinds = (*QUERIES, *STEPS)
    taken = {name: {k: [] for k in kinds} for name in apps}
    order = list(apps)
    for n in range(warm + samples):
        for name in order if n % 2 else order[::-1]:
            into = taken[name] if n >= warm else {k: [] for k in kinds}
            with apps[name].app_context():
                who = actor()
                search_samples(who, {**QUERIES, "reference": probes[name]["reference"]}, 1, into)
                repeat_samples(who, probes[name], 1, into)
                db.session.remove()
    return {name: {k: summary(v) for k, v in figures.items()} for name, figures in taken.items()}


def summary(values: list[float]) -> dict[str, float]:
    """p50, p99 (nearest rank) and the sample count."""
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, int(round(0.99 * len(ordered))) - 1)]
    return {
        "p50_ms": round(statistics.median(ordered), 3),
        "p99_ms": round(p99, 3),
        "n": len(ordered),
    }


@contextlib.contextmanager
def statements(engine) -> Iterator[list[tuple[str, object]]]:
    """The SQL statements (with parameters) sent while the block runs."""
    from sqlalchemy import event

    sent: list[tuple[str, object]] = []

    def keep(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
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


def explain(app, probe: dict) -> dict[str, list[dict]]:
    """EXPLAIN ANALYZE of each statement one call of each figure sends (loaded schema)."""
    from core.db import db

    found: dict[str, list[dict]] = {}
    with app.app_context():
        for kind in (*QUERIES, "repeat"):
            who = actor()  # loaded before: its query is the benchmark's, not the figure's
            with statements(db.engine) as sent:
                if kind == "repeat":
                    repeat_samples(who, probe, 1, {k: [] for k in STEPS})
                else:
                    query = {kind: QUERIES[kind] or probe["reference"]}
                    search_samples(who, query, 1, {kind: []})
            db.session.rollback()
            found[kind] = [analyse(db, sql, params) for sql, params in sent]
        db.session.remove()
    return found


def analyse(db, sql: str, params) -> dict:
    """The scans of one statement's plan, its time, and any sequential scan of a big table."""
    with db.engine.connect() as conn:
        doc = conn.exec_driver_sql(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", params).scalar_one()
    doc = json.loads(doc) if isinstance(doc, str) else doc
    nodes = list(plan_nodes(doc[0]["Plan"]))
    scans = sorted(
        {
            f"{n['Node Type']} {n.get('Index Name') or n.get('Relation Name')}"
            for n in nodes
            if "Scan" in n["Node Type"]
        }
    )
    big = ("incident", "person", "person_key", "status_event", "person_record")
    seq = [s for s in scans if s.startswith("Seq Scan") and s.split()[-1] in big]
    return {
        "sql": " ".join(sql.split())[:160],
        "ms": doc[0]["Execution Time"],
        "scans": scans,
        "seq_scans": seq,
    }


def run(incidents: int, samples: int) -> dict:
    """Two schemas, the probes in both, the background in one; measure; explain."""
    from core import clock

    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        urls = {
            name: stack.enter_context(servers.postgres_schema(DB)) for name in ("empty", "loaded")
        }
        started = time.monotonic()
        apps = {name: make_app(url, tmp) for name, url in urls.items()}
        now = clock.now()
        probes = {}
        for name, app in apps.items():
            with app.app_context():
                probes[name] = take_probes(now)
        took = {"migrate_s": time.monotonic() - started}
        with apps["loaded"].app_context():
            from core.db import db

            started = time.monotonic()
            shape = search_load.shape_for(incidents)
            bases = search_load.highest_ids(db.engine)
            plan = search_load.draw(shape, bases, now, probes["loaded"]["avoid"])
            took["draw_s"] = time.monotonic() - started
            counts = search_load.load(db.engine, plan)
            took["load_s"] = time.monotonic() - started - took["draw_s"]
            del plan
        print(f"loaded {counts}; " + ", ".join(f"{k} {v:.0f}" for k, v in took.items()), flush=True)
        started = time.monotonic()
        figures = measure(apps, probes, samples)
        plans = explain(apps["loaded"], probes["loaded"])
        took["measure_s"] = time.monotonic() - started
        for app in apps.values():
            with app.app_context():
                from core.db import db

                db.session.remove()
                db.engine.dispose()
    return {
        "incidents": incidents,
        "rows": counts,
        "goal_ratio": GOAL,
        "figures": figures,
        "plans": plans,
        **{k: round(v, 1) for k, v in took.items()},
    }


def table(result: dict) -> str:
    """The figures side by side with their ratio (p99 loaded / p99 empty)."""
    head = (
        f"{'figure':<26}{'empty p50/p99 ms':>20}{'loaded p50/p99 ms':>20}{'ratio p50/p99':>16}  met"
    )
    lines = [head]
    empty, loaded = result["figures"]["empty"], result["figures"]["loaded"]
    for kind in (*QUERIES, *STEPS):
        e, f = empty[kind], loaded[kind]
        r50, r99 = f["p50_ms"] / e["p50_ms"], f["p99_ms"] / e["p99_ms"]
        label = f"search by {kind}" if kind in QUERIES else f"repeat {kind}"
        lines.append(
            f"{label:<26}{e['p50_ms']:>9.2f} /{e['p99_ms']:>8.2f}{f['p50_ms']:>10.2f} /"
            f"{f['p99_ms']:>8.2f}{r50:>8.2f} /{r99:>6.2f}  {'yes' if r99 <= GOAL else 'NO'}"
        )
    return "\n".join(lines)


def main() -> int:
    """Parse options, run, print the table and the plans (JSON last when asked)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=200_000)
    parser.add_argument("--samples", type=int, default=400)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = run(args.incidents, args.samples)
    print(table(result))
    for kind, plans in result["plans"].items():
        for p in plans:
            flag = f"  SEQUENTIAL SCAN: {p['seq_scans']}" if p["seq_scans"] else ""
            print(f"plan {kind}: {p['ms']:.2f} ms {', '.join(p['scans'])}{flag}")
    if args.json:
        print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
