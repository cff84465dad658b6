"""One language: every page and every API error a Dutch user meets is Dutch.

Each role logs in and opens every page of the URL map it may see, over a night with real data
(an incident with two risk screens, an assigned unit, its SMS, a handover note and the morning
packet), and a set of API errors is provoked. Two things fail the test: a message looked up in
the catalogue without a Dutch translation (Flask-Babel's lookups are recorded), and an English
fragment or raw code in the visible text of a page or in an error's messages.
"""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import flask_babel
import pytest
from babel.messages.pofile import read_po

from app.labels import KINDS
from core.db import db
from dispatch import service as dispatch_service
from dispatch.models import Unit
from handover import packets
from tests.conftest import bearer, ctx, login, make_token
from tests.dispatch.helpers import make_unit
from tests.handover.helpers import CAW, local, packet_id, people, write
from tests.triage.helpers import DASH_ITEMS, LAP_OTHERS, LAP_TRIGGERS, answers, assess, new_incident

CATALOGUE = Path(__file__).resolve().parents[2] / "app/translations/nl/LC_MESSAGES/messages.po"
NIGHT = dt.date(2026, 11, 20)
NL = {"Accept-Language": "nl"}

# English a Dutch user must never read, and codes that must never be shown as they are.
ENGLISH = [
    "Input should",
    "Field required",
    "String should",
    "Value error",
    "answered yes",
    "offered to every",
    "screened in",
    "acknowledged",
    "en route",
    "on scene",
    "off duty",
    "medium",
    "high",
    "standard",
    "Only a supervisor",
    "not found",
    "No such",
    "Not Found",
    "Forbidden",
    "Unauthorized",
    "Method Not Allowed",
    "Bad Request",
    "The requested URL",
    "Some fields are not valid",
    "Your role may not",
    "Log in or send",
    "Something went wrong",
    "is not an officer",
    "not available",
    "unknown field",
    "very urgent",
    "professional judgement",
    "Risk level",
]
CODES = ["screened_in", "not_screened_in", "off_duty", "en_route", "on_scene", *KINDS]
FRAGMENTS = re.compile(
    r"(?<![\w.])(" + "|".join(re.escape(f) for f in ENGLISH + CODES) + r")(?![\w])",
    re.IGNORECASE,
)


class VisibleText(HTMLParser):
    """The text a reader sees: text nodes outside <script>/<style>, the labels that assistive
    technology reads out (title, alt, aria-label, placeholder), and the page scripts' strings
    (the `application/json` blocks the page scripts show)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0
        self._json = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag in ("script", "style"):
            self._hidden += 1
            self._json = tag == "script" and found.get("type") == "application/json"
        self.parts += [
            v for k, v in attrs if k in ("title", "alt", "aria-label", "placeholder") and v
        ]

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._hidden = max(self._hidden - 1, 0)
            self._json = False

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)
        elif self._json:
            self.parts += _json_strings(data)


def _json_strings(text: str) -> list[str]:
    import json

    def walk(node: Any) -> list[str]:
        if isinstance(node, dict):
            return [s for v in node.values() for s in walk(v)]
        if isinstance(node, list):
            return [s for v in node for s in walk(v)]
        return [node] if isinstance(node, str) else []

    try:
        return walk(json.loads(text))
    except ValueError:
        return []


def english_in(text: str) -> list[str]:
    """The English fragments and raw codes in a text."""
    return sorted({m.group(1) for m in FRAGMENTS.finditer(text)})


def visible(html: str) -> str:
    """A page's visible text."""
    parser = VisibleText()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


class Recorder:
    """Flask-Babel's translations, recording every msgid looked up in them."""

    def __init__(self, inner: Any, seen: set[str]) -> None:
        self._inner, self._seen = inner, seen

    def ugettext(self, msgid: str) -> str:
        self._seen.add(msgid)
        return self._inner.ugettext(msgid)

    gettext = ugettext

    def ungettext(self, singular: str, plural: str, n: int) -> str:
        self._seen.add(singular)
        return self._inner.ungettext(singular, plural, n)

    ngettext = ungettext

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


@pytest.fixture
def looked_up(monkeypatch) -> set[str]:
    """Every msgid looked up in a Dutch catalogue during the test."""
    seen: set[str] = set()
    original = flask_babel.Domain.get_translations

    def recording(self):
        translations = original(self)
        locale = flask_babel.get_locale()
        return Recorder(translations, seen) if locale and locale.language == "nl" else translations

    monkeypatch.setattr(flask_babel.Domain, "get_translations", recording)
    return seen


