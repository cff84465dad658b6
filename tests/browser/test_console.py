"""The live console in headless Chromium: two dispatchers, a unit's SMS, and a social worker
who must hear none of it. Everything arrives over Socket.IO without reloading the page."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest
import requests
from twilio.request_validator import RequestValidator

from tests.browser.conftest import (
    DEMO_PASSWORD,
    TWILIO_AUTH_TOKEN,
    live_flask,
    login,
    screenshot,
)

pytestmark = pytest.mark.browser

REFERENCE = re.compile(r"^NW-\d{4}-\d{6}$")
TIMER = re.compile(r"^\d+:\d\d(:\d\d)?$")
SOCKET_IO = "/static/vendor/socket.io-client/socket.io.min.js"


@pytest.fixture
def expect():
    """Playwright's auto-waiting assertions (imported lazily: the module may be missing)."""
    from playwright.sync_api import expect

    return expect


def console_errors(page) -> list[str]:
    """Collect the page's console errors (failed loads, handler errors) from now on."""
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    return errors


def open_console(page, expect, username: str = "dispatcher") -> None:
    """Log in and wait until the console is live and has loaded the board."""
    login(page, username)
    wait_live(page, expect)


def wait_live(page, expect) -> None:
    """The socket is connected and a board snapshot has been applied."""
    expect(page.locator("#conn-state")).to_have_attribute("data-state", "live")
    expect(page.locator("#console[data-syncs]")).to_be_attached()


def take_call(page, expect, address: str) -> str:
    """Save a call on /intake with one immediate-danger "yes"; return its reference."""
    page.goto("/intake")
    first_question = page.locator("#q-immediate-danger-suspect_present input").first
    expect(first_question).to_be_visible()
    page.locator("#address").fill(address)
    first_question.focus()
    page.keyboard.press("1")
    page.keyboard.press("Control+Enter")
    reference = page.locator("#result .reference")
    expect(reference).to_have_text(REFERENCE)
    return reference.inner_text()


def post_incident(page, address: str, **fields) -> dict:
    """Create an incident through the API with the page's session and CSRF token."""
    token = page.locator("meta[name=csrf-token]").get_attribute("content")
    response = page.request.post(
        "/api/v1/incidents", data={"address": address, **fields}, headers={"X-CSRFToken": token}
    )
    assert response.status == 201, response.text()
    return response.json()


def unit_sms(base_url: str, phone: str, body: str) -> None:
    """A unit's SMS reply, signed as Twilio signs its webhooks."""
    url = f"{base_url}/webhooks/twilio/sms"
    params = {
        "MessageSid": f"SM{uuid.uuid4().hex}",
        "From": phone,
        "To": "+3228000000",
        "Body": body,
    }
    signature = RequestValidator(TWILIO_AUTH_TOKEN).compute_signature(url, params)
    response = requests.post(url, data=params, headers={"X-Twilio-Signature": signature}, timeout=5)
    assert response.status_code == 200, response.text


def listen_as_social_worker(page, expect) -> None:
    """Log in as a CAW social worker and connect a Socket.IO client that records every event."""
    page.goto("/login")
    page.fill("#username", "sw-caw")
    page.fill("#password", DEMO_PASSWORD)
    page.press("#password", "Enter")
    page.wait_for_url("**/handover")
    page.add_script_tag(url=SOCKET_IO)
    page.evaluate(
        """() => new Promise((resolve, reject) => {
            window.heard = [];
            window.sw = io("/console");
            window.sw.onAny((name) => window.heard.push(name));
            window.sw.on("connect", resolve);
            window.sw.on("connect_error", (err) => reject(new Error(err.message)));
        })"""
    )


def open_in_detail(page, expect, reference: str) -> int:
    """Alt+Q to the queue, arrow down to the incident, Enter; return its id."""
    # A call posted over the API reaches the board live, after its commit: wait for its row
    # before walking the queue, or the walk may end before the row is there.
    expect(page.locator(f"#queue-body tr[data-reference='{reference}']")).to_have_count(1)
    page.keyboard.press("Alt+q")
    focused = page.locator("#queue-body tr:focus")
    expect(focused).to_have_count(1)
    for _ in range(page.locator("#queue-body tr[data-id]").count()):
        if focused.get_attribute("data-reference") == reference:
            break
        page.keyboard.press("ArrowDown")
    expect(focused).to_have_attribute("data-reference", reference)
    page.keyboard.press("Enter")
    incident_id = focused.get_attribute("data-id")
    expect(page.locator("#detail")).to_have_attribute("data-loaded", incident_id)
    expect(page.locator("#recs li.rec").first).to_be_visible()
    return int(incident_id)


