"""Erasing a guest in a real browser (issue 16): the dashboard that has the chat open drops it
live (``chat:room-deleted``), and the guest's widget, closed with 4410, comes back as a new guest
with an empty conversation."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.pages import Dashboard, Widget
from tests.browser.support import staff_token_for
from tests.rest import rest


def test_an_erased_guest_disappears_from_the_dashboard_and_the_widget_starts_afresh(
    live_server, host_pages, new_context
):
    business = live_server.create_business("Erase Co")
    widget = Widget.on_host_page(new_context(), host_pages, live_server.http_url, business, "Zoe")
    widget.open()
    widget.send("Please forget me")
    widget.expect_sent("Please forget me")
    dashboard = Dashboard.signed_in(
        new_context(viewport={"width": 1280, "height": 760}), live_server.http_url, business
    )
    dashboard.open_room("Zoe")
    expect(dashboard.messages.locator(".msg--visitor .text")).to_have_text(["Please forget me"])
    before = widget.stored()

    status, _ = rest(
        live_server.http_url,
        "DELETE",
        f"/api/businesses/{business}/guests/{before['guestId']}",
        staff_token_for(business),
    )
    assert status == 204

    expect(dashboard.room("Zoe")).to_have_count(0)
    expect(dashboard.page.locator(".placeholder")).to_contain_text("erased")
    expect(dashboard.connection).to_have_text("Online")
    # the widget reconnects (4410 is not terminal) as a new guest, its old messages gone
    expect(widget.message("Please forget me")).to_have_count(0, timeout=15_000)
    after = widget.stored()
    assert after["guestId"] != before["guestId"] and after["sessionId"] != before["sessionId"]
