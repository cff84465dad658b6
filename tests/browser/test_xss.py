"""Hostile text in every free-text field, on every page that shows it: shown as text, never run.

A caller's words (address, names, narrative), a dispatcher's reasons and notes, an officer's
handover note written on the phone form and a unit's SMS all carry script payloads. Headless
Chromium then opens the console (queue, map marker and tooltip, detail panel, SMS thread,
timeline, a live alarm), the incident page, the handover note forms, a social worker's handover
page, packet and print view. On each: nothing ran (`window.__xss` unset, no dialog, no CSP
refusal), nothing was injected (no element or attribute from a payload), and every payload reads
back literally.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import pytest
import requests
from twilio.request_validator import RequestValidator

from tests.browser.conftest import (
    DEMO_PASSWORD,
    TWILIO_AUTH_TOKEN,
    live_flask,
    login,
    match_clock,
    screenshot,
)

pytestmark = pytest.mark.browser

BXL = ZoneInfo("Europe/Brussels")
CAW = "caw-antwerpen"
VECTORS = (
    "<script>window.__xss=1</script>",
    '"><img src=x onerror="window.__xss=1;alert(1)">',
    "'><svg onload=window.__xss=1>",
    '</textarea><a href="javascript:window.__xss=1">link</a>',
)
# Anything a payload could have put in the page, and whether a payload's script ran.
INJECTED = """() => ({
    ran: typeof window.__xss,
    elements: document.querySelectorAll(
        'img[src="x"], svg[onload], [onerror], [onload], a[href^="javascript:" i]').length,
    scripts: [...document.scripts].filter((s) => s.textContent.includes("__xss")).length,
})"""


def hostile(name: str) -> str:
    """The payloads, labelled with the field they go into (so each field is found back)."""
    text = f"[{name}] " + " ".join(VECTORS)
    assert len(text) <= 200, name  # fits the shortest free-text field (names, risk level)
    return text


@dataclass
class Case:
    """What the fixture stored, and where."""

    incident_id: int
    reference: str
    closed_id: int
    note_id: int
    unit_phone: str
    texts: dict[str, str] = field(default_factory=dict)


@dataclass
class Api:
    """The JSON API as one user, with a bearer token made on the command line."""

    url: str
    token: str

    def call(self, method: str, path: str, body: dict | None = None) -> dict:
        """Call `/api/v1<path>`; fail on any error status."""
        response = requests.request(
            method,
            f"{self.url}/api/v1{path}",
            json=body,
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=10,
        )
        assert response.ok, f"{method} {path}: {response.status_code} {response.text}"
        return response.json()

    def get(self, path: str) -> dict:
        """GET a resource."""
        return self.call("GET", path)

    def post(self, path: str, body: dict) -> dict:
        """POST a JSON body."""
        return self.call("POST", path, body)


def unit_sms(url: str, phone: str, body: str) -> None:
    """A unit's SMS, signed as Twilio signs its webhooks."""
    hook = f"{url}/webhooks/twilio/sms"
    params = {
        "MessageSid": f"SM{uuid.uuid4().hex}",
        "From": phone,
        "To": "+3228000000",
        "Body": body,
    }
    signature = RequestValidator(TWILIO_AUTH_TOKEN).compute_signature(hook, params)
    headers = {"X-Twilio-Signature": signature}
    response = requests.post(hook, data=params, headers=headers, timeout=5)
    assert response.status_code == 200, response.text


def cli_token(instance, url: str, username: str) -> str:
    """An API token for a demo account, made as an administrator makes one."""
    return live_flask(instance, url, "token", "create", username).strip().splitlines()[-1]


def build_packets_after(instance, url: str, written_at: str) -> None:
    """Build the packets of a handover time one second after a note (so the note is in them)."""
    handover = dt.datetime.fromisoformat(written_at).astimezone(BXL) + dt.timedelta(seconds=1)
    handover = handover.replace(microsecond=0)
    while dt.datetime.now(BXL) <= handover:  # clock-ok: the live server runs on the wall clock
        time.sleep(0.05)
    live_flask(instance, url, "handover", "build", HANDOVER_TIME=handover.strftime("%H:%M:%S"))


