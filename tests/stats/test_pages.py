"""The supervisor's /statistics page, its CSV export and print view: exact numbers on the page,
the small-cell rule in what leaves the police, Dutch field messages for bad input."""

from __future__ import annotations

import csv
import datetime as dt
import io
from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from core.audit import AuditEvent
from core.db import db
from stats import export, pages
from tests.conftest import login, make_user
from tests.stats.helpers import BRUSSELS, brussels, call


class Tables(HTMLParser):
    """The text of every cell of every table with an id, row by row."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._table: str | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table" and dict(attrs).get("id"):
            self._table = dict(attrs)["id"]
            self.tables[self._table] = []
        elif self._table and tag == "tr":
            self.tables[self._table].append([])
        elif self._table and tag in ("th", "td"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "table":
            self._table = None
        elif self._table and tag in ("th", "td") and self._cell is not None:
            self.tables[self._table][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def tables(html: str) -> dict[str, list[list[str]]]:
    """Every table of the page by id: its rows (header and total rows included)."""
    parser = Tables()
    parser.feed(html)
    return parser.tables


@pytest.fixture
def supervisor(app, client, clock):
    """The client logged in as a supervisor (second factor included)."""
    make_user(app, "els", "supervisor")
    assert login(client, "els").status_code == 302
    return client


@pytest.fixture
def night(clock) -> dt.date:
    """A night three days before the frozen clock's date (Brussels)."""
    return clock.now().astimezone(BRUSSELS).date() - dt.timedelta(days=3)


@pytest.fixture
def calls(app, night) -> list[str]:
    """Seven real calls and an exercise on `night`, five P2 calls the night after; references."""
    at = lambda day, h, m: brussels(day, h, m)  # noqa: E731
    following = night + dt.timedelta(days=1)
    refs = [
        call(app, at(night, 22, 10), 30, priority="P1"),
        call(app, at(night, 22, 20), 45, priority="P1"),
        call(app, at(night, 23, 5), 50, district="Deurne"),
        call(app, at(night, 23, 30), 70, district="Deurne"),
        call(app, at(night, 0, 15) + dt.timedelta(days=1), 120, priority="P3"),
        call(app, at(night, 1, 0) + dt.timedelta(days=1), 20, priority="P4", district=None),
        call(app, at(night, 2, 0) + dt.timedelta(days=1)),  # no unit: a call, no duration
        call(app, at(night, 22, 30), 5, priority="P1", exercise=True),  # training: never counts
    ]
    refs += [call(app, at(following, 23, n), 10 * (n + 1)) for n in range(5)]
    return refs


def query(night: dt.date, days: int = 2, group: str = "night") -> dict[str, str]:
    """?from=&to=&group= for `days` nights from `night`."""
    last = night + dt.timedelta(days=days - 1)
    return {"from": night.isoformat(), "to": last.isoformat(), "group": group}


def test_the_page_shows_exact_figures_per_night_and_in_total(supervisor, night, calls):
    response = supervisor.get("/statistics", query_string=query(night))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    found = tables(html)
    first, second = f"nacht van {night}", f"nacht van {night + dt.timedelta(days=1)}"
    assert found["table-calls"] == [
        ["Periode", "Oproepen", "P1", "P2", "P3", "P4"],
        [first, "7", "2", "3", "1", "1"],
        [second, "5", "0", "5", "0", "0"],
        ["Totaal", "12", "2", "8", "1", "1"],
    ]
    # durations night 1: 20 30 45 50 70 120; night 2: 10..50; all 11: p50 40, p90 70, 9 of 11
    assert found["table-processing"][1:] == [
        [first, "6", "45 s", "120 s", "67%"],
        [second, "5", "30 s", "50 s", "100%"],
        ["Totaal", "11", "40 s", "70 s", "82%"],
    ]
    assert found["table-districts"][1:] == [["Borgerhout", "9"], ["Deurne", "2"], ["onbekend", "1"]]
    hours = dict(found["table-hours"][1:])
    assert (
        hours["22:00–23:00"] == "2" and hours["23:00–00:00"] == "7" and hours["03:00–04:00"] == "0"
    )
    assert list(hours)[:1] == ["18:00–19:00"] and len(hours) == 24
    assert "<svg" in html and '<title id="chart-calls-title">Oproepen per periode' in html
    assert 'class="target"' in html  # the 60 s line on the call-processing chart
    assert not any(ref in html for ref in calls)  # aggregates only: no reference


