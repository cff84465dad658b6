"""A realistic year bulk-loaded into a migrated PostgreSQL database with COPY (psycopg 3).

Incidents spread over the last 365 nights (22:00-07:00 Europe/Brussels, busiest before 02:00),
their priorities, districts and about 3 % exercises; per incident the persons (victim, suspect,
sometimes a child), the screens (immediate danger always, DASH for most, LAP for some of the
urgent ones, with their levels), the timeline (created, screens, assignment, the unit's
acknowledged / en route / on scene / available, closed), the assignment or two (assigned,
acknowledged, first en route and on scene, and ended times; a few escalated), their crews, the
SMS (the assignment out, the unit's replies in: about 2.5 per incident), referrals (about a
third) and handover notes (one in ten) with their partner organisations; and the partners'
07:00 packets holding the real notes.

Case columns hold real ciphertext made by the columns' own types (one ciphertext per kind of
value, encrypted once: the load measures tables, not Fernet), so reading a row back works. The
database must be migrated and hold the demo organisations, users and units (`tools.demo`).
Then, with `--audit-events` (2,000,000 by default), that many chained audit events over the year
through `bench/load_audit.py` (skipped with a message while it is not there). Rows are drawn a
chunk of incidents at a time, so memory stays flat at any size. The COPY scaffold (indexes
dropped and rebuilt, replica mode, sequences, ANALYZE) is `tools.bulkload`, shared with
`bench/search_load.py`.

    python bench/load_year.py --url postgresql+psycopg://.../nachtwacht_bench
        [--incidents N] [--audit-events N]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import select, text  # noqa: E402

from tools import bulkload  # noqa: E402

CHUNK = 10_000  # incidents drawn and copied at a time
PRIORITIES = {"P1": 18, "P2": 25, "P3": 45, "P4": 12}
DISTRICTS = {
    "Antwerpen": 30, "Berchem": 9, "Borgerhout": 10, "Deurne": 13, "Ekeren": 4, "Hoboken": 8,
    "Merksem": 8, "Wilrijk": 7, "Borsbeek": 2, "Berendrecht-Zandvliet-Lillo": 1, None: 1,
}  # fmt: skip
HOURS = [14, 15, 14, 12, 10, 8, 6, 5, 6]  # calls per hour of the night from 22:00
DASH_LEVEL = {"P1": "high", "P2": "high", "P3": "medium", "P4": "standard"}
REPLIES = ("OK", "ONDERWEG", "TERPLAATSE", "VRIJ")
UNIT_STATES = ("assigned", "acknowledged", "en_route", "on_scene", "available")
TABLES = {
    "incident": "id reference status priority received_at closed_at address_text "
    "address_normalised address_index address_key postcode district location_quality "
    "caller_phone narrative flags requested_skills children_present disposition restricted "
    "legal_hold exercise created_by_id created_at updated_at dispatched_at",
    "person": "id incident_id role name age",
    "assessment": "id incident_id instrument_id instrument_version version answers score level "
    "computed_level unknown_count priority result created_by_id created_at",
    "assignment": "id incident_id unit_id status assigned_at acknowledged_at en_route_at "
    "on_scene_at ended_at assigned_by_id page_count escalation_level last_update_at",
    "assignment_crew": "assignment_id user_id",
    "status_event": "id occurred_at incident_id unit_id kind from_state to_state data actor_id "
    "actor_label source",
    "message": "id direction incident_id unit_id assignment_id kind to_number from_number body "
    "status attempts created_at sent_at updated_at",
    "referral": "id incident_id kind status reason recorded_by_id recorded_at",
    "handover_note": "id incident_id author_id version content legal_basis consent urgent "
    "created_at",
    "handover_note_target": "note_id organisation_id",
    "handover_packet": "id organisation_id handover_date window_start window_end created_at "
    "acknowledged_at",
    "handover_packet_note": "packet_id note_id",
}
COLUMNS = {table: names.split() for table, names in TABLES.items()}


@dataclass
class World:
    """What the rows refer to: units with their crews, users, partners; ids handed out."""

    units: list[tuple[int, str, list[int]]]  # id, phone, member user ids
    dispatcher: int
    partners: list[int]
    secret: dict[str, str]  # one ciphertext per kind of value
    ids: Counter = field(default_factory=Counter)
    notes: list[tuple[dt.datetime, int, list[int]]] = field(default_factory=list)

    def next(self, table: str) -> int:
        """The next id of a table."""
        self.ids[table] += 1
        return self.ids[table]


def ciphertexts() -> dict[str, str]:
    """Valid ciphertext through the columns' own types (reading a row back decrypts it)."""
    from core.db import CaseJSON, CaseText

    words, blob = CaseText(), CaseJSON()
    plain = {"address": "Benchmarkstraat 1, 2000 Antwerpen", "phone": "+32470000000"}
    plain |= {"narrative": "Buurvrouw hoort geroep en slagen.", "name": "Bench Persoon"}
    plain |= {"sms": "NT-11: NW-2031-000001 P2 Benchmarkstraat 1 2000 Antwerpen"}
    found = {k: words.process_bind_param(v, None) for k, v in plain.items()}
    found["answers"] = blob.process_bind_param({"suspect_present": "yes", "weapon": "no"}, None)
    found["content"] = blob.process_bind_param({"summary": "Bench: nota voor de partner."}, None)
    return found  # type: ignore[return-value]


