"""The scheduler's jobs are one explicit list in create_app; importing a module adds none."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from flask import Flask

from core.jobs import register, registered

ROOT = Path(__file__).resolve().parents[2]

EXPECTED = {
    "escalation-scan": 15,  # unacknowledged assignments and welfare checks escalate
    "sms.deliver_due": 5,  # outgoing SMS, with retries
    "sms.reconcile_sending": 60,  # SMS stuck in "sending" after a crash
    "handover": 60,  # the 07:00 packets and the 10:00 pickup reminder
    "triage-list": 60,  # the Monday triage-table list for each Veilig Huis organisation
    "statistics": 3600,  # keep the figures of nights that have settled
    "retention": 3600,  # nightly anonymisation of old case data
    "audit-anchor": 300,  # the audit chain's signed head, kept outside the database
}


def test_the_app_schedules_exactly_these_jobs(app):
    assert {job.id: job.every_s for job in registered(app)} == EXPECTED
    assert all(callable(job.run) for job in registered(app))


IMPORT_ALL = """
import importlib, pkgutil
from flask import Flask
from core.jobs import registered
bare = Flask("bare")
with bare.app_context():
    for name in ("core", "accounts", "triage", "dispatch", "handover", "app"):
        package = importlib.import_module(name)
        for module in pkgutil.walk_packages(package.__path__, name + "."):
            importlib.import_module(module.name)
print(len(registered(bare)), [j.id for j in registered(bare)])
"""


def test_importing_every_module_registers_no_job():
    # A fresh interpreter, inside a bare app's context: a module that registers a job on
    # `current_app` as a side effect of being imported shows up here.
    done = subprocess.run(
        [sys.executable, "-c", IMPORT_ALL], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "0 []"


def test_a_job_registered_twice_is_refused():
    bare = Flask("bare")
    register(bare, "retention", 3600, lambda a: None)
    with pytest.raises(ValueError, match="retention"):
        register(bare, "retention", 60, lambda a: None)
