"""'Zelfde persoon?' in headless Chromium: the saved call offers the earlier incident's victim,
the dispatcher links it with the keyboard, sees the history, and unlinks it with a reason."""

from __future__ import annotations

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
