"""Scheduler failover on PostgreSQL (issue 9): two `flask --app wsgi scheduler run` processes.

One leads (an advisory lock on its own connection), the other waits. The leader escalates an
unacknowledged assignment once, then is killed with SIGKILL; the other takes over within
SCHEDULER_LEASE_S, escalates the second level and builds the morning packets, each once.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import requests
from sqlalchemy import Engine, create_engine, text

import config
from app import create_app
from core.jobs import registered
from tests.conftest import bearer, require_service
from tools import servers

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

LEASE_S = 15  # the default SCHEDULER_LEASE_S, which the take-over must beat
ACK_TIMEOUT_S = 8  # the first scan (15 s after the lead starts) finds the call 8–15 s old
INTERVAL = {job.id: job.every_s for job in registered(create_app(config.TestingConfig()))}


@dataclass
class Night:
    """A schema with one gunicorn for the API, and the scheduler processes' environment."""

    env: dict[str, str]
    url: str
    token: str
    db: Engine
    logs: Path

    def scalar(self, sql: str, **params):
        """One value from the schema."""
        with self.db.connect() as conn:
            return conn.execute(text(sql), params).scalar()


@pytest.fixture
def night(tmp_path: Path) -> Iterator[Night]:
    """A migrated, seeded schema and an API server on it (which runs no scheduler)."""
    db_url = os.environ.get("TEST_DATABASE_URL", "")
    require_service(bool(db_url), "the scheduler failover test needs TEST_DATABASE_URL")
    with servers.postgres_schema(db_url) as schema_url:
        env = servers.base_env(schema_url, tmp_path, ACK_TIMEOUT_S=str(ACK_TIMEOUT_S))
        servers.prepare(env)
        token = servers.token_for(env, "dispatcher")
        port, engine = servers.free_port(), create_engine(schema_url)
        api = servers.start_gunicorn(env, port, tmp_path / "api.log")
        try:
            yield Night(env, f"http://127.0.0.1:{port}", token, engine, tmp_path)
        finally:
            servers.kill_group(api)
            engine.dispose()


def wait_for(check, within: float, what: str, logs: list[Path]):
    """Poll until `check()` returns something truthy; fail with the schedulers' logs if not."""
    deadline = time.monotonic() + within
    while not (value := check()):
        if time.monotonic() > deadline:
            tails = "\n".join(f"--- {log.name}\n{servers.log_tail(log, 1500)}" for log in logs)
            pytest.fail(f"not within {within:.0f} s: {what}\n{tails}")
        time.sleep(0.2)
    return value


def leader(night: Night) -> str | None:
    """`host:pid` of the scheduler whose heartbeat is the latest."""
    return night.scalar("SELECT holder FROM scheduler_heartbeat WHERE id = 1")


def unacknowledged_call(night: Night) -> tuple[int, int]:
    """An incident with a note for CAW, and an assignment nobody acknowledges."""
    headers = bearer(night.token)
    with requests.Session() as http:
        incident = http.post(
            f"{night.url}/api/v1/incidents",
            json={"address": "Carnotstraat 12, 2060 Antwerpen", "flags": ["weapon"]},
            headers=headers,
            timeout=10,
        ).json()
        note = {
            "summary": "Ruzie tussen partners; slachtoffer vraagt opvolging.",
            "consent": "yes",
            "legal_basis": "consent",
            "organisations": ["caw-antwerpen"],
        }
        path = f"{night.url}/api/v1/incidents/{incident['id']}"
        written = http.post(f"{path}/handover-notes", json=note, headers=headers, timeout=10)
        assert written.status_code == 201, written.text
        units = http.get(f"{night.url}/api/v1/units", headers=headers, timeout=10).json()["items"]
        unit = next(u for u in units if u["status"] == "available")
        sent = http.post(
            f"{path}/assignments", json={"unit_id": unit["id"]}, headers=headers, timeout=10
        )
        assert sent.status_code == 201, sent.text
    return incident["id"], sent.json()["id"]


def test_scheduler_failover_takes_over_within_the_lease_and_acts_once(night: Night) -> None:
    zone = ZoneInfo("Europe/Brussels")
    # The schedulers are other processes on the wall clock; the handover passes before the kill.
    handover_at = dt.datetime.now(zone) + dt.timedelta(seconds=12)  # clock-ok: other processes
    env = {
        **night.env,
        "SCHEDULER_LEASE_S": str(LEASE_S),
        "HANDOVER_TIME": handover_at.strftime("%H:%M:%S"),
    }
    logs = [night.logs / "scheduler-1.log", night.logs / "scheduler-2.log"]
    first = servers.start_scheduler(env, logs[0])
    procs = [first]
    try:
        wait_for(lambda: leader(night) == f"{socket.gethostname()}:{first.pid}", 20, "a lead", logs)
        procs.append(servers.start_scheduler(env, logs[1]))
        incident_id, assignment_id = unacknowledged_call(night)

        def lines(kind: str) -> int:
            return night.scalar(
                "SELECT count(*) FROM status_event WHERE incident_id = :i AND kind = :k",
                i=incident_id,
                k=kind,
            )

        scan = INTERVAL["escalation-scan"]
        wait_for(lambda: lines("escalation.level1"), scan + 5, "the leader's first page", logs)
        assert "another scheduler leads" in servers.log_tail(logs[1])
        servers.kill_group(first)  # SIGKILL: its connection, and so its lock, dies with it
        killed_at = time.monotonic()
        second = f"{socket.gethostname()}:{procs[1].pid}"
        wait_for(lambda: leader(night) == second, LEASE_S, "the other scheduler leads", logs)
        assert time.monotonic() - killed_at <= LEASE_S
        wait_for(lambda: lines("escalation.level2"), scan + 5, "the supervisor alarm", logs)
        partners = night.scalar("SELECT count(*) FROM organisation WHERE receives_handover")
        wait_for(  # every partner's packet, not merely the first one committed
            lambda: night.scalar("SELECT count(*) FROM handover_packet") >= partners > 0,
            INTERVAL["handover"] + 10,
            "the morning packets",
            logs,
        )
        packets = night.scalar("SELECT count(*) FROM handover_packet")
    finally:
        for proc in procs:
            servers.kill_group(proc)

    assert (lines("escalation.level1"), lines("escalation.level2")) == (1, 1)
    assert (
        night.scalar(
            "SELECT count(*) FROM message WHERE assignment_id = :a AND kind = 'repage'",
            a=assignment_id,
        )
        == 1
    )
    assert (
        packets
        == partners
        == night.scalar(
            "SELECT count(DISTINCT (organisation_id, handover_date)) FROM handover_packet"
        )
    )
    assert (
        night.scalar(
            "SELECT count(*) FROM handover_packet_note n "
            "JOIN handover_packet p ON p.id = n.packet_id "
            "JOIN organisation o ON o.id = p.organisation_id WHERE o.slug = 'caw-antwerpen'"
        )
        == 1
    )
    assert [servers.log_tail(log).count("scheduler leading") for log in logs] == [1, 1]
