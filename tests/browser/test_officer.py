"""The officer's phone page (issue 18) in headless Chromium at 390×844: an officer of the sent
unit sees the assignment and its safety flags, a dispatcher's priority change arrives live, the
status buttons move the unit, the phone shares its position, and NOOD takes two taps."""

from __future__ import annotations

import uuid

import pytest

from tests.browser.conftest import ARTIFACTS, DEMO_PASSWORD, login, screenshot
from tests.browser.test_accessibility import AXE, BLOCKING, RUN_AXE
from tests.browser.test_console import console_errors, post_incident
from tests.browser.test_workspace import close

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 768}


@pytest.fixture
def expect():
    """Playwright's auto-waiting assertions."""
    from playwright.sync_api import expect

    return expect


def csrf(page) -> dict[str, str]:
    """The page's CSRF header for API calls with its session."""
    return {"X-CSRFToken": page.locator("meta[name=csrf-token]").get_attribute("content")}


def free_unit(dispatcher) -> dict:
    """An available demo unit (the demo server is shared by the browser tests)."""
    units = dispatcher.request.get("/api/v1/units?per_page=200").json()["items"]
    return next(u for u in reversed(units) if u["status"] == "available")


def unit_now(dispatcher, unit_id: int) -> dict:
    """A unit as the board's API has it now."""
    units = dispatcher.request.get("/api/v1/units?per_page=200").json()["items"]
    return next(u for u in units if u["id"] == unit_id)


def open_phone(page, expect, unit: dict) -> None:
    """Log in at phone size as the unit's second demo officer; wait until the page is live."""
    page.set_viewport_size(PHONE)
    page.goto("/login")
    page.fill("#username", f"officer-{unit['call_sign'].lower()}-2")
    page.fill("#password", DEMO_PASSWORD)
    page.press("#password", "Enter")
    page.wait_for_url("**/unit")
    expect(page.locator("#conn-state")).to_have_attribute("data-state", "live")
    expect(page.locator("#officer[data-loaded]")).to_be_attached()


def seen(page, name: str) -> None:
    """Save what the screen shows now (not the whole page) under tests/artifacts/."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name))


def axe_blocking(page) -> list[dict]:
    """The serious and critical axe-core violations of the page as it is now."""
    page.evaluate(AXE.read_text() + "\n;true")  # devtools evaluation: the page's CSP stays on
    return [v for v in page.evaluate(RUN_AXE) if v["impact"] in BLOCKING]


def hang_up(page) -> None:
    """Say goodbye on the page's socket (the page fixture closes consoles, not phones)."""
    page.evaluate("() => window.NWUnit && window.NWUnit.socket.disconnect()")


def test_an_officer_works_an_assignment_from_the_phone(page, another_page, expect):
    dispatcher = another_page()
    login(dispatcher, "dispatcher")
    unit = free_unit(dispatcher)
    notes = f"Achterdeur via de tuin, code {uuid.uuid4().hex[:4]}"
    incident = post_incident(
        dispatcher,
        "Carnotstraat 90, 2060 Antwerpen",
        lat=51.2171,
        lon=4.4262,
        children_present=True,
        access_notes=notes,
        persons=[{"role": "victim", "name": "Arta Krasniqi", "language": "sq"}],
    )
    assert incident["priority"] != "P1"
    sent = dispatcher.request.post(
        f"/api/v1/incidents/{incident['id']}/assignments",
        data={"unit_id": unit["id"]},
        headers=csrf(dispatcher),
    )
    assert sent.status == 201, sent.text()
    errors = console_errors(page)
    try:
        open_phone(page, expect, unit)
        card = page.locator(f"article.assignment[data-id='{sent.json()['id']}']")
        expect(card.locator(".reference")).to_have_text(incident["reference"])
        expect(card.locator("li.flag[data-flag=children]")).to_have_text("Kinderen aanwezig")
        expect(card.locator(".access-notes")).to_have_text(notes)
        expect(card.locator(".interpreter")).to_have_text("Tolk nodig")
        assert card.locator("a.nav").get_attribute("href").startswith("geo:51.217100,4.426200")
        expect(page.locator("#unit-status")).to_have_attribute("data-status", "assigned")
        assert "Krasniqi" not in page.content()  # no names on the phone
        screenshot(page, "officer-phone-assignment.png")
        seen(page, "officer-phone-assignment-screen.png")
        assert axe_blocking(page) == []

        page.evaluate("window.notReloaded = true")
        raised = dispatcher.request.post(
            f"/api/v1/incidents/{incident['id']}/priority",
            data={"priority": "P1", "reason": "Kinderen in gevaar"},
            headers=csrf(dispatcher),
        )
        assert raised.status == 200, raised.text()
        expect(card).to_have_attribute("data-priority", "P1")  # live, without a reload
        expect(card.locator(".prio")).to_contain_text("zeer dringend")
        assert page.evaluate("window.notReloaded") is True

        page.context.grant_permissions(["geolocation"])
        page.context.set_geolocation({"latitude": 51.2101, "longitude": 4.4302, "accuracy": 25})
        walk_the_buttons(page, expect, dispatcher, unit, card)
        screenshot(page, "officer-phone-cleared.png")
        expect(page.locator("#recent-list a", has_text=incident["reference"])).to_be_visible()
        assert page.evaluate("window.notReloaded") is True
        assert errors == []
    finally:
        hang_up(page)
        close(dispatcher, incident["id"])  # the demo server is shared: free the unit, close it


