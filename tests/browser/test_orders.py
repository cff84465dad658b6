"""The order alert on the incident page (issue 19): shown when the call is flagged, and for a
restricted order without names, at 1366×768."""

from __future__ import annotations

import datetime as dt

import pytest
import requests

from tests.browser.conftest import live_flask, screenshot
from tests.browser.test_console import open_console, post_incident

BANNED = "Dirk Wouters"


@pytest.fixture
def expect():
    """Playwright's auto-waiting assertions (imported lazily: the module may be missing)."""
    from playwright.sync_api import expect

    return expect


def register(live_server: str, token: str, address: str, since: str, restricted: bool) -> None:
    """A supervisor's house ban at ADDRESS from two days before SINCE (the server's time)."""
    start = dt.datetime.fromisoformat(since)
    response = requests.post(
        f"{live_server}/api/v1/protective-orders",
        json={
            "kind": "house_ban",
            "subject": {"name": BANNED, "birth_year": 1983, "phone": "0485 11 22 33"},
            "protected_persons": [{"name": "Sandra Wouters", "birth_year": 1985}],
            "address": address,
            "valid_from": (start - dt.timedelta(days=2)).isoformat(),
            "valid_to": (start + dt.timedelta(days=12)).isoformat(),
            "issuing_authority": "Procureur des Konings Antwerpen",
            "restricted": restricted,
        },
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert response.status_code == 201, response.text


def test_the_incident_page_names_an_order_and_keeps_a_restricted_one_to_the_officer_on_duty(
    page, expect, live_server, live_instance
):
    page.set_viewport_size({"width": 1366, "height": 768})
    open_console(page, expect)
    made = live_flask(live_instance, live_server, "token", "create", "supervisor")
    token = made.strip().splitlines()[-1]
    since = post_incident(page, "Meir 1, 2000 Antwerpen")["received_at"]
    register(live_server, token, "Vleminckveld 35, 2000 Antwerpen", since, restricted=True)
    register(live_server, token, "Vleminckveld 37, 2000 Antwerpen", since, restricted=False)
    alert = page.locator("#order-alert")
    hidden = post_incident(page, "Vleminckveld 35, 2000 Antwerpen", flags=["suspect_present"])
    page.goto(f"/incidents/{hidden['id']}")
    expect(alert).to_contain_text("Mogelijke inbreuk")
    expect(alert).to_contain_text("de details zijn bij de officier van dienst")
    assert BANNED not in alert.inner_text() and "1983" not in alert.inner_text()
    screenshot(page, "orders-alert-restricted.png")
    named = post_incident(page, "Vleminckveld 37, 2000 Antwerpen")
    page.goto(f"/incidents/{named['id']}")
    expect(alert).to_contain_text(f"opgelegd aan {BANNED}")
    expect(alert).not_to_contain_text("Mogelijke inbreuk")
    page.goto("/protective-orders")
    expect(page.locator(".orders-table tbody tr")).to_have_count(1)  # not the restricted one
    expect(page.locator(".orders-table")).not_to_contain_text("0485")
