"""Faults survived, on PostgreSQL and Redis with real gunicorn processes (issue 9).

A server killed mid-traffic loses no intake it acknowledged and never doubles one; database
connections cut under traffic heal through pool pre-ping and leave nothing half-written; a storm
of replayed SMS webhooks is applied once; two dispatchers racing for one unit get one 201 and one
409. The tests share one migrated, seeded schema (preparing one costs seconds) and each works on
units and incidents of its own; `assert_consistent` checks the whole schema, so every test also
re-checks what the earlier ones left behind.
"""

from __future__ import annotations

import itertools
import os
import queue
import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import pytest
import requests
from sqlalchemy import Engine, create_engine, text
from twilio.request_validator import RequestValidator

from tests.conftest import bearer, require_service
from tests.triage.helpers import DASH_ITEMS, answers
from tools import servers

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

SEED = int(os.environ.get("FAULT_SEED", "20261124"))
TWILIO_TOKEN = "live-fault-twilio-auth-token"
STREETS = ("Carnotstraat", "Turnhoutsebaan", "Kiel", "Bredabaan", "Lange Kievitstraat", "Meir")
_phones = itertools.count(1)


@dataclass
class Live:
    """The shared schema: server environment, the test's own connection, tokens, a log folder."""

    env: dict[str, str]
    db: Engine  # the test's own connection: another application_name than the servers'
    app_name: str  # what the servers' connections call themselves in pg_stat_activity
    board: dict[str, str]  # a dispatcher's token headers
    admin: dict[str, str]  # a supervisor's token headers (unit administration)
    logs: Path

    def rows(self, sql: str, **params) -> list:
        """Run a query on the shared schema."""
        with self.db.connect() as conn:
            return list(conn.execute(text(sql), params))


def services() -> tuple[str, str]:
    """TEST_DATABASE_URL and TEST_REDIS_URL, or skip (fail under CI=true)."""
    db_url, redis_url = os.environ.get("TEST_DATABASE_URL", ""), os.environ.get("TEST_REDIS_URL")
    require_service(bool(db_url), "the fault tests need TEST_DATABASE_URL (PostgreSQL)")
    require_service(bool(redis_url), "the fault tests need TEST_REDIS_URL (Redis)")
    return db_url, str(redis_url)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """A migrated, seeded schema whose servers connect as `nw-fault-<id>`."""
    db_url, redis_url = services()
    logs = tmp_path_factory.mktemp("faults")
    tag = uuid.uuid4().hex[:8]
    with servers.postgres_schema(db_url) as schema_url:
        env = servers.base_env(
            f"{schema_url}&application_name=nw-fault-{tag}",
            logs,
            REDIS_URL=redis_url,
            SOCKETIO_CHANNEL=f"nw-fault-{tag}",
            TWILIO_AUTH_TOKEN=TWILIO_TOKEN,
        )
        servers.prepare(env)
        board = bearer(servers.token_for(env, "dispatcher"))
        admin = bearer(servers.token_for(env, "supervisor"))
        engine = create_engine(schema_url, connect_args={"application_name": f"nw-test-{tag}"})
        try:
            yield Live(env, engine, f"nw-fault-{tag}", board, admin, logs)
        finally:
            engine.dispose()


@pytest.fixture
def server(live: Live, request: pytest.FixtureRequest) -> Iterator[str]:
    """One gunicorn process on the shared schema, stopped after the test."""
    log = live.logs / f"{request.node.name}.log"
    port = servers.free_port()
    proc = servers.start_gunicorn(live.env, port, log)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        servers.kill_group(proc)


# --- Factories over the HTTP API -------------------------------------------------------------


def call(rng: random.Random) -> dict:
    """A plausible intake body."""
    return {
        "address": f"{rng.choice(STREETS)} {rng.randint(1, 200)}, Antwerpen",
        "caller_phone": f"0470 {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)}",
        "persons": [{"role": "victim", "name": "Slachtoffer", "age": rng.randint(18, 80)}],
        "narrative": "Buren horen geroep en glasbreuk.",
        "children_present": rng.random() < 0.3,
    }


