"""The supervisor's /statistics page (issue 21) in Chromium at 1366×768: a week of nights with
known calls, the charts drawn, nothing wider than the screen, the CSV as a download; a screenshot
of the page and of its print view is kept in tests/artifacts/."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.browser.conftest import DEMO_PASSWORD, ROOT, _server_env, screenshot

pytestmark = pytest.mark.browser

BXL = ZoneInfo("Europe/Brussels")
NIGHTS = 7
# Calls written straight into the live server's database: created at chosen times in the last
# seven nights (the API only creates calls "now"), each with a demo unit assigned after a delay.
SEED = """
import datetime as dt, random, sys
from zoneinfo import ZoneInfo
from sqlalchemy import select
from wsgi import app
from core.db import db
from dispatch.models import Assignment, AssignmentStatus, Unit
from triage.models import Incident, Priority

zone = ZoneInfo("Europe/Brussels")
first = dt.date.fromisoformat(sys.argv[1])
nights = int(sys.argv[2])
districts = ["Antwerpen", "Borgerhout", "Deurne", "Berchem", "Merksem", "Hoboken", None]
rng = random.Random(21)
total = 0
with app.app_context():
    units = db.session.execute(select(Unit.id)).scalars().all()
    for n in range(nights):
        start = dt.datetime.combine(first + dt.timedelta(days=n), dt.time(22), tzinfo=zone)
        for k in range(8 + 2 * n % 7):
            at = (start + dt.timedelta(minutes=rng.randrange(0, 9 * 60))).astimezone(dt.UTC)
            incident = Incident(
                reference=f"NW-STAT-{n:02d}{k:02d}",
                created_at=at,
                received_at=at,
                priority=Priority(rng.choice(["P1", "P2", "P2", "P3", "P3", "P3", "P4"])),
                district=rng.choice(districts),
            )
            db.session.add(incident)
            db.session.flush()
            if rng.random() < 0.9:
                delay = rng.choice([15, 25, 35, 40, 48, 55, 62, 75, 95, 140])
                db.session.add(Assignment(
                    incident_id=incident.id, unit_id=rng.choice(units),
                    status=AssignmentStatus.CLEARED, assigned_at=at + dt.timedelta(seconds=delay),
                ))
            total += 1
    db.session.commit()
    # The page counts every real call of those nights: with the other tests' calls taken during
    # the last of them (when this runs after midnight, before the night ends), not only ours.
    from sqlalchemy import and_, func, or_
    from stats.periods import nights as night_periods
    spans = night_periods(first, first + dt.timedelta(days=nights - 1), zone)
    others = db.session.execute(
        select(func.count(Incident.id)).where(
            Incident.exercise.is_not(True),
            ~Incident.reference.like("NW-STAT-%"),
            or_(*(and_(Incident.created_at >= p.start, Incident.created_at < p.end)
                  for p in spans)),
        )
    ).scalar_one()
print(total + others)
"""


def run(instance: Path, url: str, args: list[str], stdin: str | None = None) -> str:
    """A Python or flask command on the live server's instance; its stdout."""
    port = int(url.rsplit(":", 1)[1])
    done = subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=_server_env(instance, port),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0 or "already" in done.stderr, done.stderr[-2000:]
    return done.stdout


@pytest.fixture(scope="module")
def week(live_server: str, live_instance: Path) -> dict[str, Any]:
    """Calls in the last seven nights and a supervisor of our own (who enrols a second factor)."""
    yesterday = dt.datetime.now(BXL).date() - dt.timedelta(days=1)  # clock-ok: live wall clock
    first = yesterday - dt.timedelta(days=NIGHTS - 1)
    calls = int(run(live_instance, live_server, ["-c", SEED, first.isoformat(), str(NIGHTS)]))
    command = ["-m", "flask", "--app", "wsgi", "user", "create", "stats-supervisor"]
    command += ["--role", "supervisor", "--organisation", "politie-antwerpen", "--password-stdin"]
    run(live_instance, live_server, command, stdin=DEMO_PASSWORD + "\n")
    return {"first": first, "last": yesterday, "calls": calls}


def log_in_and_enrol(page: Any) -> None:
    """Log in as our supervisor; the first time, enrol the second factor on the way."""
    import pyotp

    page.goto("/login")
    page.fill("#username", "stats-supervisor")
    page.fill("#password", DEMO_PASSWORD)
    with page.expect_navigation():
        page.press("#password", "Enter")
    page.wait_for_url("**/2fa/enrol")
    secret = page.locator("code.secret").inner_text().strip()
    page.fill("#code", pyotp.TOTP(secret).now())
    with page.expect_navigation():
        page.click("main form button[type=submit]")


def test_a_supervisor_reads_a_week_of_nights_at_1366_by_768(page, week):
    page.set_viewport_size({"width": 1366, "height": 768})
    log_in_and_enrol(page)
    page.goto("/statistics")
    page.get_by_role("link", name="Laatste 7 nachten").click()
    page.wait_for_url("**/statistics?*group=night*")
    total = page.locator("#table-calls tfoot td").first
    assert total.inner_text() == str(week["calls"])
    rows = page.locator("#table-calls tbody tr")
    assert rows.count() == NIGHTS
    assert rows.first.locator("th").inner_text() == f"nacht van {week['first'].isoformat()}"
    for chart in ("calls", "processing", "hours", "districts"):
        svg = page.locator(f"svg[aria-labelledby='chart-{chart}-title chart-{chart}-desc']")
        assert svg.is_visible() and svg.locator("rect").count() > 0, chart
    wide = page.evaluate("() => document.documentElement.scrollWidth")
    assert wide <= 1366  # nothing to scroll sideways at 1366×768
    screenshot(page, "statistics.png")

    download = page.request.get(page.locator("a", has_text="CSV downloaden").get_attribute("href"))
    assert download.status == 200
    first, last = week["first"].isoformat(), week["last"].isoformat()
    assert download.headers["content-disposition"] == (
        f"attachment; filename=nachtwacht-statistiek-{first}-{last}.csv"
    )
    assert download.text().splitlines()[-1].startswith("total,")

    page.get_by_role("link", name="Afdrukweergave").click()
    page.wait_for_url("**/statistics/print?*")
    printed = page.locator("#table-calls").inner_text()
    assert "\tx\t" in printed and "<5" not in printed  # small counts hidden, one mark for all
    screenshot(page, "statistics-print.png")