def untranslated(msgids: set[str]) -> list[str]:
    """The msgids without a Dutch translation."""
    with CATALOGUE.open("rb") as handle:
        catalogue = read_po(handle)
    missing = []
    for msgid in msgids:
        entry = catalogue.get(msgid)
        string = entry.string if entry is not None else None
        if not (string if isinstance(string, str) else string and all(string)):
            missing.append(msgid)
    return sorted(missing)


@pytest.fixture
def night(app, client, clock) -> dict[str, Any]:
    """A night with everything the pages show: screens, a unit on the way, a note, a packet."""
    clock.set(local(2026, 11, 20, 1, 0))
    who = people(app)
    an = who["an"]
    inc = new_incident(client, an)
    screened = assess(client, an, inc["id"], "lap", answers(LAP_TRIGGERS + LAP_OTHERS, 1))
    scored = assess(client, an, inc["id"], "dash", answers(DASH_ITEMS, 12, rest="unknown"))
    assert screened.status_code == scored.status_code == 201
    unit_id = make_unit(app, call_sign="NT-21", phone="+32470000021")
    with ctx(app):
        dispatch_service.set_members(db.session.get(Unit, unit_id), ["sarah"])
    sent = client.post(
        f"/api/v1/incidents/{inc['id']}/assignments", json={"unit_id": unit_id}, headers=an
    )
    assert sent.status_code == 201, sent.get_json()
    acked = client.post(
        f"/api/v1/units/{unit_id}/status", json={"status": "acknowledged"}, headers=an
    )
    assert acked.status_code == 200, acked.get_json()
    write(app, inc["id"], local(2026, 11, 20, 2, 0))
    with app.app_context():
        packets.build_date(NIGHT, local(2026, 11, 20, 7, 0))
        db.session.commit()
    clock.set(local(2026, 11, 20, 8, 0))
    return {
        "list_id": weekly_list(app, NIGHT),
        "who": who,
        "incident_id": inc["id"],
        "unit_id": unit_id,
        "packet_id": packet_id(app, CAW, NIGHT),
        "assignment_id": sent.get_json()["id"],
    }


def weekly_list(app, day: dt.date) -> int:
    """The Veilig Huis's weekly triage list of the night's week, drafted the Monday after."""
    from core import clock as core_clock
    from handover.weekly import build, week

    with app.app_context():
        monday = week.monday_of(day)
        [list_id] = build.build_week(
            monday, week.build_instant(monday, dt.time(8), core_clock.zone())
        ).built
        db.session.commit()
    return list_id


ROLES = {
    "an": "dispatcher",
    "els": "supervisor",
    "sarah": "officer",
    "admin": "admin",
    "sw-caw": "social_worker",
}
SKIP = ("/api/", "/static", "/webhooks/", "/healthz")


def pages_for(app, role: str, ids: dict[str, int]) -> list[str]:
    """Every GET page of the URL map that the role may see, with the night's ids filled in."""
    paths = []
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or set()) or rule.rule.startswith(SKIP):
            continue
        policy = getattr(app.view_functions[rule.endpoint], "access_policy", None)
        if policy is None or policy.public:
            continue
        if policy.roles is not None and role not in {str(r) for r in policy.roles}:
            continue
        paths.append(re.sub(r"<int:(\w+)>", lambda m: str(ids[m.group(1)]), rule.rule))
    return sorted(paths)


def test_every_page_each_role_sees_is_dutch(app, night, looked_up):
    ids = {k: night[k] for k in ("incident_id", "packet_id", "assignment_id", "list_id")}
    problems: dict[str, list[str]] = {}
    shown = {}
    anonymous = app.test_client()
    for path in ("/login", "/incidents/999999"):
        response = anonymous.get(path, headers=NL, follow_redirects=True)
        problems[f"anonymous {path}"] = english_in(visible(response.get_data(as_text=True)))
    for username, role in ROLES.items():
        client = app.test_client()
        assert login(client, username).status_code == 302
        for path in pages_for(app, role, ids) + ["/incidents/999999"]:
            response = client.get(path, headers=NL)
            assert response.status_code in (200, 302, 403, 404), (username, path)
            text = visible(response.get_data(as_text=True))
            shown[(username, path)] = (response.status_code, text)
            problems[f"{username} {path}"] = english_in(text)
    assert {k: v for k, v in problems.items() if v} == {}
    assert untranslated(looked_up) == []

    packet = shown[("sw-caw", f"/handover/packets/{night['packet_id']}")][1]
    assert "Risiconiveau gemiddeld · P2 (dringend)" in packet
    assert "Screening levensgevaar (LAP-regel): ingescreend" in packet
    assert "Risicoscreening partnergeweld (DASH-regel): gemiddeld" in packet
    status, missing = shown[("an", "/incidents/999999")]
    assert status == 404 and "Niet gevonden" in missing
    incident_page = shown[("an", f"/incidents/{night['incident_id']}")][1]
    assert "Status van de ploeg gewijzigd" in incident_page  # the timeline's kinds, in Dutch
    assert "toegewezen" in incident_page  # and its states


