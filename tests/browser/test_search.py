"""The console's search box in headless Chromium at 1366×768, by keyboard: Alt+Z, a name as it
sounds, the reason asked for, the results announced and listed, Escape closing them; and axe on
the console with the results open."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import DEMO_PASSWORD, match_clock, screenshot
from tests.browser.test_console import post_incident, wait_live

pytestmark = pytest.mark.browser

VIEWPORT = {"width": 1366, "height": 768}
AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
RUN_AXE = """async () => {
    const result = await axe.run(document, { resultTypes: ["violations"] });
    return result.violations.filter((v) => ["serious", "critical"].includes(v.impact))
        .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}"""


@pytest.fixture
def expect():
    """Playwright's auto-waiting assertions (imported lazily: the module may be missing)."""
    from playwright.sync_api import expect

    return expect


def console_with_a_victim(page: Any, expect: Any, name: str) -> dict:
    """Log in as the demo dispatcher, take a call naming a victim, open the console."""
    page.set_viewport_size(VIEWPORT)
    page.goto("/login")
    page.fill("#username", "dispatcher")
    page.fill("#password", DEMO_PASSWORD)
    page.press("#password", "Enter")
    page.wait_for_url("**/console")
    incident = post_incident(
        page,
        "Lange Beeldekensstraat 20, 2060 Antwerpen",
        persons=[{"role": "victim", "name": name}],
    )
    wait_live(page, expect)
    expect(page.locator("#search-box[data-ready]")).to_be_attached()
    return incident


def search_by_keyboard(page: Any, expect: Any, q: str) -> None:
    """Alt+Z, type, Enter (the reason is asked), pick the first reason, Enter."""
    page.locator("#queue").focus()
    page.keyboard.press("Alt+z")
    expect(page.locator("#search-q")).to_be_focused()
    page.keyboard.type(q)
    page.keyboard.press("Enter")
    expect(page.locator("#search-reason")).to_be_focused()
    expect(page.locator("#search-reason-error")).to_have_text("Kies waarom je zoekt.")
    page.locator("#search-reason").select_option("current_call")
    page.keyboard.press("Enter")


def test_a_dispatcher_finds_an_earlier_incident_by_keyboard(page, expect):
    incident = console_with_a_victim(page, expect, "Marie Peeters")
    search_by_keyboard(page, expect, "Marie Peters")
    expect(page.locator("#search-status")).to_have_text("1 melding gevonden.")
    hit = page.locator("#search-results li").first
    expect(hit).to_contain_text(incident["reference"])
    expect(hit).to_contain_text("klinkt als de naam; als slachtoffer")
    screenshot(page, "search-results-1366.png")
    page.locator("#search-q").focus()
    page.keyboard.press("ArrowDown")
    link = page.locator("#search-results a").first
    expect(link).to_be_focused()
    assert link.get_attribute("href") == f"/incidents/{incident['id']}"
    assert link.get_attribute("target") == "_blank"
    page.keyboard.press("ArrowDown")  # the incident is on the board: "show it here" is next
    expect(page.locator("#search-results button.search-here").first).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#detail")).to_have_attribute("data-incident-id", str(incident["id"]))
    expect(page.locator("#search-panel")).to_be_hidden()


def test_escape_closes_the_results_and_forgets_the_reason(page, expect):
    console_with_a_victim(page, expect, "Ahmed El Amrani")
    search_by_keyboard(page, expect, "Ahmed El Amrani")
    expect(page.locator("#search-status")).to_contain_text("gevonden")
    page.keyboard.press("Escape")
    expect(page.locator("#search-panel")).to_be_hidden()
    expect(page.locator("#search-q")).to_be_focused()
    assert page.locator("#search-reason").input_value() == ""
    page.keyboard.press("Escape")
    expect(page.locator("#search-q")).not_to_be_focused()


def test_the_console_with_search_results_open_passes_axe(browser, live_server, expect):
    context = browser.new_context(
        base_url=live_server, locale="nl-BE", timezone_id="Europe/Brussels", bypass_csp=True
    )
    context.set_default_timeout(8000)
    match_clock(context)
    page = context.new_page()
    try:
        console_with_a_victim(page, expect, "Sofie Claes")
        search_by_keyboard(page, expect, "Sofie Claes")
        expect(page.locator("#search-status")).to_contain_text("gevonden")
        page.add_script_tag(path=str(AXE))
        assert page.evaluate(RUN_AXE) == []
        screenshot(page, "search-axe-1366.png")
    finally:
        page.evaluate("() => window.NWConsole && window.NWConsole.socket.disconnect()")
        context.close()
