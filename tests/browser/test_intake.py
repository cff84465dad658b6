"""The console intake in headless Chromium: a dispatcher takes calls with the keyboard."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import login, screenshot

pytestmark = pytest.mark.browser

REFERENCE = re.compile(r"^NW-\d{4}-\d{6}$")


@pytest.fixture
def expect():
    """Playwright's auto-waiting assertions (imported lazily: the module may be missing)."""
    from playwright.sync_api import expect

    return expect


def open_intake(page, expect) -> None:
    """Log in as the dispatcher and open an empty intake form with its questions loaded."""
    login(page)
    page.goto("/intake")
    expect(page.locator("#q-dash-current_injury")).to_be_visible()
    expect(page.locator("#address")).to_be_focused()


def answer(page, key: str, times: int) -> None:
    """Press 1 (yes), 2 (no) or 3 (don't know) on consecutive questions."""
    for _ in range(times):
        page.keyboard.press(key)


def incident_total(page) -> int:
    """How many incidents the API lists."""
    return page.request.get("/api/v1/incidents?per_page=1").json()["page"]["total"]


def test_immediate_danger_call_is_p1_before_and_after_saving(page, expect):
    open_intake(page, expect)
    badge = page.locator("#prio-badge")
    expect(badge).to_have_attribute("data-priority", "P3")

    page.keyboard.type("Carnotstraat 12, 2060 Antwerpen")
    page.keyboard.press("Enter")
    expect(page.locator("#access_notes")).to_be_focused()  # how to get in: next to the address
    page.keyboard.type("bellen bij de buren")
    page.keyboard.press("Enter")
    expect(page.locator("#caller_phone")).to_be_focused()
    page.keyboard.type("0470 12 34 56")
    for _ in range(3):  # latitude, longitude, then the first immediate-danger question
        page.keyboard.press("Enter")
    expect(page.locator("#q-immediate-danger-suspect_present input[value=yes]")).to_be_focused()
    answer(page, "1", 1)  # the suspect is still there
    expect(badge).to_have_attribute("data-priority", "P1")
    expect(page.locator("#prio-why [data-source=immediate-danger]")).to_be_visible()
    answer(page, "2", 9)
    expect(page.locator("#p0-name")).to_be_focused()
    page.keyboard.type("Samira")
    page.keyboard.press("Enter")
    page.keyboard.type("34")
    page.keyboard.press("Enter")
    page.keyboard.type("ar")
    page.keyboard.press("Enter")
    expect(page.locator("#result")).to_be_hidden()  # Enter moves on, it never saves

    before = incident_total(page)
    page.keyboard.press("Control+Enter")
    page.keyboard.press("Control+Enter")  # a double submit must not make two incidents
    result = page.locator("#result")
    expect(result).to_be_visible()
    expect(result.locator(".reference")).to_have_text(REFERENCE)
    expect(result.locator(".facts .prio")).to_have_attribute("data-priority", "P1")
    expect(badge).to_have_attribute("data-priority", "P1")
    expect(result.locator(".assessment[data-instrument=immediate-danger]")).to_have_attribute(
        "data-level", "immediate"
    )
    expect(page.locator("#victim-fear")).to_be_focused()  # the victim's own fear, then the screen
    page.keyboard.type("6")
    page.keyboard.press("Enter")
    expect(page.locator("#q-dash-current_injury input").first).to_be_focused()
    page.keyboard.press("Control+Enter")  # the fear alone is kept too (with the danger screen)
    expect(result.locator(".fact-victim_fear dd")).to_have_text("6 op 10")
    assert incident_total(page) == before + 1
    screenshot(page, "intake-nl.png")


def test_dash_screen_with_14_yes_is_high_and_recommends_veilig_huis(page, expect, watch):
    open_intake(page, expect)
    page.keyboard.type("Turnhoutsebaan 100, 2140 Borgerhout")
    page.locator("#p0-name").fill("Lotte")
    page.locator("#q-immediate-danger-suspect_present input").first.focus()
    answer(page, "2", 10)  # no immediate danger
    page.locator("#q-dash-current_injury input").first.focus()
    answer(page, "1", 14)
    badge = page.locator("#prio-badge")
    expect(badge).to_have_attribute("data-priority", "P2")
    expect(page.locator("#prio-why [data-source=dash][data-level=high]")).to_be_visible()
    expect(page.locator("[data-counts-for=dash]")).to_contain_text("14")

    page.locator("#save-btn").click()
    result = page.locator("#result")
    expect(result.locator(".reference")).to_have_text(REFERENCE)
    expect(result.locator(".facts .prio")).to_have_attribute("data-priority", "P2")
    dash = result.locator(".assessment[data-instrument=dash]")
    expect(dash).to_have_attribute("data-level", "high")
    expect(dash).to_contain_text("10 onbekend of onbeantwoord")  # reported, not counted as no
    veilig_huis = result.locator(".recommendations [data-code=veilig_huis_case_consultation]")
    expect(veilig_huis).to_contain_text("Veilig Huis")
    expect(veilig_huis.locator(".why")).to_contain_text("DASH")

    page.locator("a.open-incident").click()
    expect(page.locator("#incident[data-loaded]")).to_be_attached()
    expect(page.locator("#inc-priority")).to_have_attribute("data-priority", "P2")
    by_dispatcher = page.locator("#timeline tbody tr", has_text="dispatcher")
    expect(by_dispatcher.and_(page.locator("[data-kind='incident.created']"))).to_have_count(1)
    expect(by_dispatcher.and_(page.locator("[data-kind='assessment.scored']"))).to_have_count(2)
    # the screen's victim-support recommendation is kept as a suggested referral
    expect(page.locator("#timeline tr[data-kind='referral.suggested']")).to_have_count(1)
    expect(page.locator("#timeline .when").first).to_have_text(re.compile(r"\d{1,2}:\d{2}:\d{2}"))
    screenshot(page, "incident-nl.png")
    assert watch.dialogs == []