def walk_the_buttons(page, expect, dispatcher, unit: dict, card) -> None:
    """Ontvangen, Onderweg (sharing the position on the way), Ter plaatse, Vrij."""
    status = page.locator("#unit-status")
    for code, label, now in (
        ("ack", "Ontvangen", "acknowledged"),
        ("en_route", "Onderweg", "en_route"),
    ):
        button = card.locator(f"button.report[data-code={code}]")
        expect(button).to_have_text(label)
        button.click()
        expect(status).to_have_attribute("data-status", now)
        expect(card.locator(f"button.report[data-code={code}]")).to_have_attribute(
            "aria-current", "true"
        )
        assert unit_now(dispatcher, unit["id"])["status"] == now
    page.get_by_role("button", name="Deel mijn positie").click()
    expect(page.locator("#share-status")).to_contain_text("Positie gedeeld om")
    shared = unit_now(dispatcher, unit["id"])
    assert (round(shared["lat"], 4), round(shared["lon"], 4)) == (51.2101, 4.4302)
    screenshot(page, "officer-phone-en-route.png")
    card.locator("button.report[data-code=on_scene]").click()
    expect(status).to_have_attribute("data-status", "on_scene")
    expect(page.locator("#report-status")).to_have_text("Ter plaatse: doorgegeven.")
    card.locator("button.report[data-code=clear]").click()
    expect(status).to_have_attribute("data-status", "available")
    expect(card).to_have_count(0)
    expect(page.locator("#assignments .none")).to_have_text("Nu geen opdracht.")
    assert unit_now(dispatcher, unit["id"])["status"] == "available"


def test_nood_takes_two_taps_and_alarms_the_dispatchers(page, another_page, expect):
    dispatcher = another_page()
    login(dispatcher, "dispatcher")
    unit = free_unit(dispatcher)

    def distress() -> list[dict]:
        alarms = dispatcher.request.get("/api/v1/alarms").json()["alarms"]
        return [a for a in alarms if a["kind"] == "distress" and a["unit_id"] == unit["id"]]

    try:
        open_phone(page, expect, unit)
        nood = page.get_by_role("button", name="NOOD")
        box = nood.bounding_box()
        assert box["height"] >= 48 and box["y"] + box["height"] <= PHONE["height"]  # in reach
        nood.click()
        expect(nood).to_have_class("nood armed")
        expect(page.locator("#nood-hint")).to_contain_text("nog eens op NOOD")
        page.wait_for_timeout(300)
        assert distress() == []  # one tap (a pocket) sends nothing
        screenshot(page, "officer-phone-nood-armed.png")
        nood.click()
        expect(page.locator("#report-status")).to_contain_text("NOOD verstuurd")
        expect(page.locator("#nood-hint")).to_contain_text("NOOD verstuurd")  # in the bar too
        [alarm] = distress()
        assert alarm["severity"] == "critical"
        acked = dispatcher.request.post(
            f"/api/v1/alarms/{alarm['id']}/acknowledge", headers=csrf(dispatcher)
        )
        assert acked.status == 200, acked.text()

        page.set_viewport_size(LAPTOP)
        buttons = page.locator("#officer button:visible, #officer a.big-button:visible")
        for n in range(buttons.count()):
            assert buttons.nth(n).bounding_box()["height"] >= 48, buttons.nth(n).inner_text()
        screenshot(page, "officer-laptop.png")
    finally:
        hang_up(page)