def test_a_call_and_a_units_sms_reach_every_dispatcher_live_and_no_social_worker(
    page, another_page, expect, live_server, watch
):
    social = another_page()
    listen_as_social_worker(social, expect)
    other = another_page()
    open_console(other, expect, "dispatcher2")
    other_errors = console_errors(other)
    other.evaluate("window.notReloaded = true")

    open_console(page, expect)
    reference = take_call(page, expect, "Carnotstraat 40, 2060 Antwerpen")
    seen = other.locator(f"#queue-body tr[data-reference='{reference}']")
    expect(seen).to_have_attribute("data-priority", "P1")  # arrived live on the other console
    expect(seen.locator(".since-call")).to_have_text(TIMER)
    expect(
        other.locator(f"#map .incident-marker[data-incident-id='{seen.get_attribute('data-id')}']")
    ).to_have_count(1)

    page.goto("/console")
    wait_live(page, expect)
    errors = console_errors(page)
    open_in_detail(page, expect, reference)
    first = page.locator("#recs li.rec").first
    call_sign = first.get_attribute("data-call-sign")
    page.keyboard.press("Alt+a")
    expect(page.locator("#detail-status")).to_contain_text(call_sign)
    expect(page.locator("#assignments li", has_text=call_sign)).to_be_visible()
    expect(page.locator("#messages tr.sms-out")).to_have_count(1)  # the assignment SMS

    unit = other.locator(f"#units-body tr[data-call-sign='{call_sign}']")
    expect(unit).to_have_attribute("data-status", "assigned")
    expect(unit.locator(".status")).to_have_text("toegewezen")
    expect(unit).to_contain_text(reference)
    expect(seen).to_have_attribute("data-status", "dispatched")
    expect(seen.locator(".since-dispatch")).to_have_text(TIMER)

    board = page.request.get("/api/v1/board").json()
    phone = next(u["phone"] for u in board["units"] if u["call_sign"] == call_sign)
    unit_sms(live_server, phone, "ACK")
    expect(unit).to_have_attribute("data-status", "acknowledged")
    expect(unit.locator(".status")).to_have_text("bevestigd")
    expect(page.locator("#messages tr.sms-in")).to_contain_text("ACK")

    hostile = '<img src=x onerror="alert(1)">Buurman <b>dreigt</b> opnieuw, kom terug'
    unit_sms(live_server, phone, hostile)
    for console in (page, other):
        alarm = console.locator("#alarms li.alarm[data-kind=unit_text]").first
        expect(alarm.locator(".alarm-text")).to_have_text(hostile)
        expect(alarm).to_contain_text(call_sign)
        expect(console.locator("#alarms img, #alarms b")).to_have_count(0)
    expect(page.locator("#console[data-alarm-sounds]")).to_be_attached()  # a key was pressed here
    page.keyboard.press("Alt+l")  # to the most severe open alarm's Acknowledge button
    expect(page.locator("#alarms li.alarm:not(.acked) button.ack").first).to_be_focused()
    mine = page.locator("#alarms li.alarm[data-kind=unit_text]", has_text=hostile)
    mine.locator("button.ack").focus()
    page.keyboard.press("Enter")  # acknowledge: read, so it is gone on every console
    for console in (page, other):
        expect(
            console.locator("#alarms li.alarm[data-kind=unit_text]", has_text=hostile)
        ).to_have_count(0)

    assert other.evaluate("window.notReloaded") is True
    assert social.evaluate("window.sw.connected") is True
    assert social.evaluate("window.heard") == []
    assert social.request.get("/console").status == 403
    assert social.request.get("/api/v1/board").status == 403
    page.wait_for_timeout(100)  # an injected onerror handler would have fired by now
    assert watch.dialogs == []
    assert errors == [] and other_errors == []


def test_a_dropped_connection_shows_a_banner_and_heals_by_reloading_the_board(
    page, another_page, expect
):
    open_console(page, expect)
    syncs = int(page.locator("#console").get_attribute("data-syncs"))
    other = another_page()
    open_console(other, expect, "dispatcher2")

    page.context.set_offline(True)
    page.evaluate("window.NWConsole.socket.io.engine.close()")
    banner = page.locator("#conn-banner")
    expect(banner).to_be_visible()
    expect(page.locator("#conn-state")).to_have_attribute("data-state", "offline")
    missed = post_incident(other, "Turnhoutsebaan 12, 2140 Borgerhout")  # its event is lost here
    row = page.locator(f"#queue-body tr[data-reference='{missed['reference']}']")
    expect(other.locator(f"#queue-body tr[data-reference='{missed['reference']}']")).to_be_visible()
    expect(row).to_have_count(0)

    page.context.set_offline(False)
    expect(banner).to_be_hidden(timeout=8000)
    expect(page.locator("#conn-state")).to_have_attribute("data-state", "live")
    expect(row).to_be_visible()  # from the board snapshot taken on reconnect
    expect(page.locator("#console")).to_have_attribute("data-syncs", str(syncs + 1))


