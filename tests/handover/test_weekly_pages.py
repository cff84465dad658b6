"""The weekly list's pages: a supervisor adds and removes cases with a reason until the list is
sent; the Veilig Huis reads, prints and acknowledges it; nothing of a restricted or another
organisation's case leaks; every step is audited."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from accounts.models import Organisation
from core.db import db
from handover.weekly import build
from handover.weekly.models import TriageList, TriageListEntry
from tests.conftest import csrf_token, login, make_org
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
        query = select(TriageListEntry).order_by(TriageListEntry.id)
        return list(db.session.execute(query).scalars())


def test_a_case_restricted_after_the_draft_never_reaches_the_veilig_huis(app, night):
    """Restricted after the rules chose it (the suspect turns out to be a colleague): the
    partner's list and print view leave it out; the supervisor still sees it."""
    with app.app_context():
        db.session.get(Incident, night["high"]).restricted = True
        db.session.commit()
        build.send_due(night["clock"].now() + dt.timedelta(hours=2))
    ref = reference(app, night["high"])
    reader, _ = session(app, "sw-vh")
    for path in ("", "/print"):
        page = reader.get(f"/triage-lists/{night['list']}{path}")
        assert page.status_code == 200 and ref not in page.get_data(as_text=True)
    els, _ = session(app, "els")
    assert ref in els.get(f"/triage-lists/{night['list']}").get_data(as_text=True)


def test_printing_the_list_counts_as_picking_it_up(app, night):
    with app.app_context():
        build.send_due(night["clock"].now() + dt.timedelta(hours=2))
    reader, _ = session(app, "sw-vh")
    assert reader.get(f"/triage-lists/{night['list']}/print").status_code == 200
    with app.app_context():
        assert db.session.get(TriageList, night["list"]).picked_up_at is not None


@pytest.mark.parametrize("typed", ["NW\x00", "NW-" + "9" * 40])
def test_an_odd_reference_is_a_field_error_not_a_crash(app, night, typed):
    els, token = session(app, "els")
    refused = els.post(
        f"/triage-lists/{night['list']}/entries",
        data={"csrf_token": token, "reference": typed, "reason": "derde melding"},
    )
    assert refused.status_code == 422
    assert "Geen incident met deze referentie." in refused.get_data(as_text=True)


def test_a_veilig_huis_not_cleared_for_case_data_gets_no_list(app, clock, monkeypatch):
    """Only an organisation cleared to receive case data (as for the packets) gets a list:
    a Veilig Huis an admin has just created, or a paused one, gets none."""
    monkeypatch.setitem(app.config, "TRIAGE_LIST_TIME", "08:00")
    people(app)
    make_org(app, "veilig-huis-test", "veilig_huis")
    with app.app_context():
        paused = db.session.execute(
            select(Organisation).where(Organisation.slug == "veilig-huis-test")
        ).scalar_one()
        paused.receives_handover = False
        paused.created_at = clock.now() - dt.timedelta(days=60)
        db.session.commit()
    week = week_of(clock.now()) - ONE_WEEK
    case(app, at(week, 2, 3), [("dash", "high")])
    with app.app_context():
        built = build.build_week(week, at(week, 7, 8, 5)).built
        orgs = {db.session.get(TriageList, i).organisation.slug for i in built}
    assert "veilig-huis-test" not in orgs and len(orgs) == 1
