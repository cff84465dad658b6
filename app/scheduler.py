"""APScheduler in one process only: inside `make run`, or `flask --app wsgi scheduler run`.

A database-level lock decides which process leads: a PostgreSQL advisory lock held on its own
connection (a dead leader's connection closes and frees it), or a file lock next to the SQLite
database. Jobs take the app, open their own session and are safe to run twice.
"""

from __future__ import annotations

import fcntl
import logging
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import text

from app.db import db

log = logging.getLogger(__name__)
LOCK_KEY = 0x4E57_5343  # "NWSC"

# (job id, seconds between runs, function taking the app)
JOBS: list[tuple[str, int, Callable[[Flask], Any]]] = []
_scheduler: BackgroundScheduler | None = None


class LeaderLock:
    """Held by the one process whose scheduler runs."""

    def __init__(self, app: Flask):
        self.app = app
        self._conn: Any = None
        self._file: Any = None

    def try_acquire(self) -> bool:
        """Take the lock if nobody holds it."""
        with self.app.app_context():
            engine = db.engine
        if engine.dialect.name == "postgresql":
            conn = engine.connect()
            got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": LOCK_KEY}).scalar()
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
            self._conn.close()
        if self._file is not None:
            self._file.close()


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
    if _scheduler is not None:
        return _scheduler
    lock = LeaderLock(app)
    if not lock.try_acquire():
        log.info("another scheduler leads; this process runs no jobs")
        return None
    app.extensions["nachtwacht.leader_lock"] = lock
    _scheduler = BackgroundScheduler(timezone=app.config["TIMEZONE"])
    for job_id, seconds, job in JOBS:
        _scheduler.add_job(
            _run,
            "interval",
            seconds=seconds,
            args=(app, job),
            id=job_id,
            name=job_id,
            max_instances=1,
            coalesce=True,
            replace_existing=True,
        )
    _scheduler.start()
    log.info("scheduler leads with %d jobs: %s", len(JOBS), ", ".join(j for j, _, _ in JOBS))
    return _scheduler


scheduler_cli = AppGroup("scheduler", help="The job scheduler (escalations, SMS, handover).")


@scheduler_cli.command("run")
@click.option("--poll", default=5.0, help="Seconds between attempts to become the leader.")
def run_scheduler(poll: float) -> None:
    """Run the scheduler in the foreground; a second one waits until the leader dies."""
    from flask import current_app

    app = current_app._get_current_object()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
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