def test_the_csv_suppresses_small_counts_and_measures_over_few_values(supervisor, night, calls):
    response = supervisor.get("/statistics.csv", query_string=query(night))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    last = night + dt.timedelta(days=1)
    assert response.headers["Content-Disposition"] == (
        f"attachment; filename=nachtwacht-statistiek-{night}-{last}.csv"
    )
    text = response.get_data().decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["group"] for r in rows] == [night.isoformat(), last.isoformat(), "total"]
    picked = ["calls", "calls_p1", "calls_p2", "calls_p3", "calls_p4", "call_processing_assigned"]
    picked += ["call_processing_p50_s", "call_processing_p90_s", "call_processing_within_60s_share"]
    assert [[r[c] for c in picked] for r in rows] == [
        # 4 of 6 within 60 s: a share whose numerator is a small count is left out, and a p90
        # over fewer than 10 values (the slowest call's own time) too. Night 2's 5 P2 calls
        # are hidden (x): with the total's 8 they would give night 1's 3 away, and then its
        # calls, and night 1's calls with them (the total's 12).
        # 6 of night 1's 7 calls and 11 of the 12 had a unit: the one without is a small
        # count, so neither 6 nor 11 is published (x), nor what is measured over them.
        ["x", "x", "x", "x", "x", "x", "", "", ""],
        ["x", "0", "x", "0", "0", "5", "30", "", ""],  # 5 of 5 within 60 s: with the
        # total's 9 that would give night 1's 4 away
        ["12", "x", "8", "x", "x", "x", "", "", ""],
    ]
    total = rows[-1]
    assert total["calls_hour_22"] == "x" and total["calls_hour_23"] == "7"
    assert total["calls_hour_03"] == "0"
    assert (total["calls_district_borgerhout"], total["calls_district_deurne"]) == ("9", "x")
    assert total["calls_district_unknown"] == "x"
    assert not any(ref in text for ref in calls)


def test_a_percentile_over_fewer_than_five_values_is_left_out_of_the_csv(app, supervisor, night):
    for n in range(4):
        call(app, brussels(night, 22, n), 30 + n)
    rows = list(
        csv.DictReader(
            io.StringIO(supervisor.get("/statistics.csv", query_string=query(night, 1)).text)
        )
    )
    assert [(r["calls"], r["call_processing_p50_s"], r["call_processing_p90_s"]) for r in rows] == [
        ("x", "", ""),
        ("x", "", ""),
    ]
    page = tables(supervisor.get("/statistics", query_string=query(night, 1)).text)
    assert page["table-processing"][-1] == ["Totaal", "4", "31 s", "33 s", "100%"]  # exact inside


def test_the_print_view_follows_the_small_cell_rule_and_both_exports_are_audited(
    app, supervisor, night, calls
):
    response = supervisor.get("/statistics/print", query_string=query(night))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    found = tables(html)
    assert found["table-calls"][1:] == [
        [f"nacht van {night}", "x", "x", "x", "x", "x"],
        [f"nacht van {night + dt.timedelta(days=1)}", "x", "0", "x", "0", "0"],
        ["Totaal", "12", "x", "8", "x", "x"],
    ]
    assert found["table-processing"][1:] == [
        [f"nacht van {night}", "x", "—", "—", "—"],
        [f"nacht van {night + dt.timedelta(days=1)}", "5", "30 s", "—", "—"],
        ["Totaal", "x", "—", "—", "—"],
    ]
    assert found["table-districts"][1:] == [
        ["Borgerhout", "9"],
        ["Deurne", "x"],
        ["onbekend", "x"],
    ]
    assert "<svg" not in html and "data-print" in html
    assert not any(ref in html for ref in calls)
    supervisor.get("/statistics.csv", query_string=query(night))
    supervisor.get("/statistics", query_string=query(night))  # viewing inside: not an export
    with app.app_context():
        events = db.session.execute(
            select(AuditEvent)
            .where(AuditEvent.object_type == "statistics")
            .order_by(AuditEvent.id)  # PostgreSQL returns unordered rows in any order
        ).scalars()
        reasons = [(e.action, e.username, e.reason) for e in events]
    period = f"{night}..{night + dt.timedelta(days=1)} per night"
    assert reasons == [("export", "els", f"print {period}"), ("export", "els", f"csv {period}")]