def intake(http: requests.Session, url: str, live: Live, rng: random.Random, **headers) -> dict:
    """Create an incident; fail the test unless it is created."""
    response = http.post(
        f"{url}/api/v1/incidents", json=call(rng), headers={**live.board, **headers}, timeout=10
    )
    assert response.status_code == 201, response.text
    return response.json()


def make_units(http: requests.Session, url: str, live: Live, count: int) -> list[dict]:
    """Create available units with fresh call signs and phone numbers."""
    units = []
    for _ in range(count):
        n = next(_phones)
        phone = f"+32490{n:06d}"
        body = {"call_sign": f"F-{uuid.uuid4().hex[:6]}", "phone": phone, "languages": ["nl"]}
        created = http.post(f"{url}/api/v1/units", json=body, headers=live.admin, timeout=10)
        assert created.status_code == 201, created.text
        unit = created.json()
        status = http.post(
            f"{url}/api/v1/units/{unit['id']}/status",
            json={"status": "available"},
            headers=live.board,
            timeout=10,
        )
        assert status.status_code == 200, status.text
        units.append(status.json())
    return units


def assign(http: requests.Session, url: str, live: Live, incident_id: int, unit_id: int):
    """POST an assignment; the response as is."""
    return http.post(
        f"{url}/api/v1/incidents/{incident_id}/assignments",
        json={"unit_id": unit_id},
        headers=live.board,
        timeout=10,
    )


def release(http: requests.Session, url: str, live: Live, assignment_id: int):
    """POST a release; the response as is."""
    return http.post(
        f"{url}/api/v1/assignments/{assignment_id}/release",
        json={"reason": "test round over"},
        headers=live.board,
        timeout=10,
    )


# --- What must hold after any fault ----------------------------------------------------------

ON_INCIDENT = "('assigned', 'acknowledged', 'en_route', 'on_scene', 'transporting')"
CONSISTENCY = {
    "incident without exactly one incident.created line": """
        SELECT i.id FROM incident i WHERE (SELECT count(*) FROM status_event e
        WHERE e.incident_id = i.id AND e.kind = 'incident.created') <> 1""",
    "incident without its audit row": """
        SELECT i.id FROM incident i WHERE NOT EXISTS (SELECT 1 FROM audit_event a
        WHERE a.object_type = 'incident' AND a.action = 'create' AND a.object_id = i.id)""",
    "assessment without its timeline line": """
        SELECT a.id FROM assessment a WHERE NOT EXISTS (SELECT 1 FROM status_event e
        WHERE e.kind = 'assessment.scored' AND (e.data ->> 'assessment_id')::int = a.id)""",
    "assessment line without its assessment": """
        SELECT e.id FROM status_event e WHERE e.kind = 'assessment.scored' AND NOT EXISTS
        (SELECT 1 FROM assessment a WHERE a.id = (e.data ->> 'assessment_id')::int)""",
    "assignment without its outbox SMS": """
        SELECT s.id FROM assignment s WHERE NOT EXISTS (SELECT 1 FROM message m
        WHERE m.assignment_id = s.id AND m.kind = 'assignment')""",
    "assignment without its audit row": """
        SELECT s.id FROM assignment s WHERE NOT EXISTS (SELECT 1 FROM audit_event a
        WHERE a.object_type = 'assignment' AND a.action = 'create' AND a.object_id = s.id)""",
    "assignments and assignment.created lines differ": """
        SELECT s.incident_id FROM assignment s GROUP BY s.incident_id HAVING count(*) <>
        (SELECT count(*) FROM status_event e
         WHERE e.incident_id = s.incident_id AND e.kind = 'assignment.created')""",
    "ended assignment without its end line": """
        SELECT s.id FROM assignment s WHERE s.status <> 'active' AND (s.ended_at IS NULL
        OR NOT EXISTS (SELECT 1 FROM status_event e WHERE e.incident_id = s.incident_id
        AND e.unit_id = s.unit_id AND e.kind = 'assignment.' || s.status))""",
    "unit with two active assignments": """
        SELECT unit_id FROM assignment WHERE status = 'active'
        GROUP BY unit_id HAVING count(*) > 1""",
    "unit status disagrees with its assignments": f"""
        SELECT u.id FROM unit u WHERE (u.status IN {ON_INCIDENT}) <> EXISTS
        (SELECT 1 FROM assignment s WHERE s.unit_id = u.id AND s.status = 'active')""",
    "active assignment on an incident not dispatched or on scene": """
        SELECT s.id FROM assignment s JOIN incident i ON i.id = s.incident_id
        WHERE s.status = 'active' AND i.status NOT IN ('dispatched', 'on_scene')""",
    "audit event that does not follow the one before": """
        SELECT id FROM (SELECT id, prev_hash, lag(hash) OVER (ORDER BY id) AS before
        FROM audit_event) chain WHERE before IS NOT NULL AND prev_hash <> before""",
    "audit head that disagrees with the chain": """
        SELECT h.id FROM audit_head h WHERE h.appended <> (SELECT count(*) FROM audit_event)
        OR h.last_hash <> (SELECT hash FROM audit_event ORDER BY id DESC LIMIT 1)""",
}


