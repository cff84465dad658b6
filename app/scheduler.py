"""APScheduler in one process only: inside `make run`, or `flask scheduler run` later.

Jobs take ids, open their own app context and are safe to run twice; domain packages add
their jobs through `JOBS`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask

log = logging.getLogger(__name__)

# (job id, seconds between runs, function taking the app)
JOBS: list[tuple[str, int, Callable[[Flask], None]]] = []
_scheduler: BackgroundScheduler | None = None


def _run(app: Flask, job: Callable[[Flask], None]) -> None:
    with app.app_context():
        try:
            job(app)
        except Exception:  # noqa: BLE001 - a failing job must not stop the scheduler
            log.exception("scheduled job %s failed", getattr(job, "__name__", job))


def start_scheduler(app: Flask) -> BackgroundScheduler:
    """Start the background scheduler with every registered job."""
    global _scheduler
    if _scheduler is not None:
        return _scheduler
    _scheduler = BackgroundScheduler(timezone=app.config["TIMEZONE"])
    for job_id, seconds, job in JOBS:
        _scheduler.add_job(
            _run,
            "interval",
            seconds=seconds,
            args=(app, job),
            id=job_id,
            max_instances=1,
            coalesce=True,
            replace_existing=True,
        )
    _scheduler.start()
    log.info("scheduler started with %d jobs", len(JOBS))
    return _scheduler
