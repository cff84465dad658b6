"""APScheduler in one process only: inside `make run`, or `flask --app wsgi scheduler run`.

A database-level lock decides which process leads: a PostgreSQL advisory lock held on its own
connection (a dead leader's connection closes and frees it), or a file lock next to the SQLite
database. A waiting process retries every third of `SCHEDULER_LEASE_S`, so it takes over well
within the lease. The leader writes a heartbeat row every third of the lease; `/healthz` reports
its age. Jobs take the app, open their own session and are safe to run twice.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from core import clock
from core.db import Base, UTCDateTime, db

if TYPE_CHECKING:  # APScheduler is imported by the one process that runs the jobs
    from apscheduler.schedulers.background import BackgroundScheduler

log = logging.getLogger(__name__)

_REGISTRY = "nachtwacht.jobs"
_scheduler: BackgroundScheduler | None = None


@dataclass(frozen=True)
class Job:
    """A periodic job: its id, seconds between runs, and the function that takes the app."""

    id: str
    every_s: int
    run: Callable[[Flask], Any]


def register(app: Flask, job_id: str, every_s: int, run: Callable[[Flask], Any]) -> None:
    """Add a job to the app's list (create_app calls this; importing a module registers none)."""
    jobs: dict[str, Job] = app.extensions.setdefault(_REGISTRY, {})
    if job_id in jobs:
        raise ValueError(f"job {job_id!r} is registered twice")
    jobs[job_id] = Job(job_id, every_s, run)


def registered(app: Flask) -> list[Job]:
    """The app's jobs, in the order they were registered."""
    return list(app.extensions.get(_REGISTRY, {}).values())


class SchedulerHeartbeat(Base):
    """One row, written by the leading scheduler: who leads and when it last beat."""

    __tablename__ = "scheduler_heartbeat"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    holder: Mapped[str] = mapped_column(String(120))
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    beat_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


def beat(app: Flask, started_at: dt.datetime) -> None:
    """Record that this process leads and is alive (upsert of the single row)."""
    row = db.session.get(SchedulerHeartbeat, 1)
    holder = f"{socket.gethostname()}:{os.getpid()}"
    if row is None:
        row = SchedulerHeartbeat(id=1, holder=holder, started_at=started_at, beat_at=clock.now())
        db.session.add(row)
    else:
        if row.holder != holder:
            row.holder, row.started_at = holder, started_at
        row.beat_at = clock.now()
    db.session.commit()


def heartbeat_age() -> float | None:
    """Seconds since the leader's last heartbeat, or None when no scheduler ever ran."""
    row = db.session.get(SchedulerHeartbeat, 1)
    if row is None:
        return None
    return max(0.0, (clock.now() - row.beat_at).total_seconds())


def lock_key(app: Flask, conn: Any) -> int:
    """The leader's advisory-lock key: SCHEDULER_LOCK_KEY, else one derived from the database.

    Advisory locks are shared by every client of a database: a fixed key made two deployments
    (or a test run beside another) on one server wait for each other's leader. The key is a
    hash of the database and schema the connection works in, as a signed 64-bit integer.
    """
    if app.config.get("SCHEDULER_LOCK_KEY"):
        return int(app.config["SCHEDULER_LOCK_KEY"])
    database, schema = conn.execute(text("SELECT current_database(), current_schema()")).one()
    digest = hashlib.sha256(f"nachtwacht-scheduler:{database}:{schema}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class LeaderLock:
    """Held by the one process whose scheduler runs."""

    def __init__(self, app: Flask):
        self.app = app
        self._conn: Any = None
        self._file: Any = None
        self.key: int | None = None

    def try_acquire(self) -> bool:
        """Take the lock if nobody holds it."""
        with self.app.app_context():
            engine = db.engine
        if engine.dialect.name == "postgresql":
            conn = engine.connect()
            self.key = lock_key(self.app, conn)
            got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self.key}).scalar()
            conn.commit()
            if got:
                self._conn = conn
            else:
                conn.close()
            return bool(got)
        path = Path(engine.url.database or "nachtwacht").with_suffix(".scheduler.lock")
        handle = open(path, "w")  # noqa: SIM115 - held open for the process's lifetime
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        self._file = handle
        return True

    def release(self) -> None:
        """Give the lock up."""
        if self._conn is not None:
            conn, self._conn = self._conn, None
            try:
                # A pooled connection outlives close(): unlock explicitly, or the lock stays held.
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self.key})
                conn.commit()
                conn.close()
            except Exception:  # noqa: BLE001 - a broken connection: drop it, freeing the lock
                conn.invalidate()
        if self._file is not None:
            self._file.close()
            self._file = None


def _run(app: Flask, job: Callable[[Flask], Any]) -> None:
    with app.app_context():
        try:
            job(app)
        except Exception:  # noqa: BLE001 - a failing job must not stop the scheduler
            log.exception("scheduled job %s failed", getattr(job, "__name__", job))
            db.session.rollback()
        finally:
            db.session.remove()


def start_scheduler(app: Flask) -> BackgroundScheduler | None:
    """Start the jobs in this process if it wins the leader lock (else stay idle)."""
    global _scheduler
    from apscheduler.schedulers.background import BackgroundScheduler

    if _scheduler is not None:
        return _scheduler
    lock = LeaderLock(app)
    if not lock.try_acquire():
        log.info("another scheduler leads; this process runs no jobs")
        return None
    app.extensions["nachtwacht.leader_lock"] = lock
    started_at = clock.now()
    _run(app, lambda a: beat(a, started_at))
    _scheduler = BackgroundScheduler(timezone=app.config["TIMEZONE"])
    every = max(1, app.config["SCHEDULER_LEASE_S"] // 3)
    jobs = [Job("heartbeat", every, lambda a: beat(a, started_at)), *registered(app)]
    for job in jobs:
        _scheduler.add_job(
            _run,
            "interval",
            seconds=job.every_s,
            args=(app, job.run),
            id=job.id,
            name=job.id,
            max_instances=1,
            coalesce=True,
            replace_existing=True,
            # A new leader catches up at once (escalations, packets), not one interval later.
            next_run_time=dt.datetime.now(dt.UTC),  # clock-ok: APScheduler runs on the wall clock
        )
    _scheduler.start()
    log.info("scheduler leads with %d jobs: %s", len(jobs), ", ".join(j.id for j in jobs))
    return _scheduler


scheduler_cli = AppGroup("scheduler", help="The job scheduler (escalations, SMS, handover).")


@scheduler_cli.command("run")
@click.option(
    "--poll",
    type=float,
    default=None,
    help="Seconds between attempts to become the leader (default: SCHEDULER_LEASE_S / 3).",
)
def run_scheduler(poll: float | None) -> None:
    """Run the scheduler in the foreground; a second one waits until the leader dies."""
    from flask import current_app

    app = current_app._get_current_object()
    poll = poll or max(1.0, app.config["SCHEDULER_LEASE_S"] / 3)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    if start_scheduler(app) is None:
        click.echo(f"another scheduler leads; this one takes over when it stops (every {poll:g} s)")
        while not stop.is_set() and start_scheduler(app) is None:
            stop.wait(poll)
    if _scheduler is None:
        return
    click.echo("scheduler leading; Ctrl-C stops it")
    try:
        while not stop.is_set():
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    if _scheduler is not None:
        _scheduler.shutdown(wait=False)