def assert_consistent(live: Live) -> None:
    """No half-written incident, assessment or assignment; unit states match; audit chain whole."""
    broken = {name: ids for name, sql in CONSISTENCY.items() if (ids := live.rows(sql))}
    assert broken == {}


# --- Killed server ---------------------------------------------------------------------------


def post_intake(http: requests.Session, url: str, live: Live, key: str, body: dict):
    """One intake with its Idempotency-Key."""
    headers = {**live.board, "Idempotency-Key": key}
    return http.post(f"{url}/api/v1/incidents", json=body, headers=headers, timeout=10)


def stored_keys(live: Live, keys: list[str]) -> dict[str, str]:
    """The stored form of each Idempotency-Key sent with the board's token → the key."""
    from accounts.login import token_hash
    from triage.service import scoped_key

    raw = live.board["Authorization"].split()[1]
    [(token_id,)] = live.rows("SELECT id FROM api_token WHERE token_hash = :h", h=token_hash(raw))
    actor = SimpleNamespace(token=SimpleNamespace(id=token_id), user=None)
    return {scoped_key(actor, key): key for key in keys}


def until_answered(http: requests.Session, url: str, live: Live, key: str, body: dict, within=30):
    """Send an intake again until the server answers (it may still be starting)."""
    deadline = time.monotonic() + within
    while True:
        try:
            return post_intake(http, url, live, key, body)
        except requests.RequestException:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_killed_server_loses_no_acknowledged_intake_and_doubles_none(live: Live) -> None:
    rng = random.Random(SEED)
    prefix = f"kill-{uuid.uuid4().hex[:8]}"
    bodies = {f"{prefix}-{n:03d}": call(rng) for n in range(200)}
    kill_after = rng.randint(20, 180)  # the power cut comes after this many answers
    port, log = servers.free_port(), live.logs / "killed-server.log"
    url = f"http://127.0.0.1:{port}"
    todo: queue.Queue[str] = queue.Queue()
    for key in bodies:
        todo.put(key)
    acknowledged: dict[str, tuple[int, int]] = {}  # key → (status, incident id) before the kill
    lock, cut, killed = threading.Lock(), threading.Event(), threading.Event()

    def client() -> None:
        with requests.Session() as http:
            while not killed.is_set():
                try:
                    key = todo.get_nowait()
                except queue.Empty:
                    return
                try:
                    response = post_intake(http, url, live, key, bodies[key])
                except requests.RequestException:
                    continue  # sent into the kill: the retry below settles it
                with lock:
                    acknowledged[key] = (response.status_code, response.json().get("id"))
                    if len(acknowledged) >= kill_after:
                        cut.set()

    proc = servers.start_gunicorn(live.env, port, log)
    with ThreadPoolExecutor(10) as pool:
        clients = [pool.submit(client) for _ in range(10)]
        assert cut.wait(60), f"only {len(acknowledged)} intakes were answered"
        servers.kill_group(proc)  # SIGKILL to master and worker: nothing gets to clean up
        killed.set()
    assert [c.result() for c in clients] == [None] * 10
    before = dict(acknowledged)
    assert {status for status, _ in before.values()} == {201}

    sessions = threading.local()  # one keep-alive session per resending thread

    def resend(key: str) -> requests.Response:
        if not hasattr(sessions, "http"):
            sessions.http = requests.Session()
        return until_answered(sessions.http, url, live, key, bodies[key])

    proc = servers.start_gunicorn(live.env, port, log)
    try:
        with ThreadPoolExecutor(10) as pool:
            again = dict(zip(bodies, pool.map(resend, bodies), strict=True))
    finally:
        servers.kill_group(proc)
    assert {k: r.status_code for k, r in again.items() if r.status_code not in (200, 201)} == {}
    assert {k: (200, again[k].json()["id"]) for k in before} == {
        k: (again[k].status_code, incident_id) for k, (_, incident_id) in before.items()
    }
    stored_as = stored_keys(live, list(bodies))  # keys are stored per client, hashed
    stored = [
        (stored_as[key], n, first_id)
        for key, n, first_id in live.rows(
            "SELECT idempotency_key, count(*), min(id) FROM incident "
            "WHERE idempotency_key IS NOT NULL GROUP BY idempotency_key"
        )
        if key in stored_as
    ]
    assert {key: n for key, n, _ in stored if n != 1} == {}
    assert {key: incident_id for key, _, incident_id in stored} == {
        k: r.json()["id"] for k, r in again.items()
    }
    assert_consistent(live)