def log_in_as(page, username: str, landing: str) -> None:
    """Log in through the real form as any demo account."""
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", DEMO_PASSWORD)
    page.press("#password", "Enter")
    page.wait_for_url(f"**{landing}")


def write_note_on_phone(browser, url: str, officer: str, case: Case) -> None:
    """An officer of the assigned unit writes an urgent note through the phone form."""
    context = browser.new_context(base_url=url, locale="nl-BE")
    match_clock(context)
    try:
        page = context.new_page()
        log_in_as(page, officer, "/unit")
        page.goto(f"/incidents/{case.incident_id}/note")
        for name in ("summary", "children", "actions-other", "follow_up"):
            case.texts[f"phone-{name}"] = hostile(f"phone-{name}")
            page.fill(f"#{name}", case.texts[f"phone-{name}"])
        page.check("input[name=consent][value=yes]")
        page.check("input[name=legal_basis][value=consent]")
        page.check(f"input[name=organisations][value={CAW}]")
        page.check("input[name=urgent]")
        with page.expect_navigation():
            page.click("form.note-form button[type=submit]")
        assert page.locator(".flash-info").count() == 1, page.content()[:2000]
    finally:
        context.close()


def store_incident(dispatcher: Api, texts: dict[str, str]) -> dict:
    """A caller's words, a dispatcher's judgement and a raised priority with its reason."""
    for name in ("address", "narrative", "victim", "suspect", "caller", "witness", "judgement"):
        texts[name] = hostile(name)
    persons = [{"role": r, "name": texts[r]} for r in ("victim", "suspect", "caller", "witness")]
    incident = dispatcher.post(
        "/incidents",
        {
            "address": texts["address"],
            "lat": 51.2071,
            "lon": 4.4262,
            "narrative": texts["narrative"],
            "persons": persons,
        },
    )
    path = f"/incidents/{incident['id']}"
    answers = {item["id"]: "unknown" for item in dispatcher.get("/instruments/dash")["items"]}
    judgement = {"level": "high", "reason": texts["judgement"]}
    screen = {"instrument": "dash", "answers": answers, "judgement": judgement}
    dispatcher.post(f"{path}/assessments", screen)
    texts["priority"] = hostile("priority")
    dispatcher.post(f"{path}/priority", {"priority": "P1", "reason": texts["priority"]})
    return incident


def assign_and_hear_back(dispatcher: Api, incident_id: int, texts: dict[str, str]) -> tuple:
    """Send an available unit; it answers with a hostile SMS. Return the unit and assignment."""
    units = dispatcher.get("/units")["items"]
    unit = next(u for u in units if u["status"] == "available")
    assignment = dispatcher.post(f"/incidents/{incident_id}/assignments", {"unit_id": unit["id"]})
    texts["sms"] = hostile("sms")
    unit_sms(dispatcher.url, unit["phone"], texts["sms"])
    return unit, assignment


def store_note(dispatcher: Api, incident_id: int, texts: dict[str, str]) -> dict:
    """A dispatcher's handover note to CAW with hostile text in every free-text field."""
    for name in ("summary", "note-victim", "remarks", "children", "risk", "other", "follow-up"):
        texts[name] = hostile(name)
    body = {
        "summary": texts["summary"],
        "persons": [{"role": "victim", "name": texts["note-victim"], "remarks": texts["remarks"]}],
        "children": texts["children"],
        "risk_level": texts["risk"],
        "actions": {"arrest": True, "other": texts["other"]},
        "consent": "yes",
        "legal_basis": "consent",
        "organisations": [CAW],
        "follow_up": texts["follow-up"],
    }
    return dispatcher.post(f"/incidents/{incident_id}/handover-notes", body)