def world() -> World:
    """Read the demo units, crews, dispatcher and partner organisations (app context)."""
    from accounts.models import Organisation, User
    from core.db import db
    from dispatch.models import Unit, UnitMember

    members: dict[int, list[int]] = {}
    for unit_id, user_id in db.session.execute(select(UnitMember.unit_id, UnitMember.user_id)):
        members.setdefault(unit_id, []).append(user_id)
    units = [(u.id, u.phone, members.get(u.id, [])) for u in db.session.scalars(select(Unit))]
    who = select(User.id).where(User.username == "dispatcher")
    partners = select(Organisation.id).where(Organisation.receives_handover.is_(True))
    return World(
        units=units,
        dispatcher=db.session.execute(who).scalar_one(),
        partners=list(db.session.execute(partners).scalars()),
        secret=ciphertexts(),
    )


def night_times(n: int, now: dt.datetime, rng: random.Random) -> list[dt.datetime]:
    """n moments over the last 365 nights, 22:00-07:00 local, in order."""
    from core import clock

    zone, today = clock.zone(), now.astimezone(clock.zone()).date()
    starts = [
        dt.datetime.combine(today - dt.timedelta(days=d), dt.time(22), tzinfo=zone).astimezone(
            dt.UTC
        )
        for d in range(1, 366)
    ]
    hours = rng.choices(range(len(HOURS)), HOURS, k=n)
    return sorted(
        rng.choice(starts) + dt.timedelta(seconds=h * 3600 + rng.uniform(0, 3600)) for h in hours
    )


def draw(w: World, moments: list[dt.datetime], rng: random.Random) -> dict[str, list[tuple]]:
    """The rows of these incidents (and everything that hangs off them), per table."""
    rows: dict[str, list[tuple]] = {t: [] for t in TABLES if not t.startswith("handover_packet")}
    for at in moments:
        _incident(w, at, rng, rows)
    return rows


def _incident(w: World, at: dt.datetime, rng: random.Random, rows: dict) -> None:
    from triage.models import format_reference

    s, iid = w.secret, w.next("incident")
    priority = rng.choices(list(PRIORITIES), list(PRIORITIES.values()))[0]
    district = rng.choices(list(DISTRICTS), list(DISTRICTS.values()))[0]
    exercise = rng.random() < 0.03
    closed = at + dt.timedelta(minutes=rng.uniform(40, 200))
    children = rng.random() < 0.25
    sent = rng.random() < 0.92
    first = at + dt.timedelta(seconds=rng.lognormvariate(4.2, 0.6))  # median about 67 s
    rows["incident"].append(
        (iid, format_reference(at.year, iid), "closed", priority, at, closed, s["address"],
         s["address"], f"{rng.getrandbits(64):016x}", s["address"], "2000", district, "street",
         s["phone"], s["narrative"], _flags(rng), "[]", children, "resolved_on_scene", False, False,
         exercise, w.dispatcher, at, closed, first if sent else None)
    )  # fmt: skip
    for role in ("victim", "suspect", *(["child"] if children else [])):
        rows["person"].append((w.next("person"), iid, role, s["name"], rng.randint(3, 70)))
    _event(w, rows, at, iid, None, "incident.created")
    _screens(w, at, iid, priority, rng, rows)
    if sent:
        _assignment(w, first, closed, iid, rng, rows, escalated=rng.random() < 0.06)
        if rng.random() < 0.05:
            _assignment(w, first + dt.timedelta(minutes=8), closed, iid, rng, rows, False)
    _event(w, rows, closed, iid, None, "incident.closed")
    _referrals(w, closed, iid, children, rng, rows)
    if rng.random() < 0.10:
        _note(w, closed, iid, exercise, rng, rows)


def _flags(rng: random.Random) -> str:
    """Danger and system flags as JSON: repeat victimisation and orders in force among them."""
    found = ["weapon"] if rng.random() < 0.1 else []
    found += ["escalation_pattern"] if rng.random() < 0.08 else []
    found += ["order_in_force"] if rng.random() < 0.03 else []
    return json.dumps(found)


def _event(w, rows, at, iid, unit, kind, old=None, new=None) -> None:
    rows["status_event"].append(
        (w.next("status_event"), at, iid, unit, kind, old, new, "{}", w.dispatcher, "dispatcher",
         "sms" if unit else "console")
    )  # fmt: skip