# --- Dropped database connections ------------------------------------------------------------


def drop_app_connections(live: Live) -> int:
    """pg_terminate_backend on every connection of the servers; how many were cut."""
    return len(
        live.rows(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND application_name = :name",
            name=live.app_name,
        )
    )


class Dispatcher:
    """Walks calls through intake → DASH → assignment → release with one unit, noting statuses."""

    def __init__(self, url: str, live: Live, unit_id: int, seed: int):
        self.url, self.live, self.unit_id = url, live, unit_id
        self.rng, self.http = random.Random(seed), requests.Session()
        self.statuses: list[tuple[str, int]] = []
        self.holding: int | None = None  # an incident that may still hold the unit

    def _send(self, step: str, method: str, path: str, headers=None, **kw) -> requests.Response:
        headers = {**self.live.board, **(headers or {})}
        response = self.http.request(method, f"{self.url}{path}", headers=headers, timeout=10, **kw)
        self.statuses.append((step, response.status_code))
        if response.status_code >= 400:
            assert "error" in response.json(), response.text  # a clean problem answer
        return response

    def free_unit(self) -> bool:
        """Release whatever assignment a failed round may have left; True when the unit is free."""
        if self.holding is None:
            return True
        listed = self._send("list", "GET", f"/api/v1/incidents/{self.holding}/assignments")
        if listed.status_code != 200:
            return False
        for a in listed.json()["items"]:
            if a["status"] == "active":
                path, why = f"/api/v1/assignments/{a['id']}/release", {"reason": "round over"}
                if self._send("release", "POST", path, json=why).status_code != 200:
                    return False
        self.holding = None
        return True

    def round(self) -> bool:
        """One call; True when every step succeeded."""
        if not self.free_unit():
            return False
        key = f"drop-{uuid.uuid4().hex}"
        body, headers = call(self.rng), {"Idempotency-Key": key}
        created = self._send("intake", "POST", "/api/v1/incidents", json=body, headers=headers)
        if created.status_code != 201:
            return False
        incident = created.json()["id"]
        dash = {"instrument": "dash", "answers": answers(DASH_ITEMS, self.rng.randint(0, 20))}
        path = f"/api/v1/incidents/{incident}"
        if self._send("assess", "POST", f"{path}/assessments", json=dash).status_code != 201:
            return False
        self.holding = incident
        sent = self._send("assign", "POST", f"{path}/assignments", json={"unit_id": self.unit_id})
        if sent.status_code != 201:
            return False
        return self.free_unit()

    def run(self, stop: threading.Event) -> None:
        """Rounds until stopped."""
        while not stop.is_set():
            self.round()


