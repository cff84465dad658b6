"""The night simulator: a deterministic, plausible plan, and a small night played over HTTP."""

from __future__ import annotations

import statistics
import time
from collections import Counter

import pytest
import requests
from sqlalchemy import func, select

from core.db import db
from dispatch import sms
from dispatch.models import Assignment, Message, MessageDirection
from dispatch.replies import parse_reply
from handover.models import HandoverNote
from handover.sharing import check_share
from tools.demo import seed_organisations, seed_units, seed_users
from tools.flask_adapter import FlaskAdapter
from tools.simulator.driver import NightDriver, Options
from tools.simulator.local import issue_credentials
from tools.simulator.plan import expected_priority, instruments, plan_night
from triage import scoring
from triage.geocoding import OfflineGeocoder
from triage.models import Assessment, Incident, IncidentStatus

KINDS = {"caw-antwerpen": "caw", "veilig-huis-antwerpen": "veilig_huis"}
KINDS["slachtofferhulp-antwerpen"] = "victim_support"


def test_the_same_seed_plans_the_same_night_and_a_longer_night_starts_alike():
    night = plan_night(42, 25)

    assert night == plan_night(42, 25)
    assert night[:10] == plan_night(42, 10)
    assert [c.narrative for c in night] != [c.narrative for c in plan_night(43, 25)]


@pytest.fixture(scope="module")
def night():
    return plan_night(7, 400)


def test_priorities_districts_and_arrivals_are_plausible(night):
    shares = Counter(c.expected_priority for c in night)
    gaps = [b.at_s - a.at_s for a, b in zip(night, night[1:], strict=False)]

    assert 0.15 <= shares["P1"] / len(night) <= 0.45
    assert 0.10 <= shares["P2"] / len(night) <= 0.40
    assert 0.25 <= shares["P3"] / len(night) <= 0.65
    assert len({c.district for c in night}) >= 8
    assert min(gaps) >= 0 and 90 <= statistics.mean(gaps) <= 150
    victims = Counter(c.persons[0].language for c in night)
    assert victims["nl"] / len(night) >= 0.5 and len(victims) >= 6


def test_every_address_geocodes_to_its_street_and_district(night):
    coder = OfflineGeocoder()

    for call in night:
        found = coder.geocode(call.address)
        assert (found.quality, found.district) == ("street", call.district), call.address


def test_answers_score_to_the_expected_priority(night):
    for call in night:
        for screen in call.screens:
            scoring.score(instruments()[screen.instrument], dict(screen.answers))  # no raise
        assert call.expected_priority == expected_priority(call.screens)
        danger = dict(call.screen("immediate-danger").answers)
        assert (call.expected_priority == "P1") == ("yes" in danger.values())


def test_replies_parse_in_order_and_notes_have_a_lawful_basis(night):
    for call in night:
        codes = [parse_reply(s.detail.replace("{ref}", "NW-2026-000001")).code for s in call.steps
                 if s.action == "reply"]  # fmt: skip
        assert codes[0] == "ack" and codes[-1] == "clear" and None not in codes
        assert [s.action for s in call.steps][-1] == "close"
        assert call.narrative.strip()
        if call.note is not None:
            kinds = {slug: KINDS[slug] for slug in call.note.organisations}
            assert check_share(call.note.legal_basis, call.note.consent, kinds) == {}


def test_a_small_night_runs_end_to_end_through_the_api(app, monkeypatch):
    monkeypatch.setitem(app.config, "TWILIO_AUTH_TOKEN", "simulator-test-token")
    with app.app_context():
        seed_organisations(), seed_users(), seed_units()
        db.session.commit()
        credentials, _ = issue_credentials(app)
    plan = [c for c in plan_night(11, 12) if c.note is not None][:3]

    def session() -> requests.Session:
        s = requests.Session()
        s.mount("http://sim.test", FlaskAdapter(app))
        return s

    options = Options(speed=0, concurrency=1, sms_wait_s=0)
    lines: list[str] = []
    stats = NightDriver(["http://sim.test"], credentials, options, lines.append, session).run(plan)

    assert stats.counts["completed"] == 3 and stats.errors == [], stats.errors
    with app.app_context():
        count = lambda q: db.session.execute(select(func.count()).select_from(q)).scalar_one()  # noqa: E731
        closed = select(Incident).where(Incident.status == IncidentStatus.CLOSED).subquery()
        inbound = select(Message).where(Message.direction == MessageDirection.INBOUND).subquery()
        assert count(closed) == 3
        assert count(select(Assessment).subquery()) == sum(len(c.screens) for c in plan)
        assert count(select(Assignment).subquery()) == 3
        assert count(inbound) == stats.counts["sms_replies"] >= 9
        assert count(select(HandoverNote).subquery()) == 3
    assert len(lines) == 3 and all(" NT-" in line for line in lines)


def test_a_flow_can_learn_that_its_unit_s_sms_left_from_a_live_feed_instead_of_asking(
    app, monkeypatch
):
    """The benchmark's flows wait on a console's live feed: the driver asks it about the
    assignment's incident and unit, times the wait, and no longer asks for the SMS thread."""
    monkeypatch.setitem(app.config, "TWILIO_AUTH_TOKEN", "simulator-test-token")
    with app.app_context():
        seed_organisations(), seed_users(), seed_units()
        db.session.commit()
        credentials, _ = issue_credentials(app)
    plan = plan_night(11, 1)
    paths: list[str] = []

    class Recording(FlaskAdapter):
        def send(self, request, **kwargs):
            paths.append(f"{request.method} {request.path_url}")
            return super().send(request, **kwargs)

    def session() -> requests.Session:
        s = requests.Session()
        s.mount("http://sim.test", Recording(app))
        return s

    asked: list[tuple[int, int]] = []

    def sms_seen(incident_id: int, unit_id: int, timeout_s: float) -> float | None:
        asked.append((incident_id, unit_id))
        with app.app_context():
            sent = sms.deliver_due(app)  # the outbox sender hands the SMS over
        return time.perf_counter() if sent else None

    options = Options(speed=0, concurrency=1, sms_wait_s=5)
    driver = NightDriver(
        ["http://sim.test"], credentials, options, lambda _: None, session, sms_seen=sms_seen
    )
    stats = driver.run(plan)

    assert stats.counts["completed"] == 1 and stats.errors == [], stats.errors
    with app.app_context():
        assignment = db.session.execute(select(Assignment)).scalar_one()
        out = db.session.execute(
            select(Message).where(Message.direction == MessageDirection.OUTBOUND)
        ).scalar_one()
        assert out.kind == "assignment" and out.sent_at is not None
    assert asked == [(assignment.incident_id, assignment.unit_id)]
    assert len(stats.samples["sms_to_backend"]) == 1 and stats.samples["sms_to_backend"][0] >= 0
    assert not [p for p in paths if p.endswith("/messages")]


def test_night_refuses_to_text_real_phones_unless_asked(app, runner, monkeypatch):
    config = app.config["CONFIG"]
    monkeypatch.setattr(config, "TWILIO_ACCOUNT_SID", "AC" + "0" * 32)
    monkeypatch.setattr(config, "TWILIO_AUTH_TOKEN", "token")
    monkeypatch.setattr(config, "TWILIO_FROM_NUMBER", "+3230000000")
    result = runner.invoke(
        args=["demo", "night", "--calls", "1", "--base-url", "http://127.0.0.1:9"]
    )
    assert result.exit_code != 0
    assert "--allow-sms" in result.output