def test_case_text_is_shown_as_text_and_earlier_incidents_are_listed(page, expect, watch):
    open_intake(page, expect)
    address = "Lange Kievitstraat 5, 2018 Antwerpen"
    token = page.locator("meta[name=csrf-token]").get_attribute("content")
    earlier = page.request.post(
        "/api/v1/incidents", data={"address": address}, headers={"X-CSRFToken": token}
    ).json()
    narrative = '<script>alert("xss")</script><img src=x onerror="alert(2)"> slaat deur in'
    page.keyboard.type(address)
    page.locator("#p0-name").fill("<b>Nora</b>")
    page.locator("#narrative").fill(narrative)
    page.keyboard.press("Control+Enter")
    result = page.locator("#result")
    row = result.locator(f".prior-table tr[data-reference='{earlier['reference']}']")
    expect(row).to_be_visible()

    page.locator("a.open-incident").click()
    expect(page.locator("#incident[data-loaded]")).to_be_attached()
    expect(page.locator("#narrative")).to_have_text(narrative)
    expect(page.locator("#narrative script, #narrative img")).to_have_count(0)
    expect(page.locator("#persons td", has_text="<b>Nora</b>")).to_be_visible()
    expect(page.locator("#prior tr[data-reference]")).to_have_count(1)
    page.wait_for_timeout(200)  # an injected onerror handler would have fired by now
    assert watch.dialogs == []


def test_unverified_location_can_be_pinned(page, expect):
    open_intake(page, expect)
    page.keyboard.type("ergens achter het station")
    page.keyboard.press("Control+Enter")
    result = page.locator("#result")
    expect(result.locator("[data-quality]")).to_have_attribute("data-quality", "unverified")
    expect(result.locator(".warning")).to_be_visible()
    page.locator("#point-lat").fill("51.2172")
    page.locator("#point-lon").fill("4.4211")
    page.keyboard.press("Enter")
    expect(result.locator("[data-quality]")).to_have_attribute("data-quality", "exact")
    expect(result.locator(".warning")).to_have_count(0)