def test_dropped_database_connections_heal_and_leave_nothing_half_written(
    live: Live, server: str
) -> None:
    with requests.Session() as http:
        units = make_units(http, server, live, 6)
    crew = [Dispatcher(server, live, u["id"], SEED + n) for n, u in enumerate(units)]
    stop, cut = threading.Event(), []
    with ThreadPoolExecutor(len(crew)) as pool:
        running = [pool.submit(d.run, stop) for d in crew]
        try:
            for _ in range(4):
                time.sleep(0.5)
                cut.append(drop_app_connections(live))
            time.sleep(0.5)
        finally:
            stop.set()
    assert [r.result() for r in running] == [None] * len(crew)
    during = Counter(code for d in crew for _, code in d.statuses)
    assert sum(cut) > 0 and during[201] > 0, (cut, during)
    assert set(during) <= {200, 201, 500, 503}, during  # in flight at a cut: a clean 5xx

    after = [Dispatcher(server, live, u["id"], SEED + 100 + n) for n, u in enumerate(units)]
    for dispatcher, before in zip(after, crew, strict=True):
        dispatcher.holding = before.holding
        assert dispatcher.free_unit() and dispatcher.round() and dispatcher.round()
        assert {code for _, code in dispatcher.statuses} <= {200, 201}, dispatcher.statuses
    assert_consistent(live)


# --- Double assignment -----------------------------------------------------------------------


def guarded(barrier: threading.Barrier, target, *args) -> None:
    """Run a barrier-synchronised thread; on failure break the barrier so its partner stops."""
    try:
        target(*args)
    except BaseException:
        barrier.abort()
        raise


def test_two_dispatchers_racing_for_one_unit_get_one_201_and_one_409(
    live: Live, server: str
) -> None:
    rng = random.Random(SEED)
    with requests.Session() as http:
        [unit] = make_units(http, server, live, 1)
        first, second = (intake(http, server, live, rng)["id"] for _ in range(2))
    rounds, start = 100, threading.Barrier(2, timeout=30)
    results: list[list[tuple[int, dict]]] = [[], []]

    def dispatcher(n: int) -> None:
        with requests.Session() as http:
            for r in range(rounds):
                incident = first if n == 0 or r % 2 == 0 else second  # same call, or two calls
                start.wait()
                response = assign(http, server, live, incident, unit["id"])
                results[n].append((response.status_code, response.json()))
                start.wait()
                if response.status_code == 201:
                    assert release(http, server, live, response.json()["id"]).status_code == 200
                start.wait()

    with ThreadPoolExecutor(2) as pool:
        racing = [pool.submit(guarded, start, dispatcher, n) for n in range(2)]
    assert [r.result() for r in racing] == [None, None]
    pairs = list(zip(*results, strict=True))
    assert len(pairs) == rounds
    assert [sorted(code for code, _ in pair) for pair in pairs] == [[201, 409]] * rounds
    assert {body["error"] for pair in pairs for code, body in pair if code == 409} == {"conflict"}
    assigned = live.rows(
        "SELECT status, count(*) FROM assignment WHERE unit_id = :u GROUP BY status", u=unit["id"]
    )
    assert dict(assigned) == {"released": rounds}
    assert_consistent(live)


# --- Webhook replay storm --------------------------------------------------------------------

DISPATCH_LINES = ("unit.", "sms.", "assignment.", "incident.status")
REPLIES = ("OK", "Slachtoffer is bij de buren", "ONDERWEG", "ter plaatse {ref}", "VRIJ")