def close_with_note(dispatcher: Api, texts: dict[str, str]) -> int:
    """Another incident, closed with a hostile closing note; return its id."""
    closed = dispatcher.post("/incidents", {"address": "Kerkstraat 2, 2060 Antwerpen"})
    disposition = dispatcher.get("/dispositions")["items"][0]["code"]
    texts["close"] = hostile("close")
    closing = {"disposition": disposition, "note": texts["close"]}
    dispatcher.post(f"/incidents/{closed['id']}/close", closing)
    return closed["id"]


@pytest.fixture(scope="module")
def case(browser, live_server: str, live_instance) -> Case:
    """Hostile text in every free-text field a caller, dispatcher, officer or SMS supplies."""
    dispatcher = Api(live_server, cli_token(live_instance, live_server, "dispatcher"))
    supervisor = Api(live_server, cli_token(live_instance, live_server, "supervisor"))
    texts: dict[str, str] = {}
    incident = store_incident(dispatcher, texts)
    incident_id = incident["id"]
    unit, assignment = assign_and_hear_back(dispatcher, incident_id, texts)
    note = store_note(dispatcher, incident_id, texts)
    build_packets_after(live_instance, live_server, note["created_at"])
    found = Case(incident_id, incident["reference"], 0, note["id"], unit["phone"], texts)
    officer = f"officer-{unit['call_sign'].lower()}-2"  # a demo member of every unit
    write_note_on_phone(browser, live_server, officer, found)  # urgent, so not in a packet yet

    texts["release"], texts["hold"] = hostile("release"), hostile("hold")
    dispatcher.post(f"/assignments/{assignment['id']}/release", {"reason": texts["release"]})
    supervisor.post(f"/incidents/{incident_id}/legal-hold", {"reason": texts["hold"]})
    found.closed_id = close_with_note(dispatcher, texts)
    return found


def packet_with(page, note_id: int) -> dict:
    """The social worker's packet that carries a note (read through the API)."""
    for summary in page.request.get("/api/v1/handover-packets").json()["items"]:
        packet = page.request.get(f"/api/v1/handover-packets/{summary['id']}").json()
        if note_id in [n["id"] for n in packet["notes"]]:
            return packet
    raise AssertionError(f"no packet carries note {note_id}")


def assert_inert(page, watch, where: str) -> None:
    """Nothing from a payload ran or became part of the page."""
    page.wait_for_timeout(150)  # an injected handler or image error would have fired by now
    seen = page.evaluate(INJECTED)
    assert seen == {"ran": "undefined", "elements": 0, "scripts": 0}, where
    assert watch.dialogs == [], where
    assert watch.errors == [], where  # a CSP refusal means a payload became markup


def assert_shown(page, texts: dict[str, str], names: list[str], where: str) -> None:
    """Each named payload reads back literally in the visible text of the page."""
    body = page.locator("body").inner_text()
    missing = [name for name in names if texts[name] not in body]
    assert missing == [], f"{where}: not shown as text: {missing}"


@pytest.fixture
def expect():
    """Playwright's auto-waiting assertions (imported lazily: the module may be missing)."""
    from playwright.sync_api import expect

    return expect