def test_field_errors_show_at_the_input_and_alt_n_starts_a_new_call(page, expect):
    open_intake(page, expect)
    before = incident_total(page)
    page.keyboard.type("Kerkstraat 1, 2060 Antwerpen")
    page.locator("#p0-age").fill("130")
    page.locator("#p0-phone").fill("bel de buren")
    page.locator("#add-person").click()  # a suspect born in '88, typed as 88
    page.locator("#p1-name").fill("Kevin")
    page.locator("#p1-birth_year").fill("88")
    page.keyboard.press("Control+Enter")
    age = page.locator("#p0-age")
    expect(age).to_have_attribute("aria-invalid", "true")
    expect(age).to_be_focused()
    expect(page.locator("#p0-age + .field-error")).to_be_visible()
    expect(page.locator("#p0-phone")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#p0-phone + .field-error")).to_have_text("Heeft niet de verwachte vorm.")
    expect(page.locator("#p1-birth_year + .field-error")).to_contain_text("1.900")
    expect(page.locator("#p0-birth_year")).not_to_have_attribute("aria-invalid", "true")
    assert incident_total(page) == before

    page.keyboard.press("Alt+n")  # unsaved: the first press only warns
    expect(page.locator("#address")).to_have_value("Kerkstraat 1, 2060 Antwerpen")
    expect(page.locator("#form-status")).to_have_class(re.compile("status-warn"))
    page.keyboard.press("Alt+n")
    expect(page.locator("#address")).to_have_value("")
    expect(page.locator("#address")).to_be_focused()
    expect(page.locator("#p0-age")).not_to_have_attribute("aria-invalid", "true")
    expect(page.locator("#p0-phone")).to_have_value("")  # the victim's own phone is not kept
    expect(page.locator("#persons .person")).to_have_count(1)
    expect(page.locator(".field-error")).to_have_count(0)
    expect(page.locator("#prio-badge")).to_have_attribute("data-priority", "P3")


def test_intake_fits_a_phone_screen(page, expect):
    page.set_viewport_size({"width": 390, "height": 844})
    open_intake(page, expect)
    screenshot(page, "intake-phone.png")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0


def test_children_motives_and_the_victims_fear_are_saved_and_shown(page, expect, watch):
    open_intake(page, expect)
    page.keyboard.type("Carnotstraat 12, 2060 Antwerpen")
    # The typed address's debounced look-ups (duplicates, earlier screens) answer first, so a
    # late answer on a slow machine is not what the keyboard step below is tested against.
    page.wait_for_timeout(1200)
    page.locator("#p0-birth_year").press("Enter")  # from the victim to the children
    expect(page.locator("#children-present input").first).to_be_focused()
    page.keyboard.press("1")  # present
    expect(page.locator("#children-count")).to_be_focused()
    page.keyboard.type("1")
    page.keyboard.press("Enter")
    page.keyboard.type("4, 7")
    page.keyboard.press("Enter")
    expect(page.locator("#children-at-risk input").first).to_be_focused()
    page.keyboard.press("1")  # at risk
    page.locator("#motives input[value=racism_discrimination]").check()
    page.locator("#victim-fear").fill("8")
    page.locator("#q-dash-current_injury input").first.focus()
    answer(page, "1", 3)

    before = incident_total(page)
    page.keyboard.press("Control+Enter")
    ages = page.locator("#children-ages")
    expect(ages).to_have_attribute("aria-invalid", "true")  # two ages for one child: not sent
    expect(ages).to_be_focused()
    assert incident_total(page) == before
    page.locator("#children-count").fill("0")
    expect(ages).to_be_disabled()  # no children: no ages, no risk to ask about
    page.locator("#children-count").fill("2")
    page.keyboard.press("Control+Enter")

    result = page.locator("#result")
    expect(result.locator(".reference")).to_have_text(REFERENCE)
    expect(result.locator(".fact-children dd")).to_have_text(
        "2 kinderen · leeftijden 4, 7 · aanwezig · in gevaar"
    )
    expect(result.locator(".fact-motives dd")).to_have_text("racisme of discriminatie")
    expect(result.locator(".fact-victim_fear dd")).to_have_text("8 op 10")
    support = result.locator(".recommendations [data-code=offer_psychosocial_support]")
    expect(support).to_be_visible()  # a hate-crime victim is always offered support
    screenshot(page, "intake-children-nl.png")
    href = result.locator("a.open-incident").get_attribute("href")
    detail = page.request.get(f"/api/v1{href}").json()
    assert detail["children"] == {"count": 2, "ages": [4, 7], "present": True, "at_risk": True}
    assert detail["motives"] == ["racism_discrimination"]
    assert {a["instrument"]: a["victim_fear"] for a in detail["assessments"]} == {
        "immediate-danger": None,
        "dash": 8,
    }

    page.goto(href)
    panel = page.locator("#case-facts[data-loaded]")
    expect(panel.locator("[data-fact=count]")).to_have_text("2")
    expect(panel.locator("[data-fact=ages]")).to_have_text("4, 7")
    expect(panel.locator("[data-fact=at_risk]")).to_have_text("ja")
    expect(panel.locator("[data-fact=motives]")).to_have_text("racisme of discriminatie")
    expect(panel.locator("[data-fact=victim_fear]")).to_have_text("8 op 10")
    panel.locator("summary").click()
    panel.locator("#cf-ages").fill("4, 7, 19")
    panel.locator("button[type=submit]").click()
    expect(panel.locator("#cf-ages")).to_have_attribute("aria-invalid", "true")
    panel.locator("#cf-ages").fill("4, 7")
    panel.locator("#cf-motives input[value=anti_lgbt]").check()
    panel.locator("#cf-at-risk input[value=no]").check()
    panel.locator("button[type=submit]").click()
    panel = page.locator("#case-facts[data-loaded]")  # the page reloads with the stored state
    expect(panel.locator("#cf-status")).to_have_text("Kinderen en motieven verbeterd.")
    expect(panel.locator("[data-fact=motives]")).to_have_text(
        "racisme of discriminatie, haat tegen LGBTI+-personen"
    )
    expect(panel.locator("[data-fact=at_risk]")).to_have_text("nee")
    expect(page.locator("#timeline tr[data-kind='incident.corrected']")).to_have_count(1)
    screenshot(page, "incident-case-facts-nl.png")
    assert watch.dialogs == []
