"""Redis stopped and started under two server processes (issue 9).

The test runs a Redis of its own on a free port. While it is down the API keeps answering and
stores everything, and consoles that (re)connect resync from the board snapshot; once it is
back, consoles that stayed connected (and so missed the events) are told to resync, and an event
made on process A reaches a console on process B again.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
import socketio
from sqlalchemy import create_engine, text

from tests.conftest import bearer, require_service
from tools import servers
from tools.demo import DEMO_PASSWORD

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]


@dataclass
class Console:
    """A console as console.js runs it: on (re)connect and on `board.resync` it reloads the board.

    It connects with an API token; `login` checks the browser's way in separately.
    """

    url: str
    token: str
    created: list[str] = field(default_factory=list)  # references of live incident.created
    snapshots: list[set[str]] = field(default_factory=list)  # references in each snapshot
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.client = socketio.Client(reconnection_delay=0.2, reconnection_delay_max=1)
        self.client.on("connect", self._resync, namespace="/console")
        self.client.on("board.resync", lambda _: self._resync(), namespace="/console")
        self.client.on("incident.created", self._created, namespace="/console")

    def _resync(self) -> None:
        board = requests.get(
            f"{self.url}/api/v1/board", headers=bearer(self.token), timeout=10
        ).json()
        with self.lock:
            self.snapshots.append({i["reference"] for i in board["incidents"]})

    def _created(self, data: dict) -> None:
        with self.lock:
            self.created.append(data["reference"])

    def connect(self) -> None:
        """Open the websocket (the console's transport)."""
        self.client.connect(
            self.url,
            namespaces=["/console"],
            auth={"token": self.token},
            headers={"Authorization": f"Bearer {self.token}"},  # the handshake needs it
            transports=["websocket"],
            wait_timeout=10,
        )

    def knows(self, reference: str) -> bool:
        """Whether the console shows the incident (live event or latest snapshot)."""
        with self.lock:
            return reference in self.created or bool(
                self.snapshots and reference in self.snapshots[-1]
            )


def eventually(check, within: float, what: str) -> None:
    """Poll `check` until it holds, or fail naming `what`."""
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"not within {within} s: {what}")
        time.sleep(0.1)


def login(url: str, username: str) -> int:
    """Log in through the form (with its CSRF token); the status of the POST."""
    with requests.Session() as http:
        page = http.get(f"{url}/login", timeout=5).text
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
            r'value="([^"]+)"[^>]*name="csrf_token"', page
        )
        assert token, "no CSRF token on /login"
        form = {"username": username, "password": DEMO_PASSWORD, "csrf_token": token.group(1)}
        return http.post(f"{url}/login", data=form, allow_redirects=False, timeout=5).status_code


@dataclass
class Topology:
    """Two gunicorn processes on one schema and one Redis the test controls."""

    env: dict[str, str]
    logs: Path
    redis_port: int
    ports: list[int]
    token: str
    schema_url: str
    procs: dict[str, object] = field(default_factory=dict)

    def url(self, name: str) -> str:
        """Process `a` or `b`."""
        return f"http://127.0.0.1:{self.ports['ab'.index(name)]}"

    def start(self, name: str) -> None:
        """Start process `a` or `b` (again) on its port."""
        port = self.ports["ab".index(name)]
        self.procs[name] = servers.start_gunicorn(self.env, port, self.logs / f"{name}.log")

    def start_redis(self) -> None:
        """Start (or restart) the test's Redis on its port."""
        self.procs["redis"] = servers.start_redis(self.redis_port)

    def kill(self, name: str) -> None:
        """SIGKILL a process (`a`, `b` or `redis`)."""
        servers.kill_group(self.procs.pop(name))

    def intake(self, name: str, address: str) -> str:
        """Create an incident through process `name`; its reference."""
        response = requests.post(
            f"{self.url(name)}/api/v1/incidents",
            json={"address": address},
            headers=bearer(self.token),
            timeout=5,  # a Redis that is down must not make the API hang
        )
        assert response.status_code == 201, response.text
        return response.json()["reference"]


@pytest.fixture
def topology(tmp_path: Path) -> Iterator[Topology]:
    """Redis on a free port, two servers using it as their message queue, a dispatcher token."""
    db_url = os.environ.get("TEST_DATABASE_URL", "")
    require_service(bool(db_url), "the Redis fault test needs TEST_DATABASE_URL (PostgreSQL)")
    require_service(bool(shutil.which("redis-server")), "the Redis fault test runs redis-server")
    redis_port = servers.free_port()
    with servers.postgres_schema(db_url) as schema_url:
        env = servers.base_env(
            schema_url,
            tmp_path,
            REDIS_URL=f"redis://127.0.0.1:{redis_port}/0",
            SOCKETIO_CHANNEL=f"nw-redis-{uuid.uuid4().hex[:6]}",
        )
        servers.prepare(env)
        top = Topology(
            env,
            tmp_path,
            redis_port,
            [servers.free_port(), servers.free_port()],
            servers.token_for(env, "dispatcher"),
            schema_url,
        )
        try:
            top.start_redis()
            top.start("a")
            top.start("b")
            yield top
        finally:
            for name in list(top.procs):
                top.kill(name)


def stored(schema_url: str, references: list[str]) -> int:
    """How many of these incidents the database holds."""
    engine = create_engine(schema_url)
    try:
        with engine.connect() as conn:
            return conn.execute(
                text("SELECT count(*) FROM incident WHERE reference = ANY(:r)"),
                {"r": references},
            ).scalar_one()
    finally:
        engine.dispose()


def test_redis_outage_keeps_the_api_up_and_consoles_heal(topology: Topology) -> None:
    top = topology
    on_a, on_b = Console(top.url("a"), top.token), Console(top.url("b"), top.token)
    on_a.connect()
    on_b.connect()
    try:
        before = top.intake("a", "Meir 1, 2000 Antwerpen")
        eventually(lambda: on_b.knows(before), 10, "an event from A reaches B with Redis up")

        top.kill("redis")
        during = [top.intake("ab"[n % 2], f"Kiel {n + 1}, 2020 Antwerpen") for n in range(6)]
        assert stored(top.schema_url, during) == len(during)
        health = requests.get(f"{top.url('a')}/healthz", timeout=5)
        assert health.status_code == 200 and health.json()["redis"] == "error"
        assert login(top.url("a"), "dispatcher") == 302  # rate limits fall back to memory

        top.kill("b")  # B restarts while Redis is still down: its console reconnects
        top.start("b")
        eventually(
            lambda: len(on_b.snapshots) >= 2 and set(during) <= on_b.snapshots[-1],
            15,
            "the console on B reconnects and its snapshot holds the calls made without Redis",
        )

        top.start_redis()
        eventually(
            lambda: set(during) <= on_a.snapshots[-1],
            15,
            "the console on A, connected throughout, reloads the board once Redis is back",
        )
        deadline, after = time.monotonic() + 30, []
        while not (after and on_b.knows(after[-1]) and on_a.knows(after[-1])):
            assert time.monotonic() < deadline, "events from A do not reach B after Redis returned"
            after.append(top.intake("a", f"Bredabaan {len(after) + 1}, 2170 Antwerpen"))
            time.sleep(0.5)
        assert requests.get(f"{top.url('b')}/healthz", timeout=5).json()["redis"] == "ok"
    finally:
        on_a.client.disconnect()
        on_b.client.disconnect()
