"""The risk trajectory in headless Chromium (issue 19): earlier screens at the typed address are
offered while the call is typed, a stable fact is taken over only with E, and the incident page
puts the screens side by side with the changes marked and a chart."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.conftest import login, screenshot

pytestmark = pytest.mark.browser

ADDRESS = "Diepestraat 77, 2060 Antwerpen"
AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
RUN_AXE = """async (selector) => {
    const result = await axe.run(selector, { resultTypes: ["violations"] });
    return result.violations.filter((v) => ["serious", "critical"].includes(v.impact))
      .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}"""


@pytest.fixture
def expect():
    """Playwright's auto-waiting assertions (imported lazily: the module may be missing)."""
    from playwright.sync_api import expect

    return expect


EARLIER = """async ([address, yes]) => {
  const inst = await NW.api("GET", "/api/v1/instruments/dash");
  const answers = {};
  for (const item of inst.items) answers[item.id] = yes.includes(item.id) ? "yes" : "no";
  const made = await NW.api("POST", "/api/v1/incidents", { address, persons: [] },
    { "Idempotency-Key": NW.uuid() });
  await NW.api("POST", `/api/v1/incidents/${made.id}/assessments`,
    { instrument: "dash", answers, victim_fear: 5 });
  return made.reference;
}"""


def test_an_earlier_yes_is_offered_taken_over_with_e_and_compared_on_the_incident(
    page, expect, browser, live_server
):
    page.set_viewport_size({"width": 1366, "height": 768})
    login(page)
    page.goto("/intake")
    expect(page.locator("#q-dash-recent_separation")).to_be_visible()
    first = page.evaluate(EARLIER, [ADDRESS, ["isolated", "recent_separation"]])
    page.evaluate(EARLIER, [ADDRESS, ["recent_separation"]])

    page.locator("#address").fill(ADDRESS)
    summary = page.locator("#trajectory-intake")
    expect(summary).to_be_visible()
    expect(summary.locator("h3")).to_have_text("Eerdere screenings op dit adres")
    expect(summary.locator(f"li[data-reference='{first}']")).to_contain_text("DASH")
    question = page.locator("#q-dash-recent_separation")
    chip = question.locator(".traj-chip")
    expect(chip).to_contain_text("Eerder ja")
    expect(page.locator("#q-dash-isolated .traj-chip")).to_have_count(0)  # not a stable fact
    yes = question.locator("input[value=yes]")
    expect(yes).not_to_be_checked()  # offered, never copied

    question.locator("input[value=no]").focus()
    page.keyboard.press("e")
    expect(yes).to_be_checked()
    expect(question.locator(".traj-done")).to_contain_text("bevestigd")
    # intake.js heard the change: the answer counts (and the live priority is asked again).
    expect(page.locator("[data-counts-for=dash]").first).to_contain_text("1 van 24 beantwoord")
    screenshot(page, "trajectory-intake.png")

    page.locator("#victim-fear").fill("8")
    page.keyboard.press("Control+Enter")
    expect(page.locator("#result")).to_be_visible()
    page.locator("#result a.open-incident").click()

    panel = page.locator("#trajectory")
    table = panel.locator(".traj-instrument[data-instrument=dash] table")
    expect(table.locator("thead th")).to_have_count(4)  # question, two earlier, this one
    expect(table.locator("tr[data-item=recent_separation] td.changed")).to_have_count(0)
    # isolated: yes, then no, then not answered ("don't know"): two changes, marked in words too
    expect(table.locator("tr[data-item=isolated] td.changed")).to_have_count(2)
    expect(table.locator("tr[data-item=isolated] td.changed").first).to_contain_text("◆")
    expect(table.locator("tr[data-item=victim_fear] td").last).to_contain_text("8/10")
    expect(panel.locator("svg.traj-chart")).to_be_visible()
    screenshot(page, "trajectory-incident.png")
    page.locator("#traj-only-dash").check()
    expect(table.locator("tr[data-item=recent_separation]")).to_be_hidden()
    expect(table.locator("tr[data-item=isolated]")).to_be_visible()

    # axe-core on the panel and on the intake's summary (a context without the CSP, for axe).
    context = browser.new_context(
        base_url=live_server,
        locale="nl-BE",
        bypass_csp=True,
        viewport={"width": 1366, "height": 768},
    )
    try:
        tab = context.new_page()
        login(tab)
        tab.goto(page.url)
        expect(tab.locator("#trajectory svg.traj-chart")).to_be_visible()
        tab.add_script_tag(path=str(AXE))
        assert tab.evaluate(RUN_AXE, "#trajectory") == []
        tab.goto("/intake")
        tab.locator("#address").fill(ADDRESS)
        expect(tab.locator("#q-dash-recent_separation .traj-chip")).to_be_visible()
        tab.add_script_tag(path=str(AXE))
        assert tab.evaluate(RUN_AXE, "#step-call") == []
        assert tab.evaluate(RUN_AXE, "#q-dash-recent_separation") == []
    finally:
        context.close()


def test_the_console_intake_drawer_offers_the_same_and_e_confirms_it(page, expect):
    page.set_viewport_size({"width": 1366, "height": 768})
    login(page)
    page.goto("/console")
    address = "Dambruggestraat 120, 2060 Antwerpen"
    page.evaluate(EARLIER, [address, ["pregnancy_or_new_baby"]])
    page.keyboard.press("Alt+n")
    expect(page.locator("#intake-drawer")).to_be_visible()
    page.locator("#address").fill(address)
    expect(page.locator("#trajectory-intake")).to_be_visible()
    question = page.locator("#q-dash-pregnancy_or_new_baby")
    question.locator(".traj-chip").scroll_into_view_if_needed()
    expect(question.locator(".traj-chip")).to_contain_text("Eerder ja")
    question.locator("input[value=unknown]").click()  # "don't know" does not take it away
    expect(question.locator(".traj-chip")).to_be_visible()
    question.locator("input[value=unknown]").focus()
    page.keyboard.press("e")
    expect(question.locator("input[value=yes]")).to_be_checked()
    screenshot(page, "trajectory-console.png")
    page.locator("#intake-new-call").click()  # a new call: nothing of the old one stays
    page.locator("#intake-new-call").click()  # (the second click discards the unsaved call)
    expect(page.locator("#trajectory-intake")).to_be_hidden()
    expect(question.locator(".traj-chip, .traj-done")).to_have_count(0)
