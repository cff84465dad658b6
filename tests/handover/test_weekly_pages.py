"""The weekly list's pages: a supervisor adds and removes cases with a reason until the list is
sent; the Veilig Huis reads, prints and acknowledges it; nothing of a restricted or another
organisation's case leaks; every step is audited."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from core.db import db
from handover.weekly import build
from handover.weekly.models import TriageListEntry
from tests.conftest import csrf_token, login
from tests.handover.helpers import audits, people
from tests.handover.weekly_helpers import at, case, list_id, week_of
from triage.models import Incident

ONE_WEEK = dt.timedelta(days=7)


@pytest.fixture
def night(app, clock, monkeypatch):
    """Last week's draft list with one DASH-high case; the clock stands just after its build."""
    monkeypatch.setitem(app.config, "TRIAGE_LIST_TIME", "08:00")
    monkeypatch.setitem(app.config, "TRIAGE_LIST_SEND_TIME", "10:00")
    people(app)
    week = week_of(clock.now()) - ONE_WEEK
    high = case(app, at(week, 2, 3), [("dash", "high")], district="Deurne")
    clock.set(at(week, 7, 8, 5))
    with app.app_context():
        build.build_week(week, clock.now())
    return {"week": week, "list": list_id(app, week), "high": high, "clock": clock}


def session(app, username):
    client = app.test_client()
    login(client, username)
    return client, csrf_token(client, "/triage-lists")


def reference(app, incident_id: int) -> str:
    with app.app_context():
        return db.session.get(Incident, incident_id).reference


def entry_of(app, incident_id: int) -> TriageListEntry:
    with app.app_context():
        return db.session.execute(
            select(TriageListEntry).where(TriageListEntry.incident_id == incident_id)
        ).scalar_one()


def test_a_supervisor_adds_and_removes_cases_with_a_reason_until_it_is_sent(app, night):
    els, token = session(app, "els")
    page = f"/triage-lists/{night['list']}"
    other = case(app, at(night["week"], 5, 4), [("dash", "medium")])
    refused = els.post(
        f"{page}/entries", data={"csrf_token": token, "reference": reference(app, other)}
    )
    assert refused.status_code == 422 and "Geef de reden op." in refused.get_data(as_text=True)
    added = els.post(
        f"{page}/entries",
        data={"csrf_token": token, "reference": reference(app, other), "reason": "derde melding"},
    )
    assert added.status_code == 302
    assert entry_of(app, other).added_reason == "derde melding"
    entry = entry_of(app, night["high"])
    removed = els.post(
        f"{page}/entries/{entry.id}/remove", data={"csrf_token": token, "reason": "al opgevolgd"}
    )
    assert removed.status_code == 302 and entry_of(app, night["high"]).removed_reason
    html = els.get(page).get_data(as_text=True)
    assert "al opgevolgd" in html and "derde melding" in html
    assert els.post(f"{page}/send", data={"csrf_token": token}).status_code == 302
    late = els.post(
        f"{page}/entries",
        data={"csrf_token": token, "reference": reference(app, night["high"]), "reason": "toch"},
        follow_redirects=True,
    )
    assert "al verstuurd" in late.get_data(as_text=True)
    assert entry_of(app, night["high"]).removed_at is not None  # unchanged
    for action in ("create", "add", "remove", "send"):
        assert len(audits(app, action, "triage_list")) == 1, action


def test_an_exercise_incident_cannot_be_added(app, night):
    els, token = session(app, "els")
    drill = case(app, at(night["week"], 3, 2), [("dash", "high")], exercise=True)
    got = els.post(
        f"/triage-lists/{night['list']}/entries",
        data={"csrf_token": token, "reference": reference(app, drill), "reason": "oefening"},
    )
    assert got.status_code == 422 and "oefenincident" in got.get_data(as_text=True)


def test_the_veilig_huis_reads_the_list_once_sent_then_picks_it_up_and_acknowledges(app, night):
    vh, token = session(app, "sw-vh")
    page = f"/triage-lists/{night['list']}"
    assert vh.get(page).status_code == 404  # a draft is the police's
    with app.app_context():
        assert build.send_due(night["clock"].now() + dt.timedelta(hours=2)) >= 1
    shown = vh.get(page)
    html = shown.get_data(as_text=True)
    assert shown.status_code == 200
    assert reference(app, night["high"]) in html and "Deurne" in html
    assert "458ter" in html and "Geroep" not in html  # the legal basis; never the narrative
    assert vh.get(f"{page}/print").status_code == 200
    assert vh.post(f"{page}/acknowledge", data={"csrf_token": token}).status_code == 302
    assert vh.post(f"{page}/acknowledge", data={"csrf_token": token}).status_code == 302
    assert len(audits(app, "pickup", "triage_list")) == 1
    assert len(audits(app, "acknowledge", "triage_list")) == 1
    overview = vh.get("/triage-lists").get_data(as_text=True)
    assert f"/triage-lists/{night['list']}" in overview and "sw-vh ·" in overview  # acknowledged


def test_another_organisation_gets_404_and_an_empty_overview(app, night):
    with app.app_context():
        build.send_due(night["clock"].now() + dt.timedelta(hours=2))
    caw, token = session(app, "sw-caw")
    page = f"/triage-lists/{night['list']}"
    assert caw.get(page).status_code == 404
    assert caw.get(f"{page}/print").status_code == 404
    assert caw.post(f"{page}/acknowledge", data={"csrf_token": token}).status_code == 404
    assert f"/triage-lists/{night['list']}" not in caw.get("/triage-lists").get_data(as_text=True)


def test_a_restricted_case_reaches_the_list_only_when_a_supervisor_adds_it(app, night):
    hidden = case(app, at(night["week"], 4, 1), [("dash", "high")], restricted=True)
    with app.app_context():
        db.session.get(Incident, hidden).narrative = "Inspecteur Reigersbos betrokken"
        db.session.commit()
    assert hidden not in {e.incident_id for e in _entries(app)}
    els, token = session(app, "els")
    els.post(
        f"/triage-lists/{night['list']}/entries",
        data={"csrf_token": token, "reference": reference(app, hidden), "reason": "hoog risico"},
    )
    els.post(f"/triage-lists/{night['list']}/send", data={"csrf_token": token})
    vh, _ = session(app, "sw-vh")
    html = vh.get(f"/triage-lists/{night['list']}").get_data(as_text=True)
    assert reference(app, hidden) in html and "Reigersbos" not in html


def _entries(app) -> list[TriageListEntry]:
    with app.app_context():
        return list(db.session.execute(select(TriageListEntry)).scalars())
