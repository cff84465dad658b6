"""One workspace for a bad night (issue 17), in headless Chromium: a P1 call from Alt+N to an
assigned unit without leaving /console; alarms kept on the server (one acknowledgement quiets
every console and survives a reload; an unknown sender's text reaches a console opened later);
release, close and a text to a unit from the console; the layout at 1366x768 and 1920x1080."""

from __future__ import annotations

import uuid

import pytest

from tests.browser.conftest import screenshot
from tests.browser.test_console import (
    REFERENCE,
    console_errors,
    open_console,
    post_incident,
    unit_sms,
    wait_live,
)

pytestmark = pytest.mark.browser


@pytest.fixture
def expect():
    """Playwright's auto-waiting assertions."""
    from playwright.sync_api import expect

    return expect


def inside(page, selector: str) -> None:
    """The element's box lies wholly inside the viewport (seen without scrolling)."""
    box = page.locator(selector).first.bounding_box()
    size = page.viewport_size
    assert box is not None, f"{selector} is not rendered"
    assert box["x"] >= 0 and box["y"] >= 0, (selector, box)
    assert box["x"] + box["width"] <= size["width"] + 1, (selector, box, size)
    assert box["y"] + box["height"] <= size["height"] + 1, (selector, box, size)


def close(page, incident_id: int) -> None:
    """Close an incident this test opened (the demo server and its map are shared)."""
    release_all(page, incident_id)
    token = page.locator("meta[name=csrf-token]").get_attribute("content")
    page.request.post(
        f"/api/v1/incidents/{incident_id}/close",
        data={"disposition": "cancelled"},
        headers={"X-CSRFToken": token},
    )


def release_all(page, incident_id: int) -> None:
    """Free the units this test sent (the demo server is shared by the browser tests)."""
    token = page.locator("meta[name=csrf-token]").get_attribute("content")
    listed = page.request.get(f"/api/v1/incidents/{incident_id}/assignments").json()["items"]
    for a in listed:
        if a["status"] == "active":
            page.request.post(
                f"/api/v1/assignments/{a['id']}/release",
                data={"reason": "einde van de test"},
                headers={"X-CSRFToken": token},
            )


def test_a_p1_call_from_alt_n_to_an_assigned_unit_never_leaves_the_console(
    page, expect, live_server
):
    page.set_viewport_size({"width": 1366, "height": 768})
    errors = console_errors(page)
    open_console(page, expect)
    syncs = page.locator("#console").get_attribute("data-syncs")
    keys = 0

    page.keyboard.press("Alt+n")
    keys += 1
    expect(page.locator("#intake-drawer")).to_be_visible()
    expect(page.locator("#address")).to_be_focused()
    page.keyboard.type("Carnotstraat 77, 2060 Antwerpen")
    # While the call is taken the console is live: an SMS from an unknown number shows at once.
    unit_sms(live_server, "+32499000111", f"help mij {uuid.uuid4().hex[:6]}")
    expect(page.locator("#alarms li.alarm[data-kind=unknown_sender]").first).to_be_visible()
    danger = page.locator("#q-immediate-danger-suspect_present input[value=yes]")
    danger.check()  # one click: the suspect is still there
    expect(page.locator("#prio-badge")).to_have_attribute("data-priority", "P1")
    page.keyboard.press("Control+Shift+Enter")  # save, open, recommendations in view
    keys += 1
    expect(page.locator("#intake-drawer")).to_be_hidden()
    expect(page.locator("#console")).to_have_attribute("data-handed-back", REFERENCE)
    reference = page.locator("#console").get_attribute("data-handed-back")
    first = page.locator("#recs li.rec").first
    expect(first).to_be_visible()
    inside(page, "#recs li.rec")
    expect(first.locator("button.assign")).to_be_focused()
    expect(page.locator("#detail-reference")).to_have_text(reference)
    expect(first.locator(".why")).to_contain_text("P1")  # the rule that placed it, in Dutch
    call_sign = first.get_attribute("data-call-sign")
    page.keyboard.press("Alt+a")
    keys += 1
    expect(page.locator("#assignments li.assignment-active", has_text=call_sign)).to_be_visible()
    row = page.locator(f"#queue-body tr[data-reference='{reference}']")
    expect(row.locator(".unit-chip")).to_contain_text(call_sign)
    screenshot(page, "workspace-p1-call-1366.png")

    assert page.url.endswith("/console")
    assert page.locator("#console").get_attribute("data-syncs") == syncs  # never reconnected
    assert keys == 3  # Alt+N, Ctrl+Shift+Enter, Alt+A; plus the address and one click
    assert errors == []
    close(page, int(page.locator("#detail").get_attribute("data-incident-id")))


def test_one_acknowledgement_quiets_every_console_and_survives_a_reload(
    page, another_page, expect, live_server
):
    open_console(page, expect)
    other = another_page()
    open_console(other, expect, "dispatcher2")
    text = f"ik durf niet te bellen {uuid.uuid4().hex[:6]}"
    unit_sms(live_server, "+32499000222", text)
    for console in (page, other):
        expect(console.locator("#alarms li.alarm[data-kind=unknown_sender]").first).to_be_visible()
    page.locator("#alarms li.alarm[data-kind=unknown_sender] button.read").last.click()  # newest
    alarm = page.locator("#alarms li.alarm", has_text=text)
    expect(alarm).to_contain_text("+32499000222")  # dispatchers may read the number (audited)
    alarm.locator("button.ack").click()
    for console in (page, other):
        expect(console.locator("#alarms li.alarm", has_text=text)).to_have_count(0)
    other.reload()
    wait_live(other, expect)
    expect(other.locator("#alarms li.alarm", has_text=text)).to_have_count(0)
    # And the acknowledgement is on record, not a local deletion.
    audit = page.request.get("/api/v1/alarms").json()["alarms"]
    assert all(text not in (a.get("text") or "") for a in audit)