def signed(url: str, params: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """Form and headers of an inbound-SMS webhook signed for the server at `url`."""
    path = "/webhooks/twilio/sms"
    signature = RequestValidator(TWILIO_TOKEN).compute_signature(url + path, params)
    return params, {"X-Twilio-Signature": signature}


def deliver(url: str, params: dict[str, str]) -> requests.Response:
    """POST one signed inbound SMS to a server."""
    form, headers = signed(url, params)
    return requests.post(f"{url}/webhooks/twilio/sms", data=form, headers=headers, timeout=30)


def timeline(live: Live, incident_id: int) -> list[tuple]:
    """What an incident's timeline says happened, in order, without ids and clocks."""
    rows = live.rows(
        "SELECT kind, from_state, to_state, data FROM status_event "
        "WHERE incident_id = :i ORDER BY id",
        i=incident_id,
    )
    return [
        (kind, before, after, {k: v for k, v in (data or {}).items() if k != "call_sign"})
        for kind, before, after, data in rows
        if kind.startswith(DISPATCH_LINES)
    ]


def test_webhook_replay_storm_is_applied_once(live: Live) -> None:
    rng = random.Random(SEED)
    ports = [servers.free_port(), servers.free_port()]
    procs = [servers.start_gunicorn(live.env, p, live.logs / f"storm-{p}.log") for p in ports]
    urls = [f"http://127.0.0.1:{p}" for p in ports]
    try:
        with requests.Session() as http:
            units = make_units(http, urls[0], live, 11)  # ten in the storm, one for comparison
            incidents = [intake(http, urls[0], live, rng) for _ in units]
            for unit, incident in zip(units, incidents, strict=True):
                assert assign(http, urls[1], live, incident["id"], unit["id"]).status_code == 201
        answered: dict[str, list[str]] = {}
        with ThreadPoolExecutor(100) as pool:
            for step, reply in enumerate(REPLIES):
                sends = []
                for n, (unit, incident) in enumerate(zip(units, incidents, strict=True)):
                    sid = f"SM{uuid.uuid4().hex}"
                    params = {
                        "MessageSid": sid,
                        "From": unit["phone"],
                        "To": "+3230000000",
                        "Body": reply.format(ref=incident["reference"]),
                    }
                    copies = 1 if n == len(units) - 1 else 10  # the last unit: each SMS once
                    sends += [(sid, urls[c % 2], params) for c in range(copies)]
                rng.shuffle(sends)
                futures = [(sid, pool.submit(deliver, u, p)) for sid, u, p in sends]
                for sid, future in futures:
                    response = future.result()
                    assert response.status_code == 200, (step, response.text)
                    answered.setdefault(sid, []).append(response.text)
    finally:
        for proc in procs:
            servers.kill_group(proc)

    confirmations = {sid: sum("<Message>" in t for t in texts) for sid, texts in answered.items()}
    assert len(confirmations) == len(REPLIES) * len(units)
    assert set(confirmations.values()) == {1}  # the first copy is applied and confirmed, once
    stored = live.rows(
        "SELECT provider_sid, count(*) FROM message WHERE direction = 'in' "
        "AND provider_sid = ANY(:sids) GROUP BY provider_sid",
        sids=list(answered),
    )
    assert len(stored) == len(answered) and {n for _, n in stored} == {1}
    once = timeline(live, incidents[-1]["id"])  # the unit whose SMS each came once
    assert [t for k, _, t, _ in once if k == "unit.status"] == [
        "assigned",
        "acknowledged",
        "en_route",
        "on_scene",
        "available",
    ]
    assert Counter(k for k, *_ in once)["sms.received"] == 4
    assert Counter(k for k, *_ in once)["sms.unparsed"] == 1
    for incident in incidents[:-1]:
        assert timeline(live, incident["id"]) == once, incident["reference"]
    ids = [u["id"] for u in units]
    assert live.rows("SELECT DISTINCT status FROM unit WHERE id = ANY(:ids)", ids=ids) == [
        ("available",)
    ]
    incident_ids = [i["id"] for i in incidents]
    assert live.rows(
        "SELECT DISTINCT status FROM incident WHERE id = ANY(:ids)", ids=incident_ids
    ) == [("cleared",)]
    assert_consistent(live)