@pytest.mark.parametrize(
    "args,field,message",
    [
        ({"from": "2026-13-40"}, "from", "Moet een datum zijn (JJJJ-MM-DD)."),
        ({"from": "2031-02-10", "to": "2031-02-01"}, "to", "mag niet vóór de begindatum liggen"),
        ({"from": "2029-01-01", "to": "2031-02-01"}, "to", "hoogstens 400 dagen"),
        ({"group": "year"}, "group", "Moet een van deze zijn"),
        ({"from": "0001-01-01", "to": "0001-01-01"}, "from", "moet tussen 2000 en 2199 liggen"),
        ({"to": "9999-12-31", "group": "month"}, "to", "moet tussen 2000 en 2199 liggen"),
    ],
)
@pytest.mark.parametrize("path", ["/statistics", "/statistics.csv", "/statistics/print"])
def test_bad_input_gets_the_form_back_with_a_dutch_message(supervisor, path, args, field, message):
    response = supervisor.get(path, query_string=args)
    assert response.status_code == 422
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert f'id="err-{field}"' in html and message in html
    assert f'aria-describedby="err-{field}"' in html
    assert "Sommige velden" in html or "aandacht" in html


def test_without_dates_the_page_shows_last_night_and_the_quick_links(supervisor, clock):
    yesterday = clock.now().astimezone(BRUSSELS).date() - dt.timedelta(days=1)
    html = supervisor.get("/statistics").get_data(as_text=True)
    assert tables(html)["table-calls"][1][0] == f"nacht van {yesterday}"
    week = yesterday - dt.timedelta(days=6)
    assert f"from={week}&amp;to={yesterday}&amp;group=night" in html  # the last 7 nights
    month_end = clock.now().astimezone(BRUSSELS).date().replace(day=1) - dt.timedelta(days=1)
    assert f"from={month_end.replace(day=1)}&amp;to={month_end}&amp;group=week" in html


def test_weeks_and_months_are_labelled_in_dutch(supervisor, night, calls):
    weeks = tables(supervisor.get("/statistics", query_string=query(night, 2, "week")).text)
    iso_week = night.isocalendar().week
    assert weeks["table-calls"][1][0] == f"week {iso_week} van {night.isocalendar().year}"
    months = tables(supervisor.get("/statistics", query_string=query(night, 2, "month")).text)
    assert months["table-calls"][1][0] == "februari 2031" and months["table-calls"][-1][1] == "12"


def test_only_exercises_make_an_empty_page(app, supervisor, night):
    call(app, brussels(night, 23, 0), 10, exercise=True)
    found = tables(supervisor.get("/statistics", query_string=query(night, 1)).text)
    assert found["table-calls"][-1] == ["Totaal", "0", "0", "0", "0", "0"]
    assert found["table-processing"][-1] == ["Totaal", "0", "—", "—", "—"]
    assert found["table-districts"][1] == ["Geen oproepen in deze periode."]


def test_a_district_that_looks_like_a_formula_stays_text(app, supervisor, night):
    for n in range(5):
        call(app, brussels(night, 23, n), 10, district='=HYPERLINK("http://x")<b>')
    html = supervisor.get("/statistics", query_string=query(night, 1)).text
    assert "&lt;b&gt;" in html and "<b>" not in html
    text = supervisor.get("/statistics.csv", query_string=query(night, 1)).text
    assert "calls_district_hyperlink_http_x_b" in text.splitlines()[0]
    assert export.neutralise('=HYPERLINK("x")') == '\'=HYPERLINK("x")'
    assert export.neutralise("-2+3") == "'-2+3" and export.neutralise("x") == "x"