def test_an_unknown_senders_text_is_read_on_a_console_opened_later(page, expect, live_server):
    text = f"Hij is terug, kom snel {uuid.uuid4().hex[:6]}"
    unit_sms(live_server, "+32499000333", text)  # no console is open for this user yet
    open_console(page, expect)
    sealed = page.locator("#alarms li.alarm[data-kind=unknown_sender]").last
    expect(sealed).to_have_attribute("data-severity", "high")
    sealed.locator("button.read").click()  # the text is shown, and the read recorded
    alarm = page.locator("#alarms li.alarm[data-kind=unknown_sender]", has_text=text)
    expect(alarm.locator(".alarm-text")).to_have_text(text)
    alarm.locator("button.ack").click()
    expect(page.locator("#alarms li.alarm", has_text=text)).to_have_count(0)


def test_message_release_and_close_from_the_console(page, expect):
    open_console(page, expect)
    incident = post_incident(page, "Kerkstraat 15, 2060 Antwerpen", lat=51.2206, lon=4.4312)
    page.locator(f"#queue-body tr[data-reference='{incident['reference']}']").click()
    expect(page.locator("#detail")).to_have_attribute("data-loaded", str(incident["id"]))
    first = page.locator("#recs li.rec").first
    call_sign = first.get_attribute("data-call-sign")
    first.locator("button.assign").click()
    active = page.locator("#assignments li.assignment-active", has_text=call_sign)
    expect(active).to_be_visible()

    page.keyboard.press("Alt+t")  # a text to the unit
    dialog = page.locator("#action-dialog")
    expect(dialog).to_be_visible()
    page.locator("#action-text").fill("Bel de meldkamer op het vaste nummer")
    page.locator("#action-submit").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#messages tr.sms-out", has_text="Bel de meldkamer")).to_be_visible()
    expect(page.locator("#timeline tr[data-kind='sms.sent']")).to_be_visible()

    active.locator("button.release").click()
    page.locator("#action-reason").fill("Nodig voor een P1 elders")
    page.locator("#action-submit").click()
    expect(page.locator("#assignments li.assignment-released", has_text=call_sign)).to_be_visible()
    unit = page.locator(f"#units-body tr[data-call-sign='{call_sign}']")
    expect(unit).to_have_attribute("data-status", "available")

    page.keyboard.press("Alt+c")
    expect(page.locator("#action-disposition")).to_be_visible()
    page.locator("#action-disposition").select_option("resolved_on_scene")
    page.locator("[id='action-referrals.victim_support']").select_option("declined")
    page.locator("[id='action-referrals.psychosocial_support']").select_option(
        "not_offered:no_contact"
    )
    page.locator("#action-submit").click()
    expect(page.locator(f"#queue-body tr[data-reference='{incident['reference']}']")).to_have_count(
        0
    )


def test_a_dispatcher_is_not_offered_a_lower_priority(page, expect):
    open_console(page, expect)
    incident = post_incident(page, "Lange Kievitstraat 12, 2018 Antwerpen")  # P3
    page.locator(f"#queue-body tr[data-reference='{incident['reference']}']").click()
    expect(page.locator("#detail")).to_have_attribute("data-loaded", str(incident["id"]))
    page.keyboard.press("Alt+p")
    options = page.locator("#action-priority option")
    expect(options).to_have_count(2)  # P1 and P2: raising only
    assert options.all_inner_texts()[0].startswith("P1")
    page.keyboard.press("Escape")
    expect(page.locator("#action-dialog")).to_be_hidden()
    close(page, incident["id"])


@pytest.mark.parametrize("size", [(1366, 768), (1920, 1080)])
def test_the_console_fits_one_screen(page, expect, size):
    width, height = size
    page.set_viewport_size({"width": width, "height": height})
    open_console(page, expect)
    incident = post_incident(page, "Turnhoutsebaan 200, 2140 Borgerhout", lat=51.2166, lon=4.4461)
    page.locator(f"#queue-body tr[data-reference='{incident['reference']}']").click()
    expect(page.locator("#recs li.rec").first).to_be_visible()
    for selector in ("#alarms-card", ".queue-card", "#h-detail", "#actions", "#recs li.rec"):
        inside(page, selector)
    if width >= 1920:
        inside(page, ".units-card")
        inside(page, "#units tbody tr")
    # No page scroll: every panel scrolls on its own.
    assert page.evaluate("document.documentElement.scrollHeight") <= height + 1
    screenshot(page, f"workspace-{width}x{height}.png")
    close(page, incident["id"])


def test_the_incident_page_offers_a_dispatcher_only_higher_priorities(page, expect):
    open_console(page, expect)
    incident = post_incident(page, "Lange Kievitstraat 14, 2018 Antwerpen")  # P3
    page.goto(f"/incidents/{incident['id']}")
    expect(page.locator("#inc-priority")).to_have_attribute("data-priority", "P3")
    offered = page.locator("#raise-priority option:not([disabled])")
    expect(offered).to_have_count(2)
    assert offered.evaluate_all("(nodes) => nodes.map((n) => n.value)") == ["P1", "P2"]
    # The incident page is no dead end: it opens the incident on the console, with its actions.
    page.get_by_role("link", name="Op de console openen").click()
    wait_live(page, expect)
    expect(page.locator("#detail")).to_have_attribute("data-loaded", str(incident["id"]))
    expect(page.locator("#actions")).to_be_visible()
    close(page, incident["id"])