def test_console_shows_case_text_sms_and_alarms_as_text(page, watch, expect, case, live_server):
    login(page)
    expect(page.locator("#conn-state")).to_have_attribute("data-state", "live")
    expect(page.locator(f"#queue-body tr[data-reference='{case.reference}']")).to_be_visible()
    marker = page.locator(f"#map .incident-marker[data-incident-id='{case.incident_id}']")
    # Straight to this marker: incidents at neighbouring addresses may lie on top of it.
    marker.dispatch_event("mouseover")
    expect(page.locator(".leaflet-tooltip")).to_contain_text(case.reference)
    marker.dispatch_event("click")
    expect(page.locator("#detail")).to_have_attribute("data-loaded", str(case.incident_id))
    facts, timeline = page.locator("#detail-facts"), page.locator("#timeline")
    expect(facts).to_contain_text(case.texts["address"])
    expect(facts.locator(".narrative-short")).to_have_text(case.texts["narrative"])
    expect(page.locator("#messages tr.sms-in .sms-body")).to_have_text(case.texts["sms"])
    expect(timeline.locator("tr[data-kind='legal_hold.set']")).to_contain_text(case.texts["hold"])

    case.texts["alarm"] = hostile("alarm")
    unit_sms(live_server, case.unit_phone, case.texts["alarm"])
    alarm = page.locator("#alarms li.alarm[data-kind=unit_text] .alarm-text").last  # the newest
    expect(alarm).to_have_text(case.texts["alarm"])
    screenshot(page, "xss-console.png")
    shown = ["address", "narrative", "sms", "priority", "release", "hold", "alarm"]
    assert_shown(page, case.texts, shown, "console")
    assert_inert(page, watch, "console")


def test_incident_page_shows_case_text_as_text(page, watch, expect, case):
    login(page)
    page.goto(f"/incidents/{case.incident_id}")
    expect(page.locator("#incident[data-loaded]")).to_be_attached()
    expect(page.locator("#narrative")).to_have_text(case.texts["narrative"])
    expect(page.locator("#persons td", has_text=case.texts["suspect"])).to_be_visible()
    screenshot(page, "xss-incident.png")
    shown = ["address", "narrative", "victim", "suspect", "caller", "witness", "judgement"]
    shown += ["priority", "sms", "release", "hold"]
    assert_shown(page, case.texts, shown, "incident page")
    assert_inert(page, watch, "incident page")

    page.goto(f"/incidents/{case.closed_id}")
    expect(page.locator("#incident[data-loaded]")).to_be_attached()
    expect(page.locator("#timeline tr[data-kind='incident.closed']")).to_contain_text(
        case.texts["close"]
    )
    assert_inert(page, watch, "closed incident page")


def test_note_forms_keep_case_text_as_field_values(page, watch, expect, case):
    login(page)
    page.goto(f"/incidents/{case.incident_id}/note")  # a new note starts from the persons
    for i, role in enumerate(("victim", "suspect", "caller", "witness")):
        expect(page.locator(f"#person-{i}-name")).to_have_value(case.texts[role])
    assert_inert(page, watch, "new note form")

    page.goto(f"/incidents/{case.incident_id}/note?correct={case.note_id}")
    fields = {"#summary": "summary", "#children": "children", "#actions-other": "other"}
    fields |= {"#follow_up": "follow-up", "#person-0-name": "note-victim"}
    for selector, name in fields.items():
        expect(page.locator(selector)).to_have_value(case.texts[name])
    assert_inert(page, watch, "correction form")


def test_social_worker_pages_and_print_view_show_note_text_as_text(page, watch, expect, case):
    log_in_as(page, "sw-caw", "/handover")
    urgent = page.locator("#urgent .hnote", has_text=case.texts["phone-summary"])
    expect(urgent).to_be_visible()  # the officer's urgent note, not in a packet yet
    phone = ["phone-summary", "phone-children", "phone-actions-other", "phone-follow_up"]
    assert_shown(page, case.texts, [*phone, "victim", "suspect", "caller", "witness"], "/handover")
    assert_inert(page, watch, "/handover")

    packet = packet_with(page, case.note_id)
    note = ["summary", "note-victim", "remarks", "children", "risk", "other", "follow-up"]
    for path in (f"/handover/packets/{packet['id']}", f"/handover/packets/{packet['id']}/print"):
        page.goto(path)
        expect(page.locator(f".hnote[data-note-id='{case.note_id}']")).to_be_visible()
        assert_shown(page, case.texts, note, path)
        assert_inert(page, watch, path)
    screenshot(page, "xss-print.png")
