"""'Zelfde persoon?' in headless Chromium: the saved call offers the earlier incident's victim,
the dispatcher links it with the keyboard, sees the history, and unlinks it with a reason; the
victim's own phone, typed in the person row, finds her again when someone else calls."""

from __future__ import annotations

import uuid

import pytest

from tests.browser.conftest import login, screenshot

pytestmark = pytest.mark.browser

VICTIM = {"role": "victim", "name": "Griet Vandenbroucke", "birth_year": 1988}


@pytest.fixture
def expect():
    """Playwright's auto-waiting assertions (imported lazily: the module may be missing)."""
    from playwright.sync_api import expect

    return expect


def test_a_candidate_is_linked_by_keyboard_and_unlinked_with_a_reason(page, expect):
    page.set_viewport_size({"width": 1366, "height": 768})
    login(page)
    page.goto("/intake")
    expect(page.locator("#address")).to_be_focused()
    token = page.locator("meta[name=csrf-token]").get_attribute("content")
    earlier = page.request.post(
        "/api/v1/incidents",
        data={"address": "Kiel 5, 2020 Antwerpen", "persons": [VICTIM]},
        headers={"X-CSRFToken": token},
    ).json()

    page.keyboard.type("Lange Kievitstraat 7, 2018 Antwerpen")
    page.locator("#p0-name").fill("Griet Van den Broucke")  # typed apart this time
    page.keyboard.press("Control+Enter")
    panel = page.locator("#persons-panel")
    candidate = panel.locator(".persons-candidate")
    expect(candidate).to_have_count(1)
    expect(candidate).to_contain_text(earlier["reference"])
    expect(candidate).to_contain_text("overeenkomst")
    screenshot(page, "persons-intake-candidate.png")

    yes = candidate.get_by_role("button", name="Ja, zelfde persoon")
    yes.focus()
    page.keyboard.press("Enter")
    status = page.locator("#persons-panel-status")
    expect(status).to_contain_text("Gekoppeld")
    expect(panel.locator(".persons-linked-to")).to_contain_text(earlier["reference"])
    expect(page.locator("#persons-panel-title")).to_be_focused()  # no candidate left
    history = panel.get_by_role("button", name="Toon voorgeschiedenis")
    history.focus()
    page.keyboard.press("Enter")
    expect(panel.locator(".persons-history-table tbody tr")).to_have_count(2)
    screenshot(page, "persons-intake-linked.png")

    page.goto(f"/incidents/{earlier['id']}")
    expect(page.locator("#incident[data-loaded]")).to_be_attached()
    unlink = page.locator("#persons-panel").get_by_role("button", name="Ontkoppel")
    unlink.click()
    reason = page.get_by_label("Waarom ontkoppelen? (minstens 3 tekens)")
    expect(reason).to_be_focused()
    page.keyboard.type("ok")
    page.keyboard.press("Enter")
    expect(status).to_contain_text("minstens 3 tekens")
    reason.fill("Andere Griet, zelfde naam")
    page.keyboard.press("Enter")
    expect(status).to_contain_text("Ontkoppeld")
    expect(page.locator("#persons-panel .persons-candidate")).to_have_count(1)  # asked again
    screenshot(page, "persons-incident-unlinked.png")


def own_phone() -> str:
    """A mobile number no other test types (the demo server is shared by the browser tests)."""
    digits = f"{uuid.uuid4().int % 10**6:06d}"
    return f"+32 478 {digits[:2]} {digits[2:4]} {digits[4:]}"


def type_victim(page, expect, name: str, phone: str, year: str = "") -> None:
    """From the victim's name on, by keyboard: name, (age), (language), own phone, birth year."""
    page.locator("#p0-name").focus()
    page.keyboard.type(name)
    for _ in range(3):  # past age and language, left empty
        page.keyboard.press("Enter")
    expect(page.locator("#p0-phone")).to_be_focused()
    page.keyboard.type(phone)
    page.keyboard.press("Enter")
    expect(page.locator("#p0-birth_year")).to_be_focused()
    page.keyboard.type(year)
    page.keyboard.press("Enter")
    expect(page.locator("#children-present input").first).to_be_focused()  # on to the children


def test_the_same_victim_through_another_caller_is_offered_by_her_own_phone_and_linked(
    page, expect
):
    page.set_viewport_size({"width": 1366, "height": 768})
    login(page)
    phone = own_phone()
    page.goto("/intake")
    expect(page.locator("#address")).to_be_focused()
    page.keyboard.type("Kiel 12, 2020 Antwerpen")
    page.locator("#caller_phone").fill("0470 11 22 33")  # a neighbour calls
    type_victim(page, expect, "Ilse Wuyts", phone, "1979")
    page.keyboard.press("Control+Enter")
    result = page.locator("#result")
    victim = result.locator(".fact-persons li[data-role=victim]")
    saved = f"Slachtoffer · Ilse Wuyts · geboren in 1979 · eigen telefoon {phone}"
    expect(victim).to_have_text(saved)
    first = result.get_attribute("data-reference")
    first_page = result.locator("a.open-incident").get_attribute("href")
    expect(page.locator("#persons-panel .persons-candidate")).to_have_count(0)
    screenshot(page, "persons-intake-own-phone.png")

    page.goto("/console")  # her sister calls the next night: taken in the console's drawer
    page.keyboard.press("Alt+n")
    drawer = page.locator("#intake-drawer")
    expect(page.locator("#address")).to_be_focused()
    page.keyboard.type("Sint-Bernardsesteenweg 40, 2660 Antwerpen")
    page.locator("#caller_phone").fill("0486 99 88 77")
    type_victim(page, expect, "Ilse Wuyts", phone)
    assert drawer.evaluate("d => d.scrollWidth - d.clientWidth") <= 0  # the row wraps, no scroll
    page.keyboard.press("Control+Enter")
    candidate = drawer.locator("#persons-panel .persons-candidate")
    expect(candidate).to_have_count(1)
    expect(candidate).to_contain_text(first)
    expect(candidate.locator(".persons-match")).to_contain_text("telefoonnummer")
    expect(candidate.locator(".persons-name")).to_contain_text("geboren in 1979")
    second = drawer.locator("#result").get_attribute("data-reference")
    assert second != first
    candidate.scroll_into_view_if_needed()
    screenshot(page, "persons-console-candidate.png")

    yes = candidate.get_by_role("button", name="Ja, zelfde persoon")
    yes.focus()
    page.keyboard.press("Enter")
    expect(drawer.locator("#persons-panel-status")).to_contain_text("Gekoppeld")
    expect(drawer.locator("#persons-panel .persons-linked-to")).to_contain_text(first)

    page.goto(first_page)  # and the earlier incident knows her too
    expect(page.locator("#incident[data-loaded]")).to_be_attached()
    expect(page.locator("#persons-panel .persons-linked-to")).to_contain_text(second)