def test_the_screens_explain_themselves_in_dutch(app, client, night, looked_up):
    detail = client.get(f"/api/v1/incidents/{night['incident_id']}", headers=night["who"]["an"])
    screens = detail.get_json()["assessments"]
    lines = [r for a in screens for r in a["reasons"]]
    lines += [rec["reason"] for a in screens for rec in a["recommendations"]]
    assert [english_in(line) for line in lines if english_in(line)] == []
    assert "12 van 24 met ja beantwoord (10–13 → gemiddeld)" in lines
    assert "aangeboden aan elk slachtoffer, wat het niveau ook is" in lines
    assert untranslated(looked_up) == []


def _errors(app, client, night) -> list[tuple[str, Any, int]]:
    """Provoke the API's errors: validation, 400, 401, 403, 404, 405 and 409."""
    who, inc, unit = night["who"], night["incident_id"], night["unit_id"]
    officer = bearer(make_token(app, "sarah"))
    too_old = {
        "address": "Carnotstraat 12, 2060 Antwerpen",
        "persons": [{"role": "victim", "age": 130}],
    }
    return [
        ("age above 120", client.post("/api/v1/incidents", json=too_old, headers=who["an"]), 422),
        (
            "unit fields",
            client.post(
                "/api/v1/units",
                json={"call_sign": "x" * 300, "lat": 123, "colour": "red", "skills": "first_aid"},
                headers=who["admin"],
            ),
            422,
        ),
        ("not json", client.post("/api/v1/incidents", data="hallo", headers=who["an"]), 400),
        ("no token", client.get("/api/v1/units"), 401),
        ("wrong role", client.get("/api/v1/units", headers=officer), 403),
        (
            "lowering",
            client.post(
                f"/api/v1/incidents/{inc}/priority",
                json={"priority": "P4", "reason": "bleek mee te vallen"},
                headers=who["an"],
            ),
            403,
        ),
        ("missing incident", client.get("/api/v1/incidents/999999", headers=who["an"]), 404),
        ("no such route", client.get("/api/v1/nothing-here", headers=who["an"]), 404),
        ("wrong method", client.delete("/api/v1/incidents", headers=who["an"]), 405),
        (
            "busy unit",
            client.post(
                f"/api/v1/incidents/{inc}/assignments", json={"unit_id": unit}, headers=who["an"]
            ),
            409,
        ),
        (
            "impossible status",
            client.post(
                f"/api/v1/units/{unit}/status", json={"status": "off_duty"}, headers=who["an"]
            ),
            409,
        ),
    ]


def test_api_errors_answer_in_dutch(app, client, night, looked_up):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "nl"
    seen = {}
    for name, response, status in _errors(app, client, night):
        body = response.get_json()
        assert response.status_code == status, (name, body)
        texts = [body["message"], *body["fields"].values()]
        assert all(texts[:1]), name
        seen[name] = body
        assert [english_in(t) for t in texts if english_in(t)] == [], (name, body)
    assert untranslated(looked_up) == []

    age = seen["age above 120"]["fields"]
    assert age == {"persons.0.age": "Mag hoogstens 120 zijn."}
    unit = seen["unit fields"]["fields"]
    assert unit["colour"] == "Onbekend veld." and unit["phone"] == "Verplicht."
    assert unit["call_sign"] and unit["lat"] == "Mag hoogstens 90 zijn."
    assert seen["lowering"]["message"] == "Alleen een supervisor mag een prioriteit verlagen."
    assert seen["missing incident"]["message"] == "Dit incident bestaat niet."
    assert seen["busy unit"]["error"] == "conflict"  # the machine-readable code stays
    assert seen["busy unit"]["message"] == "NT-21 is bevestigd, niet beschikbaar."