def test_assigning_a_unit_another_dispatcher_just_took_shows_the_conflict(
    page, another_page, expect
):
    open_console(page, expect)
    wanted = post_incident(page, "Lange Kievitstraat 50, 2018 Antwerpen", lat=51.2105, lon=4.4195)
    open_in_detail(page, expect, wanted["reference"])
    first = page.locator("#recs li.rec").first
    call_sign, unit_id = first.get_attribute("data-call-sign"), first.get_attribute("data-unit-id")
    page.evaluate("window.NWConsole.socket.disconnect()")  # this console hears nothing for now

    other = another_page()
    open_console(other, expect, "dispatcher2")
    elsewhere = post_incident(other, "Kerkstraat 90, 2060 Antwerpen")
    token = other.locator("meta[name=csrf-token]").get_attribute("content")
    taken = other.request.post(
        f"/api/v1/incidents/{elsewhere['id']}/assignments",
        data={"unit_id": int(unit_id)},
        headers={"X-CSRFToken": token},
    )
    assert taken.status == 201, taken.text()

    page.keyboard.press("Alt+a")
    error = page.locator("#assign-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text(call_sign)
    expect(page.locator(f"#recs li[data-call-sign='{call_sign}']")).to_have_count(0)
    expect(page.locator("#assignments")).not_to_contain_text(call_sign)
    page.evaluate("window.NWConsole.socket.connect()")
    wait_live(page, expect)


def test_console_in_dutch_and_english_works_offline_and_by_keyboard(page, expect, live_server):
    urls: list[str] = []
    page.on("request", lambda r: urls.append(r.url))
    errors = console_errors(page)
    open_console(page, expect)
    incident = post_incident(page, "Meir 1, 2000 Antwerpen", lat=51.2181, lon=4.4065)
    unit_sms(live_server, "+32470000042", "Welk adres? We staan aan de Meir.")  # NT-42: free text
    expect(
        page.locator("#alarms li.alarm[data-kind=unit_text]", has_text="We staan aan de Meir")
    ).to_have_count(1)
    expect(page.locator("#h-queue")).to_contain_text("Open incidenten")
    expect(page.locator("#map[data-outlines='7']")).to_be_attached()  # Antwerp's cantons
    expect(page.locator("#map .unit-pin").first).to_be_visible()
    marker = page.locator(f"#map .incident-marker[data-incident-id='{incident['id']}']")
    expect(marker).to_be_attached()
    reference = incident["reference"]
    open_in_detail(page, expect, reference)
    screenshot(page, "console-nl.png")

    page.keyboard.press("Alt+m")
    expect(page.locator("#mute")).to_have_attribute("aria-pressed", "true")
    page.goto("/console?lang=en")
    wait_live(page, expect)
    expect(page.locator("#mute")).to_have_attribute("aria-pressed", "true")  # remembered
    expect(page.locator("#h-units")).to_contain_text("Units")
    expect(page.locator("#shortcuts")).to_contain_text("assign the first recommended unit")
    open_in_detail(page, expect, reference)
    screenshot(page, "console-en.png")

    page.keyboard.press("Alt+n")  # the call form opens over the queue; the console stays live
    expect(page.locator("#intake-drawer")).to_be_visible()
    expect(page.locator("#address")).to_be_focused()
    assert page.url.endswith("/console?lang=en")
    page.goto("/console?lang=nl")
    assert errors == []
    elsewhere = [u for u in urls if not u.startswith((live_server, "data:"))]
    assert elsewhere == []


def referral_select(page, kind: str):
    """The close dialog's question for one referral (its id holds a dot: no CSS #id)."""
    return page.locator(f"[id='action-referrals.{kind}']")


def test_closing_asks_what_happened_with_each_referral_and_records_it(page, expect):
    page.set_viewport_size({"width": 1366, "height": 768})
    open_console(page, expect)
    at_risk = {"count": 2, "ages": [3, 8], "present": True, "at_risk": True}
    incident = post_incident(page, "Kerkstraat 25, 2060 Antwerpen", children=at_risk)
    open_in_detail(page, expect, incident["reference"])

    page.keyboard.press("Alt+c")
    expect(page.locator("#action-disposition")).to_be_focused()
    questions = page.locator("#action-fields .close-referrals select")
    expect(questions).to_have_count(3)  # victim and psychosocial support always; VK: suggested
    expect(page.locator("#action-fields .ref-why")).to_have_text("Voorgesteld: Kinderen in gevaar")
    page.keyboard.press("Tab")
    expect(referral_select(page, "victim_support")).to_be_focused()
    page.locator("#action-submit").click()  # nothing answered: the server names each question
    error = page.locator("[id='action-referrals.victim_support-error']")
    expect(error).to_have_text("Kies wat er met deze doorverwijzing gebeurde.")
    expect(page.locator("#action-dialog")).to_be_visible()
    screenshot(page, "console-close-referrals.png")

    referral_select(page, "victim_support").select_option("accepted")
    referral_select(page, "psychosocial_support").select_option("not_offered:not_safe")
    referral_select(page, "child_abuse_centre").select_option("declined")
    page.locator("#action-submit").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#action-dialog")).to_be_hidden()
    row = page.locator(f"#queue-body tr[data-reference='{incident['reference']}']")
    expect(row).to_have_count(0)
    listed = page.request.get(f"/api/v1/incidents/{incident['id']}/referrals").json()["items"]
    assert {i["kind"]: i["status"] for i in listed} == {
        "victim_support": "accepted",
        "psychosocial_support": "not_offered",
        "child_abuse_centre": "declined",
    }


def register_house_ban(live_server: str, live_instance, address: str, since: str) -> dict:
    """A supervisor's house ban at ADDRESS from two days before SINCE (an ISO time), by API."""
    made = live_flask(live_instance, live_server, "token", "create", "supervisor")
    start = dt.datetime.fromisoformat(since)
    response = requests.post(
        f"{live_server}/api/v1/protective-orders",
        json={
            "kind": "house_ban",
            "subject": {"name": "Dirk Wouters", "birth_year": 1983},
            "protected_persons": [{"name": "Sandra Wouters"}],
            "address": address,
            "valid_from": (start - dt.timedelta(days=2)).isoformat(),
            "valid_to": (start + dt.timedelta(days=12)).isoformat(),
            "issuing_authority": "Procureur des Konings Antwerpen",
        },
        headers={"Authorization": f"Bearer {made.strip().splitlines()[-1]}"},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    return response.json() | {"token": made.strip().splitlines()[-1]}


def test_the_detail_shows_the_children_the_motives_and_a_possible_breach_in_red(
    page, expect, live_server, live_instance
):
    page.set_viewport_size({"width": 1366, "height": 768})
    open_console(page, expect)
    home = "Vleminckveld 33, 2000 Antwerpen"
    incident = post_incident(
        page,
        home,
        flags=["suspect_present"],  # he is there, at the home he was banned from
        children={"count": 2, "ages": [3, 8], "present": True, "at_risk": True},
        motives=["racism_discrimination", "sexual_violence"],
    )
    open_in_detail(page, expect, incident["reference"])
    danger = page.locator("#detail-danger")
    expect(danger).to_be_hidden()  # no order registered yet
    facts = page.locator("#detail-facts")
    expect(facts).to_contain_text("2 kinderen · leeftijden 3, 8 · aanwezig · in gevaar")
    expect(facts.locator(".children-at-risk")).to_have_text("in gevaar")
    expect(facts).to_contain_text("racisme of discriminatie, seksueel geweld")

    order = register_house_ban(live_server, live_instance, home, incident["received_at"])
    # Registering re-checks the open incidents: the open detail turns red without a reload.
    expect(danger).to_be_visible()
    expect(danger).to_have_class(re.compile(r"\bdanger-breach\b"))
    expect(danger.locator(".danger-title")).to_have_text(
        "Mogelijke inbreuk op een huisverbod of rechterlijk verbod"
    )
    expect(facts.locator("[data-flag=possible_breach]")).to_contain_text("mogelijke inbreuk")
    expect(facts.locator("[data-flag=order_in_force]")).to_contain_text("huisverbod")
    expect(page.locator("#detail-priority")).to_have_attribute("data-priority", "P1")
    page.locator("#detail-facts").scroll_into_view_if_needed()
    screenshot(page, "console-detail-breach.png")
    overflow = page.locator("#detail").evaluate("d => d.scrollWidth - d.clientWidth")
    assert overflow <= 0

    requests.post(
        f"{live_server}/api/v1/protective-orders/{order['id']}/revoke",
        json={"reason": "einde van de test"},
        headers={"Authorization": f"Bearer {order['token']}"},
        timeout=10,
    ).raise_for_status()
    expect(danger).to_be_hidden()  # lifted: the red goes with it