def _screens(w: World, at, iid: int, priority: str, rng: random.Random, rows: dict) -> None:
    screens = [("immediate-danger", "immediate" if priority == "P1" else "none", 3.0)]
    if rng.random() < 0.8:
        screens.append(("dash", DASH_LEVEL[priority], float(rng.randint(0, 27))))
    if priority in ("P1", "P2") and rng.random() < 0.35:
        screens.append(("lap", rng.choice(("screened_in", "not_screened_in")), 1.0))
    for n, (instrument, level, score) in enumerate(screens):
        when = at + dt.timedelta(seconds=20 + 60 * n)
        rows["assessment"].append(
            (w.next("assessment"), iid, instrument, "1.0", 1, w.secret["answers"], score, level,
             level, 0, priority, "{}", w.dispatcher, when)
        )  # fmt: skip
        _event(w, rows, when, iid, None, "assessment.scored")


def _assignment(w: World, first, closed, iid: int, rng, rows: dict, escalated: bool) -> None:
    aid = w.next("assignment")
    unit_id, phone, crew = rng.choice(w.units)
    steps = [first]
    for low, high in ((20, 150), (10, 90), (240, 900), (1200, 4800)):
        steps.append(steps[-1] + dt.timedelta(seconds=rng.uniform(low, high)))
    ended = min(steps[-1], closed)
    en_route, on_scene = (at if at <= ended else None for at in steps[2:4])  # as dispatch.flows
    rows["assignment"].append(
        (aid, iid, unit_id, "cleared", first, steps[1], en_route, on_scene, ended, w.dispatcher,
         2 if escalated else 1, int(escalated), ended)
    )  # fmt: skip
    rows["assignment_crew"] += [(aid, user) for user in crew]
    _event(w, rows, first, iid, unit_id, "assignment.created")
    if escalated:  # no acknowledgement in time: the supervisor was alerted (dispatch.escalation)
        _event(w, rows, first + dt.timedelta(seconds=120), iid, unit_id, "escalation.level1")
    moves = zip(UNIT_STATES, UNIT_STATES[1:], strict=False)
    for (old, new), when in zip(moves, steps[1:], strict=True):
        _event(w, rows, when, iid, unit_id, "unit.status", old, new)
    s = w.secret
    rows["message"].append(
        (w.next("message"), "out", iid, unit_id, aid, "assignment", phone, None, s["sms"],
         "failed" if rng.random() < 0.02 else "delivered", 1, first, first, first)
    )  # fmt: skip
    for reply, when in zip(REPLIES, steps[1:], strict=True):
        if rng.random() < 0.38:  # most units report by SMS now and then, not every step
            rows["message"].append(
                (w.next("message"), "in", iid, unit_id, aid, reply.lower(), "+3235550100",
                 phone, s["sms"], "received", 0, when, None, when)
            )  # fmt: skip


def _referrals(w: World, at, iid: int, children: bool, rng, rows: dict) -> None:
    kinds = ["victim_support"] if rng.random() < 0.33 else []
    kinds += ["child_abuse_centre"] if children and rng.random() < 0.4 else []
    for kind in kinds:
        status = rng.choice(("suggested", "offered", "accepted", "accepted", "declined"))
        rows["referral"].append(
            (w.next("referral"), iid, kind, status, "dash_high", w.dispatcher, at)
        )


def _note(w: World, at, iid: int, exercise: bool, rng, rows: dict) -> None:
    nid = w.next("handover_note")
    basis = rng.choice(("consent", "consent", "case_consultation_458ter", "report_458bis"))
    author = rng.choice(rng.choice(w.units)[2] or [w.dispatcher])
    rows["handover_note"].append(
        (nid, iid, author, 1, w.secret["content"], basis, "yes", rng.random() < 0.1, at)
    )
    targets = rng.sample(w.partners, k=min(len(w.partners), rng.randint(1, 2)))
    rows["handover_note_target"] += [(nid, org) for org in targets]
    if not exercise:  # training stays training: never in a packet
        w.notes.append((at, nid, targets))


def packets(w: World, now: dt.datetime, rng: random.Random) -> dict[str, list[tuple]]:
    """Each partner's 07:00 packet for every morning of the year, with the notes of its night."""
    from core import clock

    zone, by_morning = clock.zone(), {}
    for at, nid, targets in w.notes:
        local = at.astimezone(zone)
        morning = local.date() + dt.timedelta(days=int(local.hour >= 7))
        for org in targets:
            by_morning.setdefault((morning, org), []).append(nid)
    rows: dict[str, list[tuple]] = {"handover_packet": [], "handover_packet_note": []}
    for (morning, org), notes in sorted(by_morning.items()):
        end = dt.datetime.combine(morning, dt.time(7), tzinfo=zone).astimezone(dt.UTC)
        if end > now:
            continue
        pid = w.next("handover_packet")
        start = end - dt.timedelta(days=1)
        seen = end + dt.timedelta(hours=rng.uniform(1, 10)) if rng.random() < 0.85 else None
        rows["handover_packet"].append((pid, org, morning, start, end, end, seen))
        rows["handover_packet_note"] += [(pid, nid) for nid in notes]
    return rows