EXTRAS = {
    "response_s": {
        "acknowledged": {"p50": 40.0, "p90": 90.0, "count": 12},
        "en_route": {"p50": 80.0, "p90": 150.0, "count": 4},
        "on_scene": {"p50": 600.0, "p90": 900.0, "count": 12},
    },
    "escalations": 3,
    "sms": {"sent": 20, "delivered": 18, "failed": 2},
    "risk": {"sara-sv": {"high": 7, "low": 2}},
    "repeat": {"count": 3, "share": 0.25},
    "order_in_force": {"count": 6, "share": 0.5},
    "referrals": {"offered": 9, "accepted": 4},
    "handover_pickups": {"packets": 6, "on_time": 5, "share": 0.8333},
}


@pytest.fixture
def with_extras(monkeypatch):
    """The figures as they are once the response, SMS, risk and other figures have landed."""
    real = pages._statistics

    def statistics(query):
        figures = real(query)
        for target in (figures, *figures["groups"]):
            target.update(EXTRAS)
        return figures

    monkeypatch.setattr(pages, "_statistics", statistics)


def test_figures_added_later_show_on_the_page_and_are_suppressed_in_exports(
    supervisor, night, calls, with_extras
):
    page = tables(supervisor.get("/statistics", query_string=query(night, 1)).text)
    assert page["table-response"][1:] == [
        ["Bevestigd door de ploeg", "12", "40 s", "90 s"],
        ["Ploeg onderweg", "4", "80 s", "150 s"],
        ["Ploeg ter plaatse", "12", "600 s", "900 s"],
    ]
    assert [row[-1] for row in page["table-risk"][1:]] == ["7", "2"]
    assert page["table-calls-extra"][-1] == ["Totaal", "3", "3", "25%", "6", "50%"]
    assert page["table-partners"][-1] == ["Totaal", "9", "4", "20", "18", "2", "6", "5", "83%"]
    printed = tables(supervisor.get("/statistics/print", query_string=query(night, 1)).text)
    assert printed["table-response"][2] == ["Ploeg onderweg", "x", "—", "—"]
    # 6 of the 7 calls with an order in force and 5 of 6 packets on time: the one without
    # (a small count) is not published, so neither is the 6 or the 5 (x) nor their shares.
    assert printed["table-calls-extra"][-1] == ["Totaal", "x", "x", "—", "x", "—"]
    # 18 of 20 SMS delivered: the 2 others are a small count, so the 18 is hidden too
    assert printed["table-partners"][-1] == ["Totaal", "9", "x", "20", "x", "x", "6", "x", "—"]
    assert printed["table-processing"][-1] == ["Totaal", "x", "—", "—", "—"]  # 6 of 7 had a unit
    rows = list(
        csv.DictReader(
            io.StringIO(supervisor.get("/statistics.csv", query_string=query(night, 1)).text)
        )
    )
    total = rows[-1]
    assert (total["response_en_route_count"], total["response_en_route_p50_s"]) == ("x", "")
    assert total["response_on_scene_p90_s"] == "900"
    assert (total["escalations"], total["sms_failed"], total["sms_sent"]) == ("x", "x", "20")
    assert (total["risk_sara_sv_high"], total["risk_sara_sv_low"]) == ("7", "x")
    assert (total["repeat_count"], total["repeat_share"]) == ("x", "")
    assert (total["order_in_force_count"], total["order_in_force_share"]) == ("x", "")
    assert (total["handover_on_time"], total["handover_on_time_share"]) == ("x", "")


def test_the_print_view_lists_districts_by_name_not_by_their_hidden_counts(
    supervisor, night, calls, app
):
    """In count order, Deurne (2) before Antwerpen (1) would tell two hidden counts apart."""
    call(app, brussels(night, 23, 45), 30, district="Antwerpen")
    printed = tables(supervisor.get("/statistics/print", query_string=query(night, 1)).text)
    assert [row[0] for row in printed["table-districts"][1:]] == [
        "Antwerpen",
        "Borgerhout",
        "Deurne",
        "onbekend",
    ]
    inside = tables(supervisor.get("/statistics", query_string=query(night, 1)).text)
    assert [row[0] for row in inside["table-districts"][1:]][:2] == ["Borgerhout", "Deurne"]
