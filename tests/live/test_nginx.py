"""The production topology with real parts: nginx in front of two gunicorn processes and the
scheduler, on PostgreSQL and Redis. A call goes intake → recommendation → assignment → signed
SMS `ACK` through nginx, and two consoles (websocket; long-polling first) see it live.

The commands are those of the README's "Deploying multi-process" section (checked below)."""

from __future__ import annotations

import os
import random
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
import socketio
from requests.adapters import HTTPAdapter
from sqlalchemy import create_engine, text
from twilio.request_validator import RequestValidator

from deploy import serve
from tests.conftest import require_service
from tools import servers

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]

TWILIO_TOKEN = "nginx-test-twilio-auth-token"
CLIENT = "127.0.0.2"  # the intake's own address: nginx sees it, the app must too
SPOOFED = "198.51.100.66"  # what that client claims in its own X-Forwarded-For
README_PORTS, README_PREFIX = (8080, 8001), "/var/lib/nachtwacht/nginx"


@pytest.fixture
def services() -> tuple[str, str, str]:
    """nginx, PostgreSQL and Redis, or skip (fail under CI=true)."""
    nginx = serve.find_nginx()
    require_service(nginx is not None, "the nginx test needs nginx (Debian: apt-get install nginx)")
    db_url, redis_url = os.environ.get("TEST_DATABASE_URL"), os.environ.get("TEST_REDIS_URL")
    require_service(bool(db_url), "the nginx test needs TEST_DATABASE_URL (PostgreSQL)")
    require_service(bool(redis_url), "the nginx test needs TEST_REDIS_URL (Redis)")
    return nginx, db_url, redis_url


def consecutive_ports(n: int) -> int:
    """The first of `n` free consecutive loopback ports, below the ephemeral range.

    Outgoing connections (to PostgreSQL, Redis, ...) take ephemeral ports, so a free one found
    there may be gone a moment later when gunicorn binds it.
    """
    for _ in range(200):
        first = random.randrange(20000, 32000 - n)
        try:
            with ExitStack() as stack:
                for port in range(first, first + n):
                    sock = stack.enter_context(socket.socket())
                    sock.bind(("127.0.0.1", port))
            return first
        except OSError:
            continue
    raise RuntimeError(f"no {n} consecutive free ports")


def commands(listen: int, first: int, prefix: str) -> list[serve.Command]:
    """The README's commands for nginx on `listen` and two processes from `first`."""
    conf = f"{prefix}/nginx.conf"
    return [
        serve.migrate(),
        serve.web(first),
        serve.web(first + 1),
        serve.scheduler(),
        serve.render_nginx(f"127.0.0.1:{listen}", first, 2, conf),
        serve.nginx(prefix, conf),
    ]


