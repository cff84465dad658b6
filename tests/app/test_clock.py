"""One clock: services read "now" from the app's clock, which tests freeze and move.

The grep below keeps it so: a wall-clock read anywhere but `core/clock.py` fails the suite
unless its line says why (`# clock-ok: <reason>`).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from core import clock as core_clock
from core.db import db
from tests.conftest import FROZEN_AT, bearer, make_token, make_user
from triage.models import Incident

ROOT = Path(__file__).resolve().parents[2]
WALL_CLOCK = re.compile(r"\b(?:datetime\.now|datetime\.utcnow|date\.today|time\.time)\(")
ALLOWED = re.compile(r"#\s*clock-ok:\s*\S")
SKIP_DIRS = {".venv", "venv", ".git", "node_modules", "instance", "__pycache__"}


def wall_clock_reads(text: str) -> list[int]:
    """Line numbers that read the wall clock without a `# clock-ok: reason` marker."""
    return [
        number
        for number, line in enumerate(text.splitlines(), 1)
        if WALL_CLOCK.search(line) and not ALLOWED.search(line)
    ]


def python_files() -> list[Path]:
    """Every Python file of the project (code, tests, tools, benchmarks, migrations)."""
    return [
        path
        for path in ROOT.rglob("*.py")
        if not SKIP_DIRS.intersection(path.relative_to(ROOT).parts)
    ]


def test_no_wall_clock_outside_the_clock_module():
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in python_files()
        if path not in (ROOT / "core" / "clock.py", Path(__file__).resolve())
        for number in wall_clock_reads(path.read_text())
    ]
    assert offenders == [], "read core.clock.now() instead (or mark the line # clock-ok: why)"


@pytest.mark.parametrize(
    ("line", "flagged"),
    [
        ("now = dt.datetime.now(dt.UTC)", True),
        ("stamp = datetime.utcnow()", True),
        ("day = date.today()", True),
        ("t = time.time()", True),
        ("when = dt.datetime.now(zone)  # clock-ok: the browser test waits for real time", False),
        ("when = dt.datetime.now(zone)  # clock-ok:", True),  # a marker needs a reason
        ("now = clock.now()", False),
        ("started = time.monotonic()", False),
    ],
)
def test_the_grep_catches_wall_clock_reads(line, flagged):
    assert bool(wall_clock_reads(line)) is flagged


def test_a_frozen_clock_stamps_what_the_app_writes(app, client, clock):
    make_user(app, "an", "dispatcher")
    headers = bearer(make_token(app, "an"))
    created = client.post("/api/v1/incidents", json={"address": "Carnotstraat 12"}, headers=headers)
    assert created.status_code == 201, created.get_json()
    clock.advance(minutes=5)
    path = f"/api/v1/incidents/{created.get_json()['id']}"
    patched = client.patch(path, json={"narrative": "Buren horen geroep."}, headers=headers)
    assert patched.status_code == 200, patched.get_json()
    with app.app_context():
        incident = db.session.execute(select(Incident)).scalar_one()
        assert incident.received_at == incident.created_at == FROZEN_AT
        assert incident.updated_at == FROZEN_AT + dt.timedelta(minutes=5)


def test_frozen_clock_sets_and_advances():
    frozen = core_clock.FrozenClock(FROZEN_AT)
    assert frozen.now() == FROZEN_AT
    assert frozen.advance(minutes=90) == FROZEN_AT + dt.timedelta(minutes=90)
    zone = dt.timezone(dt.timedelta(hours=1))
    assert frozen.set(dt.datetime(2027, 3, 28, 3, 0, tzinfo=zone)).tzinfo == dt.UTC
    with pytest.raises(ValueError):
        frozen.set(dt.datetime(2027, 3, 28, 3, 0))


def test_outside_an_app_the_clock_is_the_system_clock(app, clock):
    assert core_clock.now() != clock.now()  # no app context here: the frozen clock is the app's
    with app.app_context():
        assert core_clock.now() == FROZEN_AT