def copy_rows(cur, rows: dict[str, list[tuple]], counts: Counter) -> None:
    """COPY each table's rows in (psycopg 3 adapts dates, booleans and NULLs)."""
    for table, values in rows.items():
        if values:
            counts[table] += bulkload.copy_rows(cur, table, COLUMNS[table], values)


def chunks(n: int) -> Iterator[range]:
    """Ranges of at most CHUNK."""
    for start in range(0, n, CHUNK):
        yield range(start, min(n, start + CHUNK))


def load(
    engine, incidents: int, now: dt.datetime, seed: int = 22, audit_events: int = 0
) -> dict[str, Any]:
    """Load the year (app context: ciphertext and the demo units come from it); counts and
    seconds. Through tools.bulkload: secondary indexes dropped for the load and rebuilt after,
    foreign-key triggers off (the rows are consistent by construction), then sequences move on
    and ANALYZE. Then `audit_events` chained audit events over the same year, when asked."""
    from core.db import db

    rng, w, counts = random.Random(seed), world(), Counter()
    for table in (t for t in TABLES if "id" in COLUMNS[t]):  # ids go on after what is there
        w.ids[table] = db.session.scalar(text(f"SELECT coalesce(max(id), 0) FROM {table}"))
    db.session.commit()
    started, moments = time.monotonic(), night_times(incidents, now, rng)
    with bulkload.bulk_cursor(engine, TABLES) as cur:
        for part in chunks(incidents):
            copy_rows(cur, draw(w, moments[part.start : part.stop], rng), counts)
            print(f"load_year: {part.stop}/{incidents} incidents", flush=True)
        copy_rows(cur, packets(w, now, rng), counts)
    copied = time.monotonic() - started
    bulkload.finish(engine, [t for t in TABLES if "id" in COLUMNS[t]])
    found = {"rows": dict(counts), "copy_s": round(copied, 1)}
    if audit_events:
        found |= load_audit(engine, audit_events, now - dt.timedelta(days=365), now)
    return found | {"load_s": time.monotonic() - started}


def load_audit(engine, n: int, start: dt.datetime, end: dt.datetime) -> dict[str, Any]:
    """n valid chained audit events over [start, end) by `bench/load_audit.py` (skipped, with
    a message, while that loader does not exist); the count and seconds."""
    try:
        from bench.load_audit import load_audit_events
    except ImportError:
        print(f"load_year: bench/load_audit.py is not there yet: {n:,} audit events skipped")
        return {"audit_events": 0, "audit_s": 0.0}
    began = time.monotonic()

    done = [0]

    def progress(k: int, *_: Any) -> None:
        done[0] += k
        print(f"load_year: {done[0]}/{n} audit events", flush=True)

    with engine.connect() as conn:
        loaded = load_audit_events(conn, n, start, end, progress=progress)  # commits
        conn.commit()
    with engine.begin() as conn:
        conn.execute(text("ANALYZE audit_event"))
    return {"audit_events": loaded, "audit_s": round(time.monotonic() - began, 1)}


def make_app(url: str, migrate: bool = True):
    """An app on the database at `url` (migrated and seeded with the demo data when asked)."""
    from tools import servers

    keep = {name: os.environ[name] for name in servers.SECRETS if os.environ.get(name)}
    os.environ.update(servers.base_env(url, Path(tempfile.gettempdir())))
    # Keys already set win: what is loaded must decrypt, and its audit chain verify, in the
    # process that reads it afterwards (run as a command on its own, set the keys in the env).
    os.environ.update(keep)
    from app import create_app
    from core.db import db
    from tools.demo import seed_organisations, seed_units, seed_users

    app = create_app()
    if migrate:
        from flask_migrate import upgrade

        with app.app_context():
            upgrade(directory=str(ROOT / "migrations"))
            seed_organisations(), seed_users(), seed_units()
            db.session.commit()
    return app


def main() -> int:
    """Load a year into the database at --url (migrated, with the demo data)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="a migrated PostgreSQL database")
    parser.add_argument("--incidents", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=22)
    parser.add_argument(
        "--audit-events", type=int, default=2_000_000, help="chained audit events (0: none)"
    )
    args = parser.parse_args()
    from core import clock
    from core.db import db

    app = make_app(args.url, migrate=False)
    with app.app_context():
        result = load(db.engine, args.incidents, clock.now(), args.seed, args.audit_events)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