class Topology:
    """Processes started from `serve.Command`s, each in its own group with a log file."""

    def __init__(self, env: dict[str, str], nginx: str, logs: Path):
        self.env, self.nginx, self.logs = env, nginx, logs
        self.procs: list[tuple[str, subprocess.Popen]] = []

    def run(self, command: serve.Command) -> None:
        """Run to completion (fail with its output)."""
        result = subprocess.run(
            command.resolved(self.nginx),
            cwd=servers.ROOT,
            env={**self.env, **command.env},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, f"{command.shell()}\n{result.stderr[-3000:]}"

    def start(self, command: serve.Command) -> subprocess.Popen:
        """Start in the background, output to logs/<name>.log."""
        with open(self.logs / f"{command.name}.log", "ab") as out:
            proc = subprocess.Popen(
                command.resolved(self.nginx),
                cwd=servers.ROOT,
                env={**self.env, **command.env},
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.procs.append((command.name, proc))
        return proc

    def output(self) -> str:
        """The end of every process's log, for failure messages."""
        return "\n".join(
            f"--- {p.name}\n{p.read_text(errors='replace')[-2000:]}"
            for p in sorted(self.logs.glob("*.log"))
        )

    def stop(self) -> None:
        """SIGTERM every group, then SIGKILL whatever is left."""
        for _, proc in reversed(self.procs):
            serve.signal_group(proc, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for _, proc in self.procs:
            with suppress(subprocess.TimeoutExpired):
                proc.wait(max(0.1, deadline - time.monotonic()))
            serve.signal_group(proc, signal.SIGKILL)
            proc.wait()


@contextmanager
def nginx_prefix() -> Iterator[str]:
    """A prefix nginx's workers can use even as www-data (pytest's tmp dirs are 0700)."""
    prefix = tempfile.mkdtemp(prefix="nachtwacht-nginx-")
    os.chmod(prefix, 0o755)
    try:
        yield prefix
    finally:
        shutil.rmtree(prefix, ignore_errors=True)


@dataclass
class Running:
    """A started topology: nginx's URL, environment, a token, a process's URL, nginx's prefix."""

    public: str
    env: dict[str, str]
    token: str  # a dispatcher's
    upstream: str
    prefix: Path

    @property
    def board(self) -> dict[str, str]:
        """The dispatcher's Authorization header."""
        return {"Authorization": f"Bearer {self.token}"}


@contextmanager
def topology(services, tmp_path: Path) -> Iterator[Running]:
    """Migrate and seed, then start two processes, the scheduler and nginx (README commands)."""
    nginx_bin, db_url, redis_url = services
    with servers.postgres_schema(db_url) as schema_url, nginx_prefix() as prefix:
        env = servers.base_env(
            schema_url,
            tmp_path / "instance",
            REDIS_URL=redis_url,
            SOCKETIO_CHANNEL=f"nw-nginx-{uuid.uuid4().hex[:6]}",
            TRUSTED_PROXIES="1",
            TWILIO_AUTH_TOKEN=TWILIO_TOKEN,
        )
        (tmp_path / "logs").mkdir()
        procs = Topology({**env, "NACHTWACHT_ENV": "production"}, nginx_bin, tmp_path / "logs")
        procs.run(serve.migrate())
        servers.flask(env, "demo", "seed")  # demo data (refused in production) for the flow
        first = consecutive_ports(3)  # two processes, then nginx
        listen, public = first + 2, f"http://127.0.0.1:{first + 2}"
        env["PUBLIC_BASE_URL"] = procs.env["PUBLIC_BASE_URL"] = public
        _, web_a, web_b, scheduler, render, proxy = commands(listen, first, prefix)
        try:
            webs = [procs.start(web_a), procs.start(web_b)]
            procs.start(scheduler)
            procs.run(render)
            procs.start(proxy)
            token = servers.token_for(env, "dispatcher")  # while the processes boot
            for port, proc in zip((first, first + 1), webs, strict=True):
                servers.wait_healthy(f"http://127.0.0.1:{port}", proc)
            wait_complete(public)
            yield Running(public, env, token, f"http://127.0.0.1:{first}", Path(prefix))
        except BaseException:
            print(procs.output())
            raise
        finally:
            procs.stop()


def wait_complete(public: str, timeout: float = 30.0) -> None:
    """Wait until /healthz through nginx sees the database, Redis and a leading scheduler."""
    deadline, last = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        try:
            last = requests.get(f"{public}/healthz", timeout=2).json()
            if last["status"] == "ok" and last["redis"] == "ok" and last["scheduler"] is not None:
                return
        except (requests.RequestException, ValueError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the topology did not become healthy through nginx: {last}")


class FromAddress(HTTPAdapter):
    """Connect from a given loopback address (as a client on another machine would)."""

    def __init__(self, address: str):
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


class Console:
    """A Socket.IO client on /console that records the events it receives."""

    NAMES = ("incident.created", "assignment.created", "unit.status", "message.received")

    def __init__(self, public: str, token: str, transports: list[str]):
        self.events: list[tuple[str, dict]] = []
        self.changed = threading.Condition()
        self.client = socketio.Client(reconnection=False)
        for name in self.NAMES:
            self.client.on(name, self._recorder(name), namespace="/console")
        self.client.connect(
            public,
            namespaces=["/console"],
            auth={"token": token},
            headers={"Authorization": f"Bearer {token}"},  # the handshake needs it
            transports=transports,
            wait_timeout=10,
        )

    def _recorder(self, name: str):
        def record(data):
            with self.changed:
                self.events.append((name, data))
                self.changed.notify_all()

        return record

    def wait_for(self, name: str, timeout: float = 10.0, **match) -> dict:
        """The first `name` event whose payload has the given values."""
        with self.changed:
            found = self.changed.wait_for(lambda: self._find(name, match), timeout)
        assert found, f"no {name} {match}; got {[n for n, _ in self.events]}"
        return found

    def upgraded(self, timeout: float = 5.0) -> bool:
        """Whether the client is (or soon gets) on the websocket transport."""
        deadline = time.monotonic() + timeout
        while self.client.transport() != "websocket" and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.client.transport() == "websocket"

    def _find(self, name: str, match: dict) -> dict | None:
        return next(
            (
                d
                for n, d in self.events
                if n == name and all(d.get(k) == v for k, v in match.items())
            ),
            None,
        )


def signed_sms(public: str, phone: str, body: str, sid: str, url: str | None = None):
    """POST an inbound SMS signed by Twilio over `url` (the public URL by default)."""
    path = "/webhooks/twilio/sms"
    params = {"MessageSid": sid, "From": phone, "To": "+3230000000", "Body": body}
    signature = RequestValidator(TWILIO_TOKEN).compute_signature((url or public) + path, params)
    return requests.post(
        public + path, data=params, headers={"X-Twilio-Signature": signature}, timeout=10
    )


def test_readme_gives_the_commands_this_test_runs():
    readme = (servers.ROOT / "README.md").read_text()
    section = readme.split("## Deploying multi-process", 1)[1].split("\n## ", 1)[0]
    for command in commands(README_PORTS[0], README_PORTS[1], README_PREFIX):
        assert command.shell() in section, command.shell()


def test_a_call_through_nginx_reaches_both_consoles(services, tmp_path):
    with topology(services, tmp_path) as running:
        consoles = [
            Console(running.public, running.token, ["websocket"]),
            Console(running.public, running.token, ["polling", "websocket"]),
        ]
        try:
            incident = take_calls(running, consoles)
            unit_id = assign(running, consoles, incident)
            acknowledge(running, consoles, unit_id)
            for console in consoles:  # the long-polling one upgraded through nginx as well
                assert console.upgraded(), console.client.transport()
            revoke_token(running, consoles)
        finally:
            for console in consoles:
                console.client.disconnect()
        check_nginx_log(running.prefix / "access.log")


def take_calls(running: Running, consoles: list[Console]) -> dict:
    """Two intakes from another address (round robin puts one on each process); return one."""
    intake = requests.Session()
    intake.mount("http://", FromAddress(CLIENT))
    call = {"address": "Carnotstraat 12, 2060 Antwerpen", "narrative": "Geroep en glasbreuk."}
    incidents = []
    for _ in range(2):
        response = intake.post(
            f"{running.public}/api/v1/incidents",
            json=call,
            headers={**running.board, "X-Forwarded-For": SPOOFED},
            timeout=10,
        )
        assert response.status_code == 201, response.text
        incidents.append(response.json())
    for console in consoles:
        for incident in incidents:
            console.wait_for("incident.created", id=incident["id"])
    # The audit has the client's address: not nginx's (127.0.0.1), not the spoofed one.
    assert audit_addresses(running.env, incidents[0]["id"]) == {CLIENT}
    return incidents[0]


def assign(running: Running, consoles: list[Console], incident: dict) -> int:
    """Assign the first recommended unit; return its id."""
    url = f"{running.public}/api/v1/incidents/{incident['id']}"
    recommended = requests.get(f"{url}/recommendations", headers=running.board, timeout=10)
    assert recommended.status_code == 200, recommended.text
    unit_id = recommended.json()["items"][0]["unit_id"]
    assigned = requests.post(
        f"{url}/assignments", json={"unit_id": unit_id}, headers=running.board, timeout=10
    )
    assert assigned.status_code == 201, assigned.text
    for console in consoles:
        console.wait_for("assignment.created", incident_id=incident["id"], unit_id=unit_id)
        console.wait_for("unit.status", id=unit_id, status="assigned")
    return unit_id


def acknowledge(running: Running, consoles: list[Console], unit_id: int) -> None:
    """The unit answers ACK by a Twilio-signed SMS webhook through nginx."""
    units = requests.get(
        f"{running.public}/api/v1/units?per_page=100", headers=running.board, timeout=10
    )
    phone = next(u["phone"] for u in units.json()["items"] if u["id"] == unit_id)
    # Twilio signs the public URL; a signature over the process's own address is refused.
    forged = signed_sms(running.public, phone, "ACK", "SMnginx0", url=running.upstream)
    assert forged.status_code == 403
    acked = signed_sms(running.public, phone, "ACK", "SMnginx1")
    assert acked.status_code == 200 and "<Message>" in acked.text
    for console in consoles:
        console.wait_for("unit.status", id=unit_id, status="acknowledged")
        console.wait_for("message.received", code="ack", unit_id=unit_id)


def revoke_token(running: Running, consoles: list[Console]) -> None:
    """Revoking the token on the command line ends its live feed on every process (via Redis)."""
    from accounts.login import token_hash

    engine = create_engine(running.env["DATABASE_URL"])
    try:
        with engine.connect() as conn:
            token_id = conn.execute(
                text("SELECT id FROM api_token WHERE token_hash = :h"),
                {"h": token_hash(running.token)},
            ).scalar_one()
    finally:
        engine.dispose()
    servers.flask(running.env, "token", "revoke", str(token_id))
    deadline = time.monotonic() + 10
    while any(c.client.connected for c in consoles) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(c.client.connected for c in consoles)


def audit_addresses(env: dict[str, str], incident_id: int) -> set[str | None]:
    """The client addresses the audit recorded for an incident's creation."""
    engine = create_engine(env["DATABASE_URL"])
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT client_addr FROM audit_event WHERE action = 'create' "
                    "AND object_type = 'incident' AND object_id = :id"
                ),
                {"id": incident_id},
            )
            return {r[0] for r in rows}
    finally:
        engine.dispose()


LOG_LINE = re.compile(r'"(?P<method>\S+) (?P<uri>\S+) [^"]*" (?P<status>\d+) \d+ \S+ (?P<up>\S+)')


def check_nginx_log(log: Path) -> None:
    """Intakes went to both processes; each console's Socket.IO stayed on one (ip_hash)."""
    lines = [m.groupdict() for m in map(LOG_LINE.search, log.read_text().splitlines()) if m]
    intake = {m["up"] for m in lines if m["method"] == "POST" and m["uri"] == "/api/v1/incidents"}
    sockets = [m for m in lines if m["uri"].startswith("/socket.io")]
    assert len(intake) == 2, f"intakes were not spread over both processes: {intake}"
    assert len({m["up"] for m in sockets}) == 1, "Socket.IO was not sticky"
    statuses = {m["status"] for m in sockets}
    assert {"101", "200"} <= statuses, f"expected websocket (101) and polling (200): {statuses}"
